import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTable } from '../data/index.js';
import { type Column, findColumn, type Table } from '../data/table.js';
import { ConfigError, NotFittedError } from '../errors.js';
import { Random } from '../random.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { GaussianCopulaSynthesizer } from './gaussian-copula.js';
import { normalCdf, normalQuantile } from './normal-distribution.js';

function num(name: string, values: number[]): Column {
  return { name, kind: 'numeric', values: Float64Array.from(values) };
}

function valuesOf(table: Table, name: string): Float64Array {
  const col = findColumn(table, name);
  assert.ok(col && !('codes' in col), `${name} is a value column`);
  return col.values;
}

function codesOf(table: Table, name: string): Int32Array {
  const col = findColumn(table, name);
  assert.ok(col && 'codes' in col, `${name} is a dictionary column`);
  return col.codes;
}

function quantile(values: ArrayLike<number>, p: number): number {
  const sorted = Float64Array.from(values)
    .filter((v) => !Number.isNaN(v))
    .sort();
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

function mean(values: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i] as number;
  return s / values.length;
}

function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ma = mean(a);
  const mb = mean(b);
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** x, y standard bivariate normal with correlation rho; c = 'hi' when x > 0.5 else 'lo' (about 31 % hi). */
function bivariate(n: number, rho: number, seed: number): Table {
  const rng = new Random(seed);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const codes = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    const b = rng.normal();
    x[i] = a;
    y[i] = rho * a + Math.sqrt(1 - rho * rho) * b;
    codes[i] = a > 0.5 ? 1 : 0;
  }
  return {
    nRows: n,
    columns: [
      { name: 'x', kind: 'numeric', values: x },
      { name: 'y', kind: 'numeric', values: y },
      { name: 'c', kind: 'categorical', codes, dictionary: ['lo', 'hi'] },
    ],
  };
}

test('normal quantile and CDF are inverse to 1e-6 over the range used', () => {
  for (const p of [1e-9, 1e-4, 0.01, 0.02425, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-6]) {
    assert.ok(Math.abs(normalCdf(normalQuantile(p)) - p) < 1e-6 * Math.max(1, p / 1e-3), `p=${p}`);
  }
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963985) < 1e-8);
  assert.ok(Math.abs(normalCdf(-1) - 0.158655254) < 2e-7);
});

test('unfitted copula refuses to sample', async () => {
  await assert.rejects(new GaussianCopulaSynthesizer().sample(10), NotFittedError);
});

test('recovers the correlation of a known bivariate normal and its marginal quantiles', async () => {
  const real = bivariate(20_000, 0.7, 1);
  const copula = await new GaussianCopulaSynthesizer({ seed: 3 }).fit(real);
  const synth = await copula.sample(20_000, { seed: 9 });
  assert.equal(synth.nRows, 20_000);
  assert.deepEqual(
    synth.columns.map((c) => [c.name, c.kind]),
    real.columns.map((c) => [c.name, c.kind]),
  );
  const r = pearson(valuesOf(synth, 'x'), valuesOf(synth, 'y'));
  assert.ok(Math.abs(r - 0.7) < 0.03, `correlation ${r}`);
  for (const p of [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]) {
    const want = quantile(valuesOf(real, 'x'), p);
    const got = quantile(valuesOf(synth, 'x'), p);
    assert.ok(Math.abs(got - want) < 0.06, `x quantile ${p}: ${got} vs ${want}`);
  }
  // The range is kept: the quantile table's end knots are the data's minimum and maximum.
  const xs = valuesOf(real, 'x');
  const ss = valuesOf(synth, 'x');
  assert.ok(Math.min(...ss) >= Math.min(...xs) && Math.max(...ss) <= Math.max(...xs));
  const hiShare = mean(Array.from(codesOf(synth, 'c'), (c) => (c === 1 ? 1 : 0)));
  const realHi = mean(Array.from(codesOf(real, 'c'), (c) => (c === 1 ? 1 : 0)));
  assert.ok(Math.abs(hiShare - realHi) < 0.015, `category share ${hiShare} vs ${realHi}`);
});

