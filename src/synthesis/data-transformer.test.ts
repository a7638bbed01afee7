import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Table } from '../data/table.js';
import { ConfigError } from '../errors.js';
import { Random } from '../random.js';
import { ConditionSampler } from './condition-sampler.js';
import { DataTransformer, type NumericColumnInfo } from './data-transformer.js';

/** Bimodal amounts (one mode in the millions, one negative), an integer column, a spike, missing values. */
function mixedTable(n: number, seed: number): Table {
  const rng = new Random(seed);
  const amount = new Float64Array(n);
  const age = new Float64Array(n);
  const spiky = new Float64Array(n);
  const codes = new Int32Array(n);
  const flag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    amount[i] = rng.next() < 0.4 ? rng.normal(-20_000, 1_000) : rng.normal(2_000_000, 50_000);
    if (i % 10 === 3) amount[i] = Number.NaN;
    age[i] = Math.round(rng.normal(40, 8));
    spiky[i] = rng.next() < 0.6 ? 0 : Math.round(Math.exp(rng.normal(8, 0.5)));
    const u = rng.next();
    codes[i] = u < 0.7 ? 0 : u < 0.95 ? 1 : u < 0.99 ? 2 : 3;
    if (i % 50 === 7) codes[i] = -1;
    flag[i] = rng.next() < 0.2 ? 1 : 0;
  }
  return {
    nRows: n,
    columns: [
      { name: 'amount', kind: 'numeric', values: amount },
      { name: 'age', kind: 'numeric', values: age },
      { name: 'spiky', kind: 'numeric', values: spiky },
      { name: 'grade', kind: 'categorical', codes, dictionary: ['a', 'b', 'c', 'rare'] },
      { name: 'flag', kind: 'boolean', values: flag },
    ],
  };
}

function numeric(table: Table, name: string): Float64Array {
  const col = table.columns.find((c) => c.name === name);
  assert.ok(col && col.kind === 'numeric');
  return col.values;
}

test('mixture round trip: values come back within tolerance, missing stays missing, bimodal gets 2+ modes', () => {
  const table = mixedTable(4000, 1);
  const t = DataTransformer.fit(table, { seed: 3 });
  const amountInfo = t.state.columns[0] as NumericColumnInfo;
  assert.ok(amountInfo.means.length >= 2, `modes ${amountInfo.means.length}`);
  assert.ok(amountInfo.means.some((m) => m < 0) && amountInfo.means.some((m) => m > 1e6));
  assert.equal(amountInfo.hasMissing, true);
  assert.equal((t.state.columns[1] as NumericColumnInfo).integer, true);

  const x = t.transform(table, new Random(4));
  assert.equal(x.length, 4000 * t.width);
  for (const s of t.spans) {
    for (let r = 0; r < 4000; r++) {
      if (s.activation === 'tanh') {
        const v = x[r * t.width + s.start] as number;
        assert.ok(v >= -1 && v <= 1);
      } else {
        let sum = 0;
        for (let j = 0; j < s.width; j++) sum += x[r * t.width + s.start + j] as number;
        assert.equal(sum, 1, 'one-hot');
      }
    }
  }
  const back = t.inverse(x, 4000);
  assert.deepEqual(
    back.columns.map((c) => [c.name, c.kind]),
    table.columns.map((c) => [c.name, c.kind]),
  );
  for (const name of ['amount', 'age', 'spiky']) {
    const a = numeric(table, name);
    const b = numeric(back, name);
    let worst = 0;
    for (let i = 0; i < a.length; i++) {
      if (Number.isNaN(a[i] as number)) {
        assert.ok(Number.isNaN(b[i] as number), `${name} row ${i} should stay missing`);
        continue;
      }
      worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / (1 + Math.abs(a[i] as number)));
    }
    // Float32 scalars: relative error well under 1e-4 of the value (integers come back exact up to that).
    assert.ok(worst < 1e-4, `${name} worst relative error ${worst}`);
  }
  assert.deepEqual(Array.from(numeric(back, 'age')), Array.from(numeric(table, 'age')), 'integers exactly');
  const grade = back.columns[3];
  assert.ok(grade && grade.kind === 'categorical');
  assert.deepEqual(Array.from(grade.codes), Array.from((table.columns[3] as { codes: Int32Array }).codes));
  assert.deepEqual(Array.from(numeric(back, 'spiky')), Array.from(numeric(table, 'spiky')));
});

