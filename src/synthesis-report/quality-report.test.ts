import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTable, splitByColumn } from '../data/index.js';
import { takeTableRows } from '../data/table.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { buildQualityReport } from './quality-report.js';
import { renderQualityReport } from './quality-report-html.js';
import { correlatedTable, shuffleColumns } from './test-tables.js';

test('identical data: shapes and pair trends 1, every row an exact copy, DCR 0, detection ≈ 0.5', async (t) => {
  const real = correlatedTable(1200, 1);
  const { report, plots } = await buildQualityReport(
    { real, synthetic: real },
    { target: 'bad', utilityModel: 'logistic' },
  );
  t.diagnostic(`detection ${report.detectionAuc.toFixed(3)}`);
  assert.equal(report.columnShapes.score, 1);
  assert.equal(report.pairTrends.score, 1);
  assert.equal(report.overallScore, 1);
  assert.equal(report.exactCopies, 1200);
  assert.equal(report.privacy.exactCopiesShare, 1);
  assert.equal(report.privacy.dcrSynthetic.median, 0);
  assert.equal(report.dcrRatio, 0);
  assert.ok(report.detectionAuc > 0.4 && report.detectionAuc < 0.6, `detection ${report.detectionAuc}`);
  // No holdout: 25 % of the real rows are the test rows and the DCR baseline.
  assert.equal(report.holdoutSource, 'real-split');
  assert.equal(report.privacy.referenceRows + report.privacy.dcrHoldout.rows, 1200);
  assert.ok(Math.abs(report.privacy.dcrHoldout.rows - 300) <= 1, `${report.privacy.dcrHoldout.rows} holdout rows`);
  assert.equal(report.utility?.testRows, report.privacy.dcrHoldout.rows);
  assert.deepEqual(report.excludedColumns, [
    { name: 'loan_id', reason: 'identifier: names rows rather than describing them' },
  ]);
  // TSTR trains on every synthetic row, test rows included: with a copy it is optimistic, and said so.
  assert.ok(report.warnings.some((w) => w.includes('flatters TSTR')));
  assert.equal(plots.columns.length, 5);
  // The JSON is plain: it survives a round trip unchanged.
  assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
});

test('German credit, the training rows against themselves with every column shuffled: the report completes', async (t) => {
  const { table } = await readTable(join(SHARED_DATA, 'german_credit.csv'));
  const split = splitByColumn(table, '_is_test');
  const real = takeTableRows(table, split.trainRows);
  const holdout = takeTableRows(table, split.testRows);
  const synthetic = shuffleColumns(real, 7);
  const { report, plots } = await buildQualityReport(
    { real, synthetic, holdout },
    { target: 'target', exclude: ['_is_test'], seed: 1 },
  );
  t.diagnostic(
    `pairs ${report.pairTrends.score.toFixed(3)} detection ${report.detectionAuc.toFixed(3)} trtr ${report.trtrAuc?.toFixed(3)} tstr ${report.tstrAuc?.toFixed(3)} dcr ${report.dcrRatio.toFixed(3)}`,
  );
  assert.deepEqual(report.rows, { real: 743, synthetic: 743, holdout: 257 });
  assert.equal(report.columnShapes.columns.length, 21);
  // Shuffling keeps every column's values: shapes are exactly 1, relations are lost.
  assert.equal(report.columnShapes.score, 1);
  assert.equal(report.pairTrends.pairsTotal, 210);
  assert.ok(report.pairTrends.score < 0.97, `pair trends ${report.pairTrends.score}`);
  assert.ok(report.detectionAuc > 0.55, `detection ${report.detectionAuc}`);
  assert.equal(report.utility?.positive, 'bad');
  assert.equal(report.utility?.testedOn, 'holdout');
  assert.ok((report.trtrAuc ?? 0) > 0.7, `trtr ${report.trtrAuc}`);
  assert.ok((report.tstrAuc ?? 1) < (report.trtrAuc ?? 0) - 0.05, `tstr ${report.tstrAuc}`);
  assert.equal(report.exactCopies, 0);
  assert.ok(report.dcrRatio > 1, `dcr ratio ${report.dcrRatio}`);
  assert.equal(plots.correlation.names.length, 7, 'the seven numeric German columns');
  const html = renderQualityReport({ title: 'German <shuffled>', report, plots });
  assert.ok(html.includes('German &lt;shuffled&gt;'));
  assert.doesNotMatch(html, /https?:\/\//, 'no URL of any kind');
});

test('privacy ignores a column with one value in the real data, such as a split flag', async () => {
  const all = correlatedTable(1600, 3);
  const withFlag = (rows: Int32Array, flag: number) => {
    const t = takeTableRows(all, rows);
    return {
      ...t,
      columns: [
        ...t.columns,
        { name: 'is_test', kind: 'boolean' as const, values: new Float64Array(t.nRows).fill(flag) },
      ],
    };
  };
  const real = withFlag(
    Int32Array.from({ length: 1200 }, (_, i) => i),
    0,
  );
  const holdout = withFlag(
    Int32Array.from({ length: 400 }, (_, i) => 1200 + i),
    1,
  );
  const synthetic = shuffleColumns(real, 5);
  const options = { detectionModel: 'logistic' as const, detectionMaxRows: 300 };
  const { report } = await buildQualityReport({ real, synthetic, holdout }, options);
  assert.deepEqual(report.privacy.columnsLeftOut, ['is_test']);
  assert.ok(report.warnings.some((w) => w.includes('single value in the real data: is_test')));
  // The same report without the flag at all gives the same privacy numbers.
  const { report: plain } = await buildQualityReport(
    { real, synthetic, holdout },
    { ...options, exclude: ['is_test'] },
  );
  assert.equal(report.dcrRatio, plain.dcrRatio);
  assert.deepEqual(report.privacy.dcrHoldout, plain.privacy.dcrHoldout);
  assert.equal(report.privacy.holdoutExactCopies, plain.privacy.holdoutExactCopies);
  // Shapes still see the column (real and synthetic agree on it).
  assert.equal(report.columnShapes.columns.find((c) => c.name === 'is_test')?.score, 1);
});