test('exact conditional sampling: every row carries the condition, with the distribution rejection would give', async () => {
  const real = bivariate(20_000, 0.6, 2);
  const copula = await new GaussianCopulaSynthesizer({ seed: 1 }).fit(real);
  const hi = await copula.sample(40_000, { conditions: { c: 'hi' }, seed: 4 });
  assert.ok(
    codesOf(hi, 'c').every((c) => c === 1),
    '100 % carry c=hi',
  );
  // The model's own answer, in closed form: with latent correlation r between x and c and c = hi on
  // the latent interval [Φ⁻¹(a), ∞), E[z_x | hi] = r φ(l) / (1 − Φ(l)), and x's marginal is N(0, 1).
  const { values: corr, nDims } = copula.latentCorrelation;
  const cMarginal = copula.columnMarginals.find((m) => m.column === 'c');
  assert.ok(cMarginal?.type === 'discrete');
  const hiLevel = cMarginal.levels.indexOf(1);
  const lower = normalQuantile(hiLevel === 0 ? 0 : (cMarginal.cumulative[hiLevel - 1] as number));
  const upper = normalQuantile(cMarginal.cumulative[hiLevel] as number);
  const phi = (z: number) => Math.exp((-z * z) / 2) / Math.sqrt(2 * Math.PI);
  const r = corr[cMarginal.dim * nDims] as number;
  const expected = (r * (phi(lower) - phi(upper))) / (normalCdf(upper) - normalCdf(lower));
  const gotX = mean(valuesOf(hi, 'x'));
  assert.ok(Math.abs(gotX - expected) < 0.03, `E[x | hi] ${gotX} vs ${expected} in closed form`);
  // The same as keeping the hi rows of unconditional draws (what rejection sampling would return).
  const all = await copula.sample(100_000, { seed: 6 });
  const kept = valuesOf(all, 'x').filter((_, i) => codesOf(all, 'c')[i] === 1);
  assert.ok(Math.abs(gotX - mean(kept)) < 0.03, `E[x | hi] ${gotX} vs ${mean(kept)} by rejection`);
  assert.ok(
    Math.abs(mean(valuesOf(hi, 'y')) - mean(valuesOf(all, 'y').filter((_, i) => codesOf(all, 'c')[i] === 1))) < 0.03,
  );
  // The data's direction is kept (x is high when c = hi), though a copula attenuates a hard threshold.
  assert.ok(gotX > 0.5, `E[x | hi] = ${gotX}`);
  const lo = await copula.sample(5_000, { conditions: { c: 'lo' }, seed: 5 });
  assert.ok(codesOf(lo, 'c').every((c) => c === 0));
  assert.ok(mean(valuesOf(lo, 'x')) < -0.2);
});

test('condition errors name the problem and the allowed values', async () => {
  const copula = await new GaussianCopulaSynthesizer().fit(bivariate(500, 0.5, 3));
  const code = async (conditions: Record<string, string>) => {
    try {
      await copula.sample(10, { conditions });
      return 'none';
    } catch (error) {
      assert.ok(error instanceof ConfigError);
      return `${error.code}: ${error.message}`;
    }
  };
  assert.match(await code({ nope: '1' }), /^unknown_condition_column/);
  assert.match(await code({ x: '1' }), /^condition_not_discrete/);
  assert.match(await code({ c: 'mid' }), /^unknown_condition_value: .*allowed: lo, hi|allowed: hi, lo/);
  assert.match(await code({ c: 'hi', x: '1' }), /^too_many_conditions/);
});