test('inverse keeps generated values inside the observed range and integer columns integral', () => {
  const table = mixedTable(1000, 2);
  const t = DataTransformer.fit(table, { seed: 1 });
  const rng = new Random(9);
  const x = new Float32Array(500 * t.width);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal(0, 2);
  const out = t.inverse(x, 500, rng, new Float32Array(t.numericCount).fill(0.5));
  const age = numeric(out, 'age');
  const realAge = numeric(table, 'age');
  const lo = Math.min(...realAge);
  const hi = Math.max(...realAge);
  for (const v of age) {
    assert.ok(Number.isInteger(v) && v >= lo && v <= hi, `age ${v}`);
  }
});

test('a constant column and an all-missing column are fitted without NaN modes', () => {
  const n = 200;
  const table: Table = {
    nRows: n,
    columns: [
      { name: 'const', kind: 'numeric', values: new Float64Array(n).fill(7) },
      { name: 'empty', kind: 'numeric', values: new Float64Array(n).fill(Number.NaN) },
    ],
  };
  const t = DataTransformer.fit(table, { seed: 1 });
  for (const c of t.state.columns as NumericColumnInfo[]) {
    for (const v of [...c.means, ...c.sds, ...c.weights]) assert.ok(Number.isFinite(v));
  }
  const back = t.inverse(t.transform(table, new Random(1)), n);
  assert.ok(numeric(back, 'const').every((v) => v === 7));
  assert.ok(numeric(back, 'empty').every((v) => Number.isNaN(v)));
});

test('identifier columns are refused with a ConfigError naming them', () => {
  const table: Table = {
    nRows: 2,
    columns: [
      { name: 'customer_id', kind: 'identifier', codes: Int32Array.from([0, 1]), dictionary: ['a', 'b'] },
      { name: 'x', kind: 'numeric', values: Float64Array.from([1, 2]) },
    ],
  };
  assert.throws(
    () => DataTransformer.fit(table),
    (e: unknown) => e instanceof ConfigError && e.code === 'unsupported_column_kind' && /customer_id/.test(e.message),
  );
});

test('training-by-sampling picks columns uniformly and categories by log-frequency; generation by true frequency', () => {
  const table = mixedTable(20_000, 3);
  const t = DataTransformer.fit(table, { seed: 1 });
  const x = t.transform(table, new Random(2));
  const sampler = new ConditionSampler(t, x, table.nRows);
  assert.deepEqual(
    sampler.columns.map((c) => c.name),
    ['grade', 'flag'],
  );
  const grade = sampler.columns[0];
  assert.ok(grade);
  const info = t.state.columns[3];
  assert.ok(info && info.type === 'discrete');
  const logs = info.counts.map((c) => Math.log(c + 1));
  const logTotal = logs.reduce((a, b) => a + b, 0);
  const draws = 60_000;
  const batch = sampler.trainingBatch(draws, new Random(5));
  const seen = new Array<number>(grade.width).fill(0);
  let gradeRows = 0;
  let badVectors = 0;
  let badRows = 0;
  for (let i = 0; i < draws; i++) {
    const c = batch.conditionColumn[i] as number;
    const slot = batch.slot[i] as number;
    const col = sampler.columns[c];
    assert.ok(col);
    // The conditional vector has exactly the chosen slot set …
    let ones = 0;
    for (let j = 0; j < sampler.condWidth; j++) ones += batch.cond[i * sampler.condWidth + j] as number;
    if (ones !== 1 || batch.cond[i * sampler.condWidth + col.condStart + slot] !== 1) badVectors++;
    // … and the real row drawn carries it.
    if (x[(batch.rows?.[i] as number) * t.width + col.dataStart + slot] !== 1) badRows++;
    if (c === 0) {
      gradeRows++;
      seen[slot] = (seen[slot] as number) + 1;
    }
  }
  assert.equal(badVectors, 0);
  assert.equal(badRows, 0);
  assert.ok(Math.abs(gradeRows / draws - 0.5) < 0.01, `grade chosen ${gradeRows / draws}`);
  for (const [slot, count] of seen.entries()) {
    const expected = (logs[slot] as number) / logTotal;
    assert.ok(Math.abs(count / gradeRows - expected) < 0.01, `slot ${slot}: ${count / gradeRows} vs ${expected}`);
  }
  // The rare level (1 %) is shown far more than its share.
  assert.ok((seen[3] as number) / gradeRows > 0.1);

  const gen = sampler.generationBatch(draws, new Random(6));
  const genSeen = new Array<number>(grade.width).fill(0);
  let genGrade = 0;
  for (let i = 0; i < draws; i++) {
    if (gen.conditionColumn[i] !== 0) continue;
    genGrade++;
    const slot = gen.slot[i] as number;
    genSeen[slot] = (genSeen[slot] as number) + 1;
  }
  const total = info.counts.reduce((a, b) => a + b, 0);
  for (const [slot, count] of genSeen.entries()) {
    assert.ok(Math.abs(count / genGrade - (info.counts[slot] as number) / total) < 0.01, `generation slot ${slot}`);
  }
});

