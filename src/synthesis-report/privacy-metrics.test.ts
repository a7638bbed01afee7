import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type Table, takeTableRows } from '../data/table.js';
import { rowRange } from '../matrix.js';
import { Random } from '../random.js';
import { alignTables } from './aligned-tables.js';
import { distanceToClosestRecord, exactCopies, nearestDistances, robustSpread } from './privacy-metrics.js';
import { correlatedTable, shuffleColumns } from './test-tables.js';

test('exact copies are counted right on a mix of copied, altered and new rows', () => {
  const real = correlatedTable(400, 1);
  const other = correlatedTable(400, 2);
  // 37 rows copied (one of them twice), 20 copied then altered in one column, the rest new.
  const copied = takeTableRows(real, Int32Array.from([...Array.from({ length: 36 }, (_, i) => i * 10), 0]));
  const altered = takeTableRows(
    real,
    Int32Array.from({ length: 20 }, (_, i) => 200 + i),
  );
  const incomeCol = altered.columns.find((c) => c.name === 'income') as { values: Float64Array };
  for (let i = 0; i < 20; i++) incomeCol.values[i] = (incomeCol.values[i] as number) + 0.01;
  const fresh = takeTableRows(other, rowRange(143));
  const synthetic = concat([copied, altered, fresh]);
  const result = exactCopies(alignTables({ real, synthetic }));
  assert.equal(synthetic.nRows, 200);
  assert.equal(result.count, 37);
  assert.equal(result.share, 37 / 200);
  assert.deepEqual(result.rows.slice(0, 3), [0, 1, 2]);
  // The identifier differs between copies (it is excluded), and missing equals missing.
  const all = exactCopies(alignTables({ real, synthetic: real }));
  assert.equal(all.count, 400);
});

test('nearestDistances equals a brute-force search', () => {
  const rng = new Random(3);
  const nCont = 5;
  const nDisc = 2;
  const dim = nCont + nDisc;
  const make = (n: number) => {
    const m = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < nCont; j++) m[i * dim + j] = rng.normal();
      for (let j = nCont; j < dim; j++) m[i * dim + j] = rng.int(3);
    }
    return m;
  };
  const q = make(50);
  const r = make(300);
  const got = nearestDistances(q, r, nCont, nDisc, 7);
  for (let i = 0; i < 50; i++) {
    let best = Number.POSITIVE_INFINITY;
    for (let k = 0; k < 300; k++) {
      let d = 0;
      for (let j = 0; j < nCont; j++) d += Math.abs((q[i * dim + j] as number) - (r[k * dim + j] as number));
      for (let j = nCont; j < dim; j++) d += q[i * dim + j] === r[k * dim + j] ? 0 : 1;
      best = Math.min(best, d);
    }
    assert.ok(Math.abs((got[i] as number) - best / 7) < 1e-5, `row ${i}: ${got[i]} vs ${best / 7}`);
  }
  // Only discrete columns: no projection to sort by, a plain scan.
  const codes = (rows: number[][]) => Float32Array.from(rows.flat());
  const onlyCodes = nearestDistances(
    codes([
      [0, 1, 2],
      [2, 2, 2],
    ]),
    codes([
      [0, 1, 1],
      [2, 0, 0],
      [5, 5, 5],
    ]),
    0,
    3,
    3,
  );
  assert.deepEqual(
    Array.from(onlyCodes),
    [1 / 3, 2 / 3].map((v) => Math.fround(v)),
  );
});

test('robust spread: IQR / 1.349 for spread data, a fallback for columns mostly at one value', () => {
  const normal = Float64Array.from({ length: 20001 }, (_, i) => i / 20000);
  assert.ok(Math.abs(robustSpread(normal) - 0.5 / 1.349) < 1e-3);
  const spiky = new Float64Array(100);
  spiky[99] = 50;
  assert.equal(robustSpread(spiky), 0.5);
  assert.equal(robustSpread(new Float64Array(10)), 1);
});

