import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Table } from '../data/table.js';
import { alignTables } from './aligned-tables.js';
import { pairTrends, pearson, quantileEdges, ranks, spearmanMatrix } from './pair-trends.js';
import { correlatedTable, shuffleColumns } from './test-tables.js';

const f = (...v: number[]) => Float64Array.from(v);

test('ranks average ties and leave missing values missing; Spearman equals scipy', () => {
  assert.deepEqual(Array.from(ranks(f(10, 20, 20, Number.NaN, 5))), [2, 3.5, 3.5, Number.NaN, 1]);
  // scipy.stats.spearmanr([1,2,2,3,5,8],[3,1,4,1,5,9]).correlation = 0.6029411764705883
  const rho = pearson(ranks(f(1, 2, 2, 3, 5, 8)), ranks(f(3, 1, 4, 1, 5, 9)));
  assert.ok(Math.abs(rho - 0.6029411764705883) < 1e-12, `rho ${rho}`);
  // A monotone transform keeps Spearman at 1, whatever the tails.
  const x = f(1, 5, 2, 8, 3, 13);
  assert.equal(pearson(ranks(x), ranks(x.map((v) => Math.exp(v)))), 1);
  assert.ok(Number.isNaN(pearson(f(1, 1, 1), f(1, 2, 3))), 'a constant side has no correlation');
});

test('quantile edges drop duplicates, so a few-valued column gets one bin per value', () => {
  assert.deepEqual(Array.from(quantileEdges(f(0, 0, 0, 0, 1, 1, 1, 1, 1, 1))), [0, 1]);
  assert.equal(quantileEdges(Float64Array.from({ length: 1000 }, (_, i) => i)).length, 9);
});

test('identical data keeps every pair trend (score 1); shuffled columns lose them', () => {
  const real = correlatedTable(3000, 1);
  const same = pairTrends(alignTables({ real, synthetic: real }));
  assert.equal(same.score, 1);
  // income, balance, region, owner, bad (the id is left out): 10 pairs.
  assert.equal(same.pairsTotal, 10);
  assert.equal(same.pairsEvaluated, 10);
  const incomeBalance = same.pairs.find((p) => p.a === 'income' && p.b === 'balance');
  assert.equal(incomeBalance?.metric, 'correlation');
  assert.ok((incomeBalance?.real ?? 0) > 0.85, `rho ${incomeBalance?.real}`);
  assert.equal(same.pairs.find((p) => p.a === 'income' && p.b === 'region')?.metric, 'contingency');

  const shuffled = pairTrends(alignTables({ real, synthetic: shuffleColumns(real, 4) }));
  assert.ok(shuffled.score < 0.85, `shuffled pair trends ${shuffled.score}`);
  const broken = shuffled.pairs.find((p) => p.a === 'income' && p.b === 'balance');
  assert.ok(Math.abs(broken?.synthetic ?? 1) < 0.06, `shuffled rho ${broken?.synthetic}`);
  // 1 − |0.9 − 0| / 2 ≈ 0.55
  assert.ok((broken?.score ?? 1) < 0.6 && (broken?.score ?? 0) > 0.5, `score ${broken?.score}`);
});

test('wide data: pairs are capped to a seeded subset, said in the result', () => {
  const n = 50;
  const columns = Array.from({ length: 20 }, (_, k) => ({
    name: `x${k}`,
    kind: 'numeric' as const,
    values: Float64Array.from({ length: n }, (_, i) => Math.sin(i * (k + 1))),
  }));
  const table: Table = { nRows: n, columns };
  const trends = pairTrends(alignTables({ real: table, synthetic: table }), { maxPairs: 30, seed: 3 });
  assert.equal(trends.pairsTotal, 190);
  assert.equal(trends.pairsEvaluated, 30);
  const again = pairTrends(alignTables({ real: table, synthetic: table }), { maxPairs: 30, seed: 3 });
  assert.deepEqual(
    again.pairs.map((p) => `${p.a}/${p.b}`),
    trends.pairs.map((p) => `${p.a}/${p.b}`),
  );
});

test('the Spearman matrix covers the numeric columns and is symmetric', () => {
  const real = correlatedTable(500, 2);
  const m = spearmanMatrix(alignTables({ real, synthetic: real }), 'real');
  assert.deepEqual(m.names, ['income', 'balance', 'bad']);
  assert.equal(m.values[0], 1);
  assert.equal(m.values[1], m.values[3]);
});
