// The pipeline on the two shared credit datasets, read by the data module's readTable.
// Expected counts were worked out independently from the CSVs (Python's csv module):
// - german_credit: 743 training rows → rare threshold max(10, ceil(3.7)) = 10; 7 numeric + 1
//   boolean (is_foreign_worker) + 12 categorical columns whose one-hot widths (kept levels,
//   __other__ when any category is rare, __unknown__) add up to 63: 71 features. Only `purpose`
//   has rare categories (two with 9 training rows).
// - taiwan_credit: 22,471 training rows; `id` is an identifier; 23 numeric columns, none missing
//   or constant: 23 features. Of these only pay_amt1..6 meet the log rule (clipped skewness
//   5.7–6.4, q99.5 ≥ 10 × (median + 1)); bill_amt* are skewed too but have negative values.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readTable } from '../data/index.js';
import type { Table } from '../data/table.js';
import type { Matrix } from '../matrix.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { TabularPipeline } from './index.js';

const DATA = SHARED_DATA;

/** Rows whose `_is_test` flag is false. */
function trainRowsOf(table: Table): Int32Array {
  const flag = table.columns.find((c) => c.name === '_is_test');
  assert.ok(flag && flag.kind === 'boolean', '_is_test should be read as boolean');
  const rows: number[] = [];
  for (let r = 0; r < table.nRows; r++) if (flag.values[r] === 0) rows.push(r);
  return Int32Array.from(rows);
}

function assertAllFinite(m: Matrix): void {
  for (let i = 0; i < m.data.length; i++) {
    if (!Number.isFinite(m.data[i]))
      assert.fail(`non-finite value at row ${Math.floor(i / m.nCols)}, column ${i % m.nCols}`);
  }
}

/** Mean and sd of one output column over the given rows. */
function columnStats(m: Matrix, c: number, rows: Int32Array): { mean: number; sd: number } {
  let sum = 0;
  for (const r of rows) sum += m.data[r * m.nCols + c] as number;
  const mean = sum / rows.length;
  let ss = 0;
  for (const r of rows) ss += ((m.data[r * m.nCols + c] as number) - mean) ** 2;
  return { mean, sd: Math.sqrt(ss / rows.length) };
}

test('german_credit: categorical-heavy data, fitted on the training split', async () => {
  const { table } = await readTable(`${DATA}/german_credit.csv`);
  const trainRows = trainRowsOf(table);
  assert.equal(trainRows.length, 743);
  const p = new TabularPipeline({ exclude: ['target', '_is_test'] });
  const m = p.fitTransform(table, trainRows);

  assert.equal(m.nRows, 1000);
  assert.equal(m.nCols, 71);
  assert.equal(p.featureNames.length, 71);
  assertAllFinite(m);
  assert.deepEqual(p.warnings, []);
  assert.equal(p.inputColumns.length, 20);
  assert.ok(!p.inputColumns.some((c) => c.name === 'target' || c.name === '_is_test'));
  assert.deepEqual(p.featureNames.filter((f) => f.startsWith('purpose=')).slice(-2), [
    'purpose=__other__',
    'purpose=__unknown__',
  ]);
  assert.ok(p.featureNames.includes('is_foreign_worker'));
  // Numeric features are standardised on the training rows.
  for (const name of ['month_duration', 'credit_amount', 'age']) {
    const { mean, sd } = columnStats(m, p.featureNames.indexOf(name), trainRows);
    assert.ok(Math.abs(mean) < 1e-5 && Math.abs(sd - 1) < 1e-4, `${name}: mean ${mean}, sd ${sd}`);
  }
  // Every row has exactly one 1 in each one-hot block (here: purpose).
  const block = p.featureNames.flatMap((f, c) => (f.startsWith('purpose=') ? [c] : []));
  for (let r = 0; r < m.nRows; r++) {
    assert.equal(
      block.reduce((s, c) => s + (m.data[r * m.nCols + c] as number), 0),
      1,
    );
  }

  const restored = TabularPipeline.fromJSON(JSON.parse(JSON.stringify(p.toJSON())));
  assert.deepEqual(new Uint8Array(restored.transform(table).data.buffer), new Uint8Array(m.data.buffer));
});

test('taiwan_credit: numeric data with an id column', async () => {
  const { table } = await readTable(`${DATA}/taiwan_credit.csv`);
  assert.equal(table.columns.find((c) => c.name === 'id')?.kind, 'identifier');
  const trainRows = trainRowsOf(table);
  assert.equal(trainRows.length, 22471);
  const p = new TabularPipeline({ exclude: ['target', '_is_test'] });
  const m = p.fitTransform(table, trainRows);

  assert.equal(m.nRows, 30000);
  assert.equal(m.nCols, 23);
  assertAllFinite(m);
  assert.ok(!p.featureNames.some((f) => f === 'id' || f.startsWith('id=')));
  assert.ok(!p.inputColumns.some((c) => c.name === 'id'));
  assert.deepEqual(p.warnings, ['column id is an identifier; excluded from features']);
  const logged = p
    .toJSON()
    .steps.filter((s) => s.encoding === 'numeric' && s.log1p)
    .map((s) => s.column);
  assert.deepEqual(logged, ['pay_amt1', 'pay_amt2', 'pay_amt3', 'pay_amt4', 'pay_amt5', 'pay_amt6']);
  for (let c = 0; c < m.nCols; c++) {
    const { mean, sd } = columnStats(m, c, trainRows);
    assert.ok(Math.abs(mean) < 1e-4 && Math.abs(sd - 1) < 1e-3, `${p.featureNames[c]}: mean ${mean}, sd ${sd}`);
  }
});