test('numeric missing share and its dependence survive; integers stay integers', async () => {
  const rng = new Random(5);
  const n = 10_000;
  const income: number[] = [];
  const debt: number[] = [];
  const flag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    // Income is missing for 20 % of the rows, mostly where `a` is low; debt is an integer amount.
    income.push(a < -0.84 ? Number.NaN : Math.round(3000 + 800 * a) + 0.25);
    debt.push(Math.round(5000 + 2000 * a + 500 * rng.normal()));
    flag[i] = a > 1 ? 1 : 0;
  }
  const real: Table = {
    nRows: n,
    columns: [num('income', income), num('debt', debt), { name: 'vip', kind: 'boolean', values: flag }],
  };
  const copula = await new GaussianCopulaSynthesizer({ seed: 2 }).fit(real);
  const synth = await copula.sample(n, { seed: 3 });
  const inc = valuesOf(synth, 'income');
  const missing = inc.filter(Number.isNaN).length / n;
  assert.ok(Math.abs(missing - 0.2) < 0.02, `missing share ${missing}`);
  // Rows with income missing have lower debt (both follow `a`).
  const debtS = valuesOf(synth, 'debt');
  const debtWhenMissing = mean(debtS.filter((_, i) => Number.isNaN(inc[i] as number)));
  const debtWhenPresent = mean(debtS.filter((_, i) => !Number.isNaN(inc[i] as number)));
  assert.ok(debtWhenMissing < debtWhenPresent - 1000, `${debtWhenMissing} vs ${debtWhenPresent}`);
  assert.ok(debtS.every(Number.isInteger));
  // Two decimals in the data → samples rounded to two decimals (x.25 here, or interpolated values).
  assert.ok(inc.every((v) => Number.isNaN(v) || Math.abs(v * 100 - Math.round(v * 100)) < 1e-6));
  const vip = valuesOf(synth, 'vip');
  assert.ok(vip.every((v) => v === 0 || v === 1));
  assert.ok(Math.abs(mean(vip) - mean(flag)) < 0.015);
  const vipRows = await copula.sample(2_000, { conditions: { vip: 'true' }, seed: 1 });
  assert.ok(valuesOf(vipRows, 'vip').every((v) => v === 1));
  assert.ok(
    mean(valuesOf(vipRows, 'debt')) > mean(debt) + 1000,
    `vip rows carry high debt: ${mean(valuesOf(vipRows, 'debt'))}`,
  );
});

test('Taiwan: 100,000 rows conditioned on target = 1 all carry it, with the class mix of the defaulters', async () => {
  const { table } = await readTable(join(SHARED_DATA, 'taiwan_credit.csv'));
  const features: Table = {
    nRows: table.nRows,
    columns: table.columns.filter((c) => c.kind !== 'identifier' && c.kind !== 'datetime' && c.name !== '_is_test'),
  };
  const copula = await new GaussianCopulaSynthesizer({ seed: 1 }).fit(features);
  const target = copula.columnMarginals.find((m) => m.column === 'target');
  assert.equal(target?.type, 'discrete', 'a 0/1 target is a discrete column');
  const synth = await copula.sample(100_000, { conditions: { target: '1' }, seed: 2 });
  assert.ok(valuesOf(synth, 'target').every((v) => v === 1));
  // Defaulters are late more often: pay_0 (months late last month) has a higher mean given target = 1.
  const realPay = valuesOf(features, 'pay_0');
  const realTarget = valuesOf(features, 'target');
  const realMean1 = mean(realPay.filter((_, i) => realTarget[i] === 1));
  const realMean0 = mean(realPay.filter((_, i) => realTarget[i] === 0));
  const synthMean1 = mean(valuesOf(synth, 'pay_0'));
  assert.ok(
    synthMean1 > (realMean0 + realMean1) / 2,
    `pay_0 | target=1: ${synthMean1} (real ${realMean1}, ${realMean0} for 0)`,
  );
  const limit = valuesOf(synth, 'limit_bal');
  assert.ok(limit.every(Number.isInteger) && Math.min(...limit) >= Math.min(...valuesOf(features, 'limit_bal')));
});
