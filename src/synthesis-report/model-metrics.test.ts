import assert from 'node:assert/strict';
import { test } from 'node:test';
import { takeTableRows } from '../data/table.js';
import { rowRange } from '../matrix.js';
import { alignTables } from './aligned-tables.js';
import { detectionAuc, encodeReportTarget, splitReal, utilityAuc } from './model-metrics.js';
import { correlatedTable, shuffleColumns } from './test-tables.js';

const real = correlatedTable(1500, 1);

test('detection: identical data is indistinguishable (AUC ≈ 0.5)', async (t) => {
  const result = await detectionAuc(alignTables({ real, synthetic: real }), { seed: 1 });
  t.diagnostic(`identical: auc ${result.auc.toFixed(3)} folds ${result.foldAucs.map((a) => a.toFixed(3)).join(', ')}`);
  assert.equal(result.model, 'mlp');
  assert.equal(result.folds, 3);
  assert.equal(result.rowsPerSide, 1500);
  assert.equal(result.foldAucs.length, 3);
  assert.ok(result.auc > 0.4 && result.auc < 0.6, `auc ${result.auc}`);
});

test('detection: shuffled columns (same marginals, relations broken) are clearly detected', async (t) => {
  const result = await detectionAuc(alignTables({ real, synthetic: shuffleColumns(real, 5) }), { seed: 1 });
  t.diagnostic(`shuffled: auc ${result.auc.toFixed(3)}`);
  assert.ok(result.auc > 0.7, `auc ${result.auc}`);
});

test('detection: disjoint data is detected perfectly, also by the logistic model', async () => {
  const far = correlatedTable(800, 2, 1e6);
  const aligned = alignTables({ real, synthetic: far });
  const mlp = await detectionAuc(aligned, { seed: 1 });
  assert.equal(mlp.rowsPerSide, 800);
  assert.ok(mlp.auc > 0.99, `mlp auc ${mlp.auc}`);
  const logistic = await detectionAuc(aligned, { model: 'logistic', seed: 1, maxRowsPerSide: 300 });
  assert.equal(logistic.rowsPerSide, 300);
  assert.ok(logistic.auc > 0.99, `logistic auc ${logistic.auc}`);
});

test('utility: a synthetic draw of the same process is as useful as real data; shuffled columns are not', async (t) => {
  const all = correlatedTable(4000, 3);
  const train = takeTableRows(all, rowRange(3000));
  const holdout = takeTableRows(
    all,
    Int32Array.from({ length: 1000 }, (_, i) => 3000 + i),
  );
  const sameProcess = correlatedTable(3000, 11);
  const aligned = alignTables({ real: train, synthetic: sameProcess, holdout });
  const target = encodeReportTarget(aligned, 'bad');
  assert.equal(target.positive, '1');
  const good = await utilityAuc(aligned, target, { model: 'logistic', test: { side: 'holdout' } });
  t.diagnostic(`same process: trtr ${good.trtrAuc.toFixed(3)} tstr ${good.tstrAuc?.toFixed(3)}`);
  assert.equal(good.testedOn, 'holdout');
  assert.equal(good.testRows, 1000);
  assert.equal(good.trainRowsReal, 3000);
  assert.ok(good.trtrAuc > 0.75, `trtr ${good.trtrAuc}`);
  assert.ok(Math.abs((good.tstrAuc ?? 0) - good.trtrAuc) < 0.03, `tstr ${good.tstrAuc}`);

  const shuffled = alignTables({ real: train, synthetic: shuffleColumns(train, 3), holdout });
  const bad = await utilityAuc(shuffled, encodeReportTarget(shuffled, 'bad'), {
    model: 'logistic',
    test: { side: 'holdout' },
  });
  t.diagnostic(`shuffled: tstr ${bad.tstrAuc?.toFixed(3)}`);
  assert.equal(bad.trtrAuc, good.trtrAuc, 'TRTR depends on the real rows only');
  assert.ok((bad.tstrAuc ?? 1) < good.trtrAuc - 0.15, `tstr ${bad.tstrAuc}`);
});

test('utility without a holdout: both models are tested on the stratified 25 % of the real rows', async () => {
  const synthetic = correlatedTable(1200, 12);
  const aligned = alignTables({ real, synthetic });
  const target = encodeReportTarget(aligned, 'bad');
  const split = splitReal(aligned.nRows.real, target.y.real, 1);
  const result = await utilityAuc(aligned, target, {
    model: 'logistic',
    test: { side: 'real', trainRows: split.trainRows, testRows: split.testRows },
  });
  assert.equal(result.testedOn, 'real-split');
  assert.equal(result.testRows, 375);
  assert.equal(result.trainRowsReal, 1125);
  assert.equal(result.trainRowsSynthetic, 1200);
  assert.ok(result.notes.some((n) => n.includes('no holdout file')));
});

test('utility: a synthetic target with one class gives no TSTR AUC and says why; a bad target is a clear error', async () => {
  const synthetic = correlatedTable(600, 4);
  const bad = synthetic.columns.find((c) => c.name === 'bad') as { values: Float64Array };
  bad.values.fill(0);
  const aligned = alignTables({ real, synthetic });
  const split = splitReal(aligned.nRows.real, encodeReportTarget(aligned, 'bad').y.real, 1);
  const result = await utilityAuc(aligned, encodeReportTarget(aligned, 'bad'), {
    model: 'logistic',
    test: { side: 'real', trainRows: split.trainRows, testRows: split.testRows },
  });
  assert.equal(result.tstrAuc, null);
  assert.ok(result.notes.some((n) => n.includes('too few of one class')));
  assert.throws(() => encodeReportTarget(aligned, 'nope'), { code: 'unknown_target' });
  assert.throws(() => encodeReportTarget(aligned, 'loan_id'), /identifier/);
  assert.throws(() => encodeReportTarget(aligned, 'income'), { code: 'target_not_binary' });
});
