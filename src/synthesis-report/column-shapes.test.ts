import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Table } from '../data/table.js';
import { ksStatistic, totalVariationDistance } from '../evaluation/index.js';
import { alignTables } from './aligned-tables.js';
import { columnShapes } from './column-shapes.js';
import { correlatedTable, shuffleColumns } from './test-tables.js';

const f = (...v: number[]) => Float64Array.from(v);

test('ksStatistic equals scipy ks_2samp on samples with ties', () => {
  // scipy.stats.ks_2samp([1,2,2,3,5],[2,4,4,6]).statistic = 0.55; ([0.5,1.5,2.5,10],[1,2,3]) = 0.25
  assert.ok(Math.abs(ksStatistic(f(1, 2, 2, 3, 5), f(2, 4, 4, 6)) - 0.55) < 1e-12);
  assert.ok(Math.abs(ksStatistic(f(0.5, 1.5, 2.5, 10), f(1, 2, 3)) - 0.25) < 1e-12);
  assert.equal(ksStatistic(f(1, 1, 2), f(1, 1, 2)), 0);
  assert.equal(ksStatistic(f(1, 2), f(3, 4)), 1);
  assert.equal(ksStatistic(f(), f(1)), 1);
  assert.equal(ksStatistic(f(), f()), 0);
});

test('totalVariationDistance is half the L1 distance of the shares', () => {
  assert.equal(totalVariationDistance([1, 1, 2], [2, 2, 4]), 0);
  assert.ok(Math.abs(totalVariationDistance([3, 1], [1, 3]) - 0.5) < 1e-12);
  assert.equal(totalVariationDistance([5, 0], [0, 5]), 1);
  // Different lengths: the shorter one has zero counts beyond its end.
  assert.ok(Math.abs(totalVariationDistance([1, 1], [1, 1, 2]) - 0.5) < 1e-12);
});

test('identical data and independently shuffled columns score exactly 1; disjoint data scores 0', () => {
  const real = correlatedTable(2000, 1);
  const same = columnShapes(alignTables({ real, synthetic: real }));
  assert.equal(same.score, 1);
  const shuffled = columnShapes(alignTables({ real, synthetic: shuffleColumns(real, 9) }));
  assert.equal(shuffled.score, 1);
  for (const c of shuffled.columns) assert.equal(c.score, 1, c.name);
  // Numbers shifted far beyond the real range and categories renamed: nothing in common. Only
  // the 0/1 `bad` column and the boolean keep their values, so they are left out here.
  const far = correlatedTable(2000, 2, 1e9);
  const disjoint = columnShapes(alignTables({ real, synthetic: far }, { exclude: ['bad', 'owner'] }));
  const byName = Object.fromEntries(disjoint.columns.map((c) => [c.name, c]));
  assert.equal(byName.income?.score, 0);
  // balance: KS 1 on the values; its missing shares are close but the larger gap decides.
  assert.equal(byName.balance?.score, 0);
  assert.equal(byName.region?.score, 0);
  assert.equal(byName.region?.unseenRows, 2000);
  assert.equal(disjoint.score, 0);
  assert.deepEqual(
    disjoint.columns.map((c) => [c.name, c.metric]),
    [
      ['income', 'ks'],
      ['balance', 'ks'],
      ['region', 'tvd'],
    ],
  );
});

test('missing values: a numeric column pays for a changed missing share, a categorical one counts missing as a level', () => {
  const real: Table = {
    nRows: 4,
    columns: [
      { name: 'x', kind: 'numeric', values: f(1, 2, 3, Number.NaN) },
      { name: 'c', kind: 'categorical', codes: Int32Array.of(0, 1, -1, -1), dictionary: ['a', 'b'] },
    ],
  };
  const synthetic: Table = {
    nRows: 4,
    columns: [
      // Same non-missing distribution, but no missing value: KS 0, missing-share gap 0.25.
      { name: 'x', kind: 'numeric', values: f(1, 2, 3, 2) },
      // Synthetic dictionary in another order and with a value the real data lacks.
      { name: 'c', kind: 'categorical', codes: Int32Array.of(1, 0, 2, -1), dictionary: ['b', 'a', 'zzz'] },
    ],
  };
  const shapes = columnShapes(alignTables({ real, synthetic }));
  const [x, c] = shapes.columns;
  assert.ok(x && c);
  // CDFs of {1, 2, 3} and {1, 2, 2, 3} differ by 1/12 at 1 and at 2.
  assert.ok(Math.abs(x.statistic - 1 / 12) < 1e-12, `ks ${x.statistic}`);
  assert.equal(x.missingShareReal, 0.25);
  assert.equal(x.missingShareSynthetic, 0);
  assert.ok(Math.abs(x.score - (1 - Math.max(x.statistic, 0.25))) < 1e-12);
  // real: a .25 b .25 missing .5; synthetic: a .25 b .25 zzz .25 missing .25 → TVD .25
  assert.ok(Math.abs(c.statistic - 0.25) < 1e-12);
  assert.equal(c.unseenRows, 1);
  assert.deepEqual(c.unseenValues, ['zzz']);
  assert.equal(c.missingShareReal, 0.5);
});