test('fixed conditions: the right slot, and stable error codes for bad ones', () => {
  const table = mixedTable(500, 4);
  const t = DataTransformer.fit(table, { seed: 1 });
  const sampler = new ConditionSampler(t);
  const b = sampler.fixedBatch(3, { grade: 'rare' });
  const grade = sampler.columns[0];
  assert.ok(grade);
  for (let i = 0; i < 3; i++) assert.equal(b.cond[i * sampler.condWidth + grade.condStart + 3], 1);
  assert.equal(sampler.resolve({ flag: 'true' }).slot, 1);
  assert.equal(sampler.resolve({ flag: '0' }).slot, 0);
  const code = (conditions: Record<string, string>) => {
    try {
      sampler.resolve(conditions);
    } catch (e) {
      assert.ok(e instanceof ConfigError);
      return e.code;
    }
    return 'none';
  };
  assert.equal(code({ nope: 'a' }), 'unknown_condition_column');
  assert.equal(code({ amount: '1' }), 'numeric_condition_column');
  assert.equal(code({ grade: 'zzz' }), 'unknown_condition_value');
  assert.equal(code({ grade: 'a', flag: 'true' }), 'too_many_conditions');
});

test('datetime columns are modelled as numbers and come back as datetimes', () => {
  const rng = new Random(8);
  const n = 500;
  const at = new Float64Array(n);
  for (let i = 0; i < n; i++) at[i] = Date.UTC(2024, 0, 1) + Math.round(rng.next() * 86_400_000 * 365);
  const table: Table = { nRows: n, columns: [{ name: 'opened', kind: 'datetime', values: at }] };
  const t = DataTransformer.fit(table, { seed: 1 });
  const back = t.inverse(t.transform(table, new Random(2)), n);
  const col = back.columns[0];
  assert.ok(col && col.kind === 'datetime');
  let worstMs = 0;
  for (let i = 0; i < n; i++) worstMs = Math.max(worstMs, Math.abs((col.values[i] as number) - (at[i] as number)));
  // Float32 scalars over a year's span: within a few minutes.
  assert.ok(worstMs < 10 * 60_000, `worst ${worstMs} ms`);
});

test('few-valued integer columns are levels: exact round trip, conditions on them; many values or fractions stay mixtures', () => {
  const n = 3000;
  const rng = new Random(11);
  const target = new Float64Array(n);
  const status = new Float64Array(n);
  const wide = new Float64Array(n);
  const fraction = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    target[i] = rng.next() < 0.2 ? 1 : 0;
    status[i] = i % 97 === 5 ? Number.NaN : rng.int(11) - 2;
    wide[i] = rng.int(200);
    fraction[i] = rng.int(3) + 0.5;
  }
  const table: Table = {
    nRows: n,
    columns: [
      { name: 'target', kind: 'numeric', values: target },
      { name: 'status', kind: 'numeric', values: status },
      { name: 'wide', kind: 'numeric', values: wide },
      { name: 'fraction', kind: 'numeric', values: fraction },
    ],
  };
  const t = DataTransformer.fit(table, { seed: 3 });
  const types = t.state.columns.map((c) => `${c.type}:${c.kind}`);
  assert.deepEqual(types, ['discrete:numeric', 'discrete:numeric', 'numeric:numeric', 'numeric:numeric']);
  const status_ = t.state.columns[1];
  assert.ok(status_?.type === 'discrete');
  assert.deepEqual(status_.levels, ['-2', '-1', '0', '1', '2', '3', '4', '5', '6', '7', '8']);
  assert.equal(status_.hasMissing, true);
  const back = t.inverse(t.transform(table, new Random(4)), n);
  assert.deepEqual(numeric(back, 'target'), target);
  assert.deepEqual(numeric(back, 'status'), status);
  // The schema is unchanged: the levels come back as numbers.
  assert.deepEqual(t.schema, { columns: table.columns.map((c) => ({ name: c.name, kind: 'numeric' })) });
  const sampler = new ConditionSampler(t);
  assert.equal(sampler.resolve({ target: '1' }).slot, 1);
  assert.equal(sampler.resolve({ status: '-2' }).slot, 0);
  assert.throws(
    () => sampler.resolve({ wide: '3' }),
    (e: unknown) => e instanceof ConfigError && e.code === 'numeric_condition_column',
  );
});