test('DCR: copies of real rows sit at distance 0, shuffled rows further than holdout rows', () => {
  const all = correlatedTable(3000, 1);
  const real = takeTableRows(all, rowRange(2000));
  const holdout = takeTableRows(
    all,
    Int32Array.from({ length: 1000 }, (_, i) => 2000 + i),
  );
  const identical = alignTables({ real, synthetic: real, holdout });
  const copies = distanceToClosestRecord(identical, {
    referenceRows: rowRange(2000),
    holdout: { side: 'holdout', rows: rowRange(1000) },
  });
  assert.equal(copies.synthetic.median, 0);
  assert.equal(copies.synthetic.rows, 2000);
  assert.equal(copies.ratio, 0);
  assert.ok(copies.holdout.median > 0);
  assert.equal(copies.shareBelowHoldoutP05, 1);

  const shuffled = alignTables({ real, synthetic: shuffleColumns(real, 2), holdout });
  const far = distanceToClosestRecord(shuffled, {
    referenceRows: rowRange(2000),
    holdout: { side: 'holdout', rows: rowRange(1000) },
    maxRows: 500,
  });
  assert.equal(far.synthetic.rows, 500);
  assert.equal(far.holdout.rows, 500);
  assert.ok(far.ratio > 1.2, `ratio ${far.ratio}`);
});

function concat(tables: Table[]): Table {
  const first = tables[0] as Table;
  const nRows = tables.reduce((n, t) => n + t.nRows, 0);
  const columns = first.columns.map((col, c) => {
    if (col.kind === 'categorical' || col.kind === 'identifier') {
      const codes = Int32Array.from(tables.flatMap((t) => Array.from((t.columns[c] as { codes: Int32Array }).codes)));
      return { ...col, codes };
    }
    const values = Float64Array.from(
      tables.flatMap((t) => Array.from((t.columns[c] as { values: Float64Array }).values)),
    );
    return { ...col, values };
  });
  return { nRows, columns };
}

test('DCR distance on known rows: numeric gaps in robust spreads, categories 0/1, missing one unit away', () => {
  const x = Float64Array.of(0, 1, 2, 3, 4, 5, 6, 7);
  const real: Table = {
    nRows: 8,
    columns: [
      { name: 'x', kind: 'numeric', values: x },
      { name: 'c', kind: 'categorical', codes: Int32Array.of(0, 0, 0, 0, 1, 1, 1, 1), dictionary: ['a', 'b'] },
    ],
  };
  // Quartiles of 0..7 (lower order statistics): 1 and 5, so one spread is 4 / 1.349.
  const spread = 4 / 1.349;
  const synthetic: Table = {
    nRows: 3,
    columns: [
      { name: 'x', kind: 'numeric', values: Float64Array.of(1, Number.NaN, 100) },
      { name: 'c', kind: 'categorical', codes: Int32Array.of(1, 0, 1), dictionary: ['a', 'b'] },
    ],
  };
  const aligned = alignTables({ real, synthetic, holdout: real });
  const dcr = distanceToClosestRecord(aligned, {
    referenceRows: rowRange(8),
    holdout: { side: 'holdout', rows: rowRange(8) },
  });
  const [a, b, c] = Array.from(dcr.syntheticDistances);
  // x = 1, c = b: the real row (1, a) is one category away, (4, b) is 3 / spread ≈ 1.01 away.
  assert.ok(Math.abs((a as number) - Math.min(1, 3 / spread) / 2) < 1e-6, `a ${a}`);
  // Missing x: at the median (3) plus one unit for the missingness, so (3, a) is 1 away.
  assert.ok(Math.abs((b as number) - 1 / 2) < 1e-6, `b ${b}`);
  // x = 100, c = b: the real row (7, b) is 93 spreads away.
  assert.ok(Math.abs((c as number) - 93 / spread / 2) < 1e-4, `c ${c}`);
  assert.equal(dcr.holdout.median, 0, 'the holdout is the real rows themselves');
});
