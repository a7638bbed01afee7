import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Column, DictionaryColumn, Table } from '../data/table.js';
import { takeTableRows } from '../data/table.js';
import { BundleError, ConfigError, DataError, NotFittedError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { Random } from '../random.js';
import { TabularPipeline, type TabularPipelineState } from './index.js';

// ---- tiny table builders -------------------------------------------------------------------

function num(name: string, values: (number | null)[]): Column {
  return { name, kind: 'numeric', values: Float64Array.from(values, (v) => (v === null ? Number.NaN : v)) };
}

function bool(name: string, values: (boolean | null)[]): Column {
  return { name, kind: 'boolean', values: Float64Array.from(values, (v) => (v === null ? Number.NaN : v ? 1 : 0)) };
}

/** Dictionary in first-seen order unless given, so tests can make scoring dictionaries differ. */
function cat(
  name: string,
  values: (string | null)[],
  kind: 'categorical' | 'identifier' = 'categorical',
  dictionary?: string[],
): DictionaryColumn {
  const dict = dictionary ? [...dictionary] : [];
  const index = new Map(dict.map((s, i) => [s, i]));
  const codes = Int32Array.from(values, (v) => {
    if (v === null) return -1;
    let code = index.get(v);
    if (code === undefined) {
      code = dict.length;
      dict.push(v);
      index.set(v, code);
    }
    return code;
  });
  return { name, kind, codes, dictionary: dict };
}

function datetime(name: string, ms: number[]): Column {
  return { name, kind: 'datetime', values: Float64Array.from(ms) };
}

function table(...columns: Column[]): Table {
  const nRows =
    columns[0] === undefined ? 0 : 'codes' in columns[0] ? columns[0].codes.length : columns[0].values.length;
  return { nRows, columns };
}

function rep<T>(value: T, n: number): T[] {
  return Array.from({ length: n }, () => value);
}

/** Column `name` of the output as plain numbers. */
function feature(p: TabularPipeline, m: Matrix, name: string): number[] {
  const c = p.featureNames.indexOf(name);
  assert.ok(c >= 0, `no feature ${name} in ${p.featureNames.join(', ')}`);
  return Array.from({ length: m.nRows }, (_, r) => m.data[r * m.nCols + c] as number);
}

function stateOf(p: TabularPipeline, column: string) {
  const step = p.toJSON().steps.find((s) => s.column === column);
  assert.ok(step, `no step for ${column}`);
  return step;
}

function meanSd(xs: number[]): { mean: number; sd: number } {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return { mean, sd };
}

const close = (a: number, b: number, tol = 1e-5) => assert.ok(Math.abs(a - b) <= tol, `${a} ≉ ${b}`);

/** Options that switch off clipping and log so a test can isolate one step. */
const plain = { clipQuantiles: [0, 1] as [number, number], logTransform: 'none' as const };

// ---- numeric ---------------------------------------------------------------------------------

test('numeric: median imputation and a __missing indicator when training had missing values', () => {
  const t = table(num('x', [1, 2, null, 4, 10]), num('y', [5, 6, 7, 8, 9]));
  const p = new TabularPipeline(plain).fit(t);
  assert.deepEqual(p.featureNames, ['x', 'x__missing', 'y']);
  const step = stateOf(p, 'x');
  assert.equal(step.encoding, 'numeric');
  assert.equal(step.encoding === 'numeric' && step.fill, 3); // median of 1, 2, 4, 10
  const m = p.transform(t);
  assert.deepEqual(feature(p, m, 'x__missing'), [0, 0, 1, 0, 0]);
  // The missing row encodes exactly like a row holding the median would.
  const probe = p.transform(table(num('x', [3]), num('y', [5])));
  assert.equal(feature(p, m, 'x')[2], probe.data[0]);
});

test('numeric: clipped to the training quantiles', () => {
  const values = Array.from({ length: 11 }, (_, i) => i); // 0..10
  const t = table(num('x', values));
  const p = new TabularPipeline({ clipQuantiles: [0.1, 0.9], logTransform: 'none' }).fit(t);
  const step = stateOf(p, 'x');
  assert.ok(step.encoding === 'numeric');
  assert.deepEqual(step.clip, [1, 9]);
  const out = feature(p, p.transform(t), 'x');
  assert.equal(out[0], out[1]); // 0 clipped up to 1
  assert.equal(out[10], out[9]); // 10 clipped down to 9
  assert.ok((out[1] as number) < (out[2] as number));
  // Scoring-time extremes (including infinities) land on the bounds too.
  const far = p.transform(table(num('x', [-1e9, 1e9, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY])));
  assert.deepEqual(Array.from(far.data), [out[1], out[9], out[1], out[9]]);
});

test('numeric: standardised to mean 0, sd 1 on the training rows (imputed rows included)', () => {
  const rng = new Random(7);
  const values = Array.from({ length: 3000 }, (_, i) => (i % 10 === 0 ? null : rng.normal(40, 12)));
  const t = table(num('age', values));
  const p = new TabularPipeline().fit(t);
  const { mean, sd } = meanSd(feature(p, p.transform(t), 'age'));
  close(mean, 0, 1e-5);
  close(sd, 1, 1e-5);
});

test('numeric: log1p chosen for a right-skewed amount, not for a symmetric or signed column', () => {
  const rng = new Random(11);
  const n = 5000;
  const amount = Array.from({ length: n }, () => Math.round(Math.exp(rng.normal(5, 1.5)) * 100) / 100);
  const symmetric = Array.from({ length: n }, () => rng.normal(50, 10));
  const signed = amount.map((a, i) => (i % 2 === 0 ? a : -a));
  const t = table(num('amount', amount), num('score', symmetric), num('balance', signed));
  const p = new TabularPipeline().fit(t);
  const log1pOf = (c: string) => {
    const s = stateOf(p, c);
    assert.ok(s.encoding === 'numeric');
    return s.log1p;
  };
  assert.equal(log1pOf('amount'), true);
  assert.equal(log1pOf('score'), false);
  assert.equal(log1pOf('balance'), false);
  // Log-space statistics: the output is close to symmetric now.
  const out = feature(p, p.transform(t), 'amount');
  const { mean, sd } = meanSd(out);
  close(mean, 0, 1e-5);
  close(sd, 1, 1e-5);
  assert.equal(
    new TabularPipeline({ logTransform: 'none' })
      .fit(t)
      .toJSON()
      .steps.some((s) => 'log1p' in s && s.log1p),
    false,
  );
  // A negative value at scoring in a log column does not produce NaN.
  const scored = new TabularPipeline()
    .fit(t)
    .transform(table(num('amount', [-5]), num('score', [1]), num('balance', [0])));
  assert.ok(Number.isFinite(scored.data[0]));
});

test('numeric: a mostly-zero column is not clipped flat', () => {
  const values = [...rep(0, 997), 50, 500, 5000];
  const p = new TabularPipeline().fit(table(num('chargebacks', values)));
  const step = stateOf(p, 'chargebacks');
  assert.ok(step.encoding === 'numeric');
  assert.ok(step.log1p);
  assert.deepEqual(step.clip, [0, Math.log1p(5000)]);
  const out = feature(p, p.transform(table(num('chargebacks', [0, 50, 500, 5000]))), 'chargebacks');
  assert.ok(
    (out[0] as number) < (out[1] as number) &&
      (out[1] as number) < (out[2] as number) &&
      (out[2] as number) < (out[3] as number),
  );
  assert.ok(p.warnings.some((w) => w.includes('chargebacks') && w.includes('training min and max')));
});

// ---- boolean ---------------------------------------------------------------------------------

test('boolean: 0/1 as is, missing → majority plus indicator', () => {
  const t = table(bool('has_phone', [true, true, false, null, true]));
  const p = new TabularPipeline().fit(t);
  assert.deepEqual(p.featureNames, ['has_phone', 'has_phone__missing']);
  assert.deepEqual(Array.from(p.transform(t).data), [1, 0, 1, 0, 0, 0, 1, 1, 1, 0]);
});

// ---- categorical -----------------------------------------------------------------------------

test('categorical: rare categories grouped into __other__, one-hot with __unknown__', () => {
  const values = [...rep('car', 30), ...rep('tv', 20), ...rep('boat', 3), ...rep('yacht', 2)];
  const t = table(cat('purpose', values));
  const p = new TabularPipeline({ rareCategoryMinCount: 5 }).fit(t);
  assert.deepEqual(p.featureNames, ['purpose=car', 'purpose=tv', 'purpose=__other__', 'purpose=__unknown__']);
  const step = stateOf(p, 'purpose');
  assert.ok(step.encoding === 'one-hot');
  assert.deepEqual(step.otherLevels, ['boat', 'yacht']);
  const m = p.transform(t);
  assert.deepEqual(feature(p, m, 'purpose=__other__'), [...rep(0, 50), ...rep(1, 5)]);
  assert.deepEqual(feature(p, m, 'purpose=__unknown__'), rep(0, 55));
  // Each row has exactly one 1.
  for (let r = 0; r < m.nRows; r++) {
    assert.equal(
      m.data.subarray(r * m.nCols, (r + 1) * m.nCols).reduce((a, b) => a + b, 0),
      1,
    );
  }
});

test('categorical: scoring matches by string, never-seen categories set __unknown__', () => {
  const t = table(cat('purpose', [...rep('car', 10), ...rep('tv', 10), ...rep('boat', 2)]));
  const p = new TabularPipeline({ rareCategoryMinCount: 5 }).fit(t);
  // Different dictionary and order at scoring time: codes mean something else here.
  const scoring = table(
    cat('purpose', ['tv', 'spaceship', 'car', 'boat', null], 'categorical', ['spaceship', 'tv', 'boat', 'car']),
  );
  const m = p.transform(scoring);
  assert.deepEqual(p.featureNames, ['purpose=car', 'purpose=tv', 'purpose=__other__', 'purpose=__unknown__']);
  assert.deepEqual(Array.from(m.data), [
    ...[0, 1, 0, 0], // tv
    ...[0, 0, 0, 1], // spaceship → unknown
    ...[1, 0, 0, 0], // car
    ...[0, 0, 1, 0], // boat: seen in training but rare → other
    ...[1, 0, 0, 0], // missing, none in training → most frequent (car)
  ]);
});

test('categorical: frequent missing values get a __missing__ level, rare ones the most frequent category', () => {
  const frequent = table(cat('job', [...rep('a', 10), ...rep('b', 6), ...rep(null, 5)]));
  const p1 = new TabularPipeline({ rareCategoryMinCount: 5 }).fit(frequent);
  assert.deepEqual(p1.featureNames, ['job=a', 'job=b', 'job=__missing__', 'job=__unknown__']);
  assert.deepEqual(feature(p1, p1.transform(frequent), 'job=__missing__'), [...rep(0, 16), ...rep(1, 5)]);

  const rare = table(cat('job', [...rep('a', 6), ...rep('b', 10), null]));
  const p2 = new TabularPipeline({ rareCategoryMinCount: 5 }).fit(rare);
  assert.deepEqual(p2.featureNames, ['job=a', 'job=b', 'job=__unknown__']);
  assert.deepEqual(Array.from(p2.transform(table(cat('job', [null]))).data), [0, 1, 0]);

  const off = new TabularPipeline({ rareCategoryMinCount: 5, missingIndicators: false }).fit(frequent);
  assert.deepEqual(off.featureNames, ['job=a', 'job=b', 'job=__unknown__']);
});

test('categorical: maxCategories caps the width and warns', () => {
  const values: string[] = [];
  for (let k = 0; k < 8; k++) values.push(...rep(`m${k}`, 20 + k));
  const p = new TabularPipeline({ rareCategoryMinCount: 1, maxCategories: 3 }).fit(table(cat('merchant', values)));
  assert.deepEqual(p.featureNames, [
    'merchant=m5',
    'merchant=m6',
    'merchant=m7',
    'merchant=__other__',
    'merchant=__unknown__',
  ]);
  assert.ok(p.warnings.some((w) => w.includes('merchant has 8 categories') && w.includes('3 most frequent')));
});

test('default rare threshold is max(10, 0.5 % of training rows)', () => {
  const values = [...rep('a', 500), ...rep('b', 480), ...rep('c', 11), ...rep('d', 9)];
  const p = new TabularPipeline().fit(table(cat('c', values)));
  assert.equal(p.toJSON().rareCategoryMinCount, 10);
  assert.deepEqual(p.featureNames, ['c=a', 'c=b', 'c=c', 'c=__other__', 'c=__unknown__']);
});

// ---- scoring-time missing values -------------------------------------------------------------

test('missing values at scoring in columns that had none in training are imputed, no new columns', () => {
  const t = table(
    num('x', [1, 2, 3, 4, 5]),
    bool('b', [true, true, true, false, false]),
    cat('c', ['u', 'u', 'u', 'v', 'v']),
  );
  const p = new TabularPipeline({ ...plain, rareCategoryMinCount: 1 }).fit(t);
  assert.deepEqual(p.featureNames, ['x', 'b', 'c=u', 'c=v', 'c=__unknown__']);
  const m = p.transform(table(num('x', [null]), bool('b', [null]), cat('c', [null])));
  const median = p.transform(table(num('x', [3]), bool('b', [true]), cat('c', ['u'])));
  assert.deepEqual(Array.from(m.data), Array.from(median.data));
  assert.ok(m.data.every(Number.isFinite));
});

// ---- training rows only ----------------------------------------------------------------------

test('fit uses only trainRows: an outlier and a new category in a test row move nothing', () => {
  const rng = new Random(3);
  const n = 400;
  const x = Array.from({ length: n }, () => rng.normal(100, 15));
  const c = Array.from({ length: n }, (_, i) => ['a', 'b', 'c'][i % 3] as string);
  const testRow = 17;
  x[testRow] = 1e12;
  c[testRow] = 'only-in-test';
  const t = table(
    num('x', x),
    cat('c', c),
    bool(
      'flag',
      Array.from({ length: n }, (_, i) => i % 4 === 0),
    ),
  );
  const trainRows = Int32Array.from({ length: n }, (_, i) => i).filter((i) => i % 5 !== 2); // 17 % 5 === 2
  assert.ok(!trainRows.includes(testRow));

  const p = new TabularPipeline().fit(t, trainRows);
  const onTrainOnly = new TabularPipeline().fit(takeTableRows(t, trainRows));
  assert.deepEqual(p.toJSON().steps, onTrainOnly.toJSON().steps);
  assert.equal(p.toJSON().nTrainRows, trainRows.length);
  // And the full-table fit really is different, so the test can fail.
  assert.notDeepEqual(new TabularPipeline().fit(t).toJSON().steps, p.toJSON().steps);

  const m = p.transform(t);
  assert.equal(m.nRows, n);
  assert.equal(feature(p, m, 'c=__unknown__')[testRow], 1);
  const train = Array.from(trainRows, (r) => feature(p, m, 'x')[r] as number);
  const { mean, sd } = meanSd(train);
  close(mean, 0, 1e-5);
  close(sd, 1, 1e-5);
});

test('fit rejects empty or out-of-range trainRows', () => {
  const t = table(num('x', [1, 2, 3]));
  assert.throws(() => new TabularPipeline().fit(t, new Int32Array(0)), { code: 'invalid_rows' });
  assert.throws(() => new TabularPipeline().fit(t, Int32Array.of(0, 3)), { code: 'invalid_rows' });
});

// ---- dropped and excluded columns --------------------------------------------------------------

test('constant and all-missing columns are dropped with a warning naming them', () => {
  const t = table(
    num('x', [1, 2, 3, 4]),
    num('three', [3, 3, 3, 3]),
    num('empty', [null, null, null, null]),
    cat('country', ['DE', 'DE', 'DE', 'DE']),
    bool('always', [true, true, true, true]),
    num('sometimes', [7, null, 7, null]),
  );
  const p = new TabularPipeline({ rareCategoryMinCount: 1 }).fit(t);
  assert.deepEqual(p.featureNames, ['x', 'sometimes__missing']);
  assert.deepEqual(p.warnings, [
    'column three is constant (value 3) in the training data; dropped',
    'column empty is missing in every training row; dropped',
    'column country is constant (value "DE") in the training data; dropped',
    'column always is constant (value true) in the training data; dropped',
    'column sometimes is constant (value 7) where present in the training data; only sometimes__missing is kept',
  ]);
  assert.deepEqual(
    p.inputColumns.map((c) => c.name),
    ['x', 'sometimes'],
  );
  // Dropped columns are not needed at scoring time.
  const m = p.transform(table(num('x', [2]), num('sometimes', [null])));
  assert.equal(m.data[1], 1);
});

test('a boolean constant where present keeps only its missing indicator', () => {
  const t = table(num('x', [1, 2, 3, 4]), bool('flag', [false, null, false, false]));
  const p = new TabularPipeline().fit(t);
  assert.deepEqual(p.featureNames, ['x', 'flag__missing']);
  assert.deepEqual(p.warnings, [
    'column flag is constant (value false) where present in the training data; only flag__missing is kept',
  ]);
  const m = p.transform(table(num('x', [2, 3]), bool('flag', [null, true])));
  assert.deepEqual([m.data[1], m.data[3]], [1, 0]);
});

test('a column constant only on the training rows is dropped', () => {
  const t = table(num('x', [1, 2, 3, 4]), num('k', [5, 5, 5, 99]));
  const p = new TabularPipeline().fit(t, Int32Array.of(0, 1, 2));
  assert.deepEqual(p.featureNames, ['x']);
  assert.ok(p.warnings.includes('column k is constant (value 5) in the training data; dropped'));
});

test('identifier and datetime columns are excluded by default and reported; exclude is honoured', () => {
  const t = table(
    cat('id', ['1', '2', '3', '4'], 'identifier'),
    datetime('ts', [0, 1000, 2000, 3000]),
    num('amount', [1, 2, 3, 40]),
    cat('target', ['good', 'bad', 'good', 'bad']),
  );
  const p = new TabularPipeline({ exclude: ['target', 'not-there'] }).fit(t);
  assert.deepEqual(p.featureNames, ['amount']);
  assert.deepEqual(p.inputColumns, [{ name: 'amount', kind: 'numeric' }]);
  assert.deepEqual(p.warnings, [
    'column id is an identifier; excluded from features',
    'column ts is a datetime; excluded from features',
  ]);
});

test('features selects and orders columns; an identifier listed there is one-hot encoded; datetime refused', () => {
  const t = table(num('a', [1, 2, 3, 4]), num('b', [4, 3, 2, 9]), cat('code', ['x', 'x', 'y', 'y'], 'identifier'));
  const p = new TabularPipeline({ features: ['b', 'code', 'a'], rareCategoryMinCount: 1 }).fit(t);
  assert.deepEqual(p.featureNames, ['b', 'code=x', 'code=y', 'code=__unknown__', 'a']);
  assert.deepEqual(p.inputColumns, [
    { name: 'b', kind: 'numeric' },
    { name: 'code', kind: 'identifier' },
    { name: 'a', kind: 'numeric' },
  ]);
  assert.throws(
    () => new TabularPipeline({ features: ['a', 'nope', 'gone'] }).fit(t),
    (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.code, 'missing_column');
      assert.match(e.message, /nope, gone/);
      return true;
    },
  );
  const withTs = table(num('a', [1, 2]), datetime('ts', [0, 1]));
  assert.throws(() => new TabularPipeline({ features: ['a', 'ts'] }).fit(withTs), { code: 'unsupported_feature_kind' });
});

test('fit with nothing usable is an error', () => {
  assert.throws(() => new TabularPipeline().fit(table(num('k', [1, 1, 1]))), { code: 'no_features' });
});

test('a category name that clashes with an encoded name is an error, not a silent duplicate', () => {
  const t = table(cat('c', [...rep('__unknown__', 5), ...rep('a', 5)]));
  assert.throws(() => new TabularPipeline({ rareCategoryMinCount: 1 }).fit(t), { code: 'duplicate_feature_name' });
});

// ---- scoring-time schema errors ---------------------------------------------------------------

test('transform names every missing column, and reports wrong kinds', () => {
  const t = table(num('x', [1, 2, 3]), num('y', [3, 2, 1]), cat('c', ['a', 'b', 'a']), bool('f', [true, false, true]));
  const p = new TabularPipeline({ rareCategoryMinCount: 1 }).fit(t);
  assert.throws(
    () => p.transform(table(num('y', [1]))),
    (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.code, 'missing_column');
      assert.match(e.message, /x, c, f/);
      assert.deepEqual(
        e.issues.map((i) => i.path[0]),
        ['x', 'c', 'f'],
      );
      return true;
    },
  );
  assert.throws(
    () => p.transform(table(num('x', [1]), cat('y', ['1']), cat('c', ['a']), num('f', [1]))),
    (e: unknown) => {
      assert.ok(e instanceof DataError);
      assert.equal(e.code, 'wrong_column_kind');
      assert.deepEqual(
        e.issues.map((i) => i.path[0]),
        ['y', 'f'],
      );
      return true;
    },
  );
  // Extra columns and a different column order are fine.
  const m = p.transform(table(bool('f', [true]), cat('extra', ['z']), cat('c', ['b']), num('y', [1]), num('x', [1])));
  assert.deepEqual(m.nCols, p.featureNames.length);
});

// ---- lifecycle and persistence -----------------------------------------------------------------

test('learned state does not exist before fit', () => {
  const p = new TabularPipeline();
  assert.throws(() => p.transform(table(num('x', [1]))), NotFittedError);
  assert.throws(() => p.featureNames, NotFittedError);
  assert.throws(() => p.inputColumns, NotFittedError);
  assert.throws(() => p.warnings, NotFittedError);
  assert.throws(() => p.toJSON(), NotFittedError);
});

test('parameters are validated at construction and kept as given', () => {
  assert.throws(
    () =>
      new TabularPipeline({
        clipQuantiles: [0.9, 0.1],
        maxCategories: 0,
        // @ts-expect-error: checking the runtime guard
        logTransform: 'always',
        features: ['a'],
        exclude: ['a'],
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.equal(e.code, 'invalid_params');
      assert.deepEqual(
        e.issues.map((i) => i.path[0]),
        ['features', 'clipQuantiles', 'logTransform', 'maxCategories'],
      );
      return true;
    },
  );
  const params = { exclude: ['target'] };
  const p = new TabularPipeline(params);
  assert.equal(p.params, params);
  p.fit(table(num('x', [1, 2]), num('target', [0, 1])));
  assert.deepEqual(p.toJSON().params, { exclude: ['target'] });
});

function mixedTable(n: number, seed: number): Table {
  const rng = new Random(seed);
  // Cumulative shares: six common purposes, two rare ones (< 10 rows in 2000), ~4.5 % missing.
  const purposes: [string | null, number][] = [
    ['car', 0.3],
    ['tv', 0.55],
    ['education', 0.7],
    ['business', 0.8],
    ['repairs', 0.88],
    ['vacation', 0.95],
    ['rare-1', 0.953],
    ['rare-2', 0.955],
    [null, 1],
  ];
  return table(
    cat(
      'id',
      Array.from({ length: n }, (_, i) => `id-${i}`),
      'identifier',
    ),
    num(
      'amount',
      Array.from({ length: n }, () => (rng.next() < 0.05 ? null : Math.exp(rng.normal(7, 1.2)))),
    ),
    num(
      'age',
      Array.from({ length: n }, () => Math.round(rng.normal(38, 11))),
    ),
    num(
      'n_credits',
      Array.from({ length: n }, () => 1 + rng.int(4)),
    ),
    bool(
      'has_phone',
      Array.from({ length: n }, () => (rng.next() < 0.02 ? null : rng.next() < 0.4)),
    ),
    cat(
      'purpose',
      Array.from({ length: n }, () => {
        const u = rng.next();
        return (purposes.find(([, cum]) => u < cum) as [string | null, number])[0];
      }),
    ),
    num(
      'target',
      Array.from({ length: n }, () => (rng.next() < 0.2 ? 1 : 0)),
    ),
  );
}

test('toJSON/fromJSON round trip: plain JSON and a byte-identical transform', () => {
  const t = mixedTable(3000, 5);
  const trainRows = Int32Array.from({ length: 2000 }, (_, i) => i);
  const p = new TabularPipeline({ exclude: ['target'] }).fit(t, trainRows);
  const state = p.toJSON();
  const text = JSON.stringify(state);
  // Nothing lost in JSON: no typed arrays, NaN or Infinity (they would not survive).
  assert.deepEqual(JSON.parse(text), state);
  const restored = TabularPipeline.fromJSON(JSON.parse(text));
  assert.deepEqual(restored.featureNames, p.featureNames);
  assert.deepEqual(restored.inputColumns, p.inputColumns);
  assert.deepEqual(restored.warnings, p.warnings);
  const a = p.transform(t);
  const b = restored.transform(t);
  assert.deepEqual(new Uint8Array(b.data.buffer), new Uint8Array(a.data.buffer));
  assert.equal(JSON.stringify(restored.toJSON()), text);
  // toJSON hands out a copy: editing it does not change the pipeline.
  (state.steps[0] as { column: string }).column = 'changed';
  assert.notEqual(p.toJSON().steps[0]?.column, 'changed');
});

test('fromJSON rejects malformed state with every problem listed', () => {
  const p = new TabularPipeline({ exclude: ['target'] }).fit(mixedTable(500, 1));
  const good = p.toJSON();
  assert.throws(() => TabularPipeline.fromJSON(null), BundleError);
  assert.throws(
    () => TabularPipeline.fromJSON({ ...good, kind: 'other', version: 2 }),
    (e: unknown) => {
      assert.ok(e instanceof BundleError);
      assert.equal(e.code, 'invalid_preprocessing_state');
      assert.deepEqual(
        e.issues.map((i) => i.path.join('.')),
        ['kind', 'version'],
      );
      return true;
    },
  );
  const broken = structuredClone(good) as TabularPipelineState;
  const numeric = broken.steps.find((s) => s.encoding === 'numeric');
  assert.ok(numeric);
  (numeric as { std: unknown }).std = null;
  assert.throws(() => TabularPipeline.fromJSON(broken), /std/);
  assert.throws(() => TabularPipeline.fromJSON({ ...good, featureNames: ['x'] }), /featureNames/);
});

test('featureNames order is stable: table order, levels in string order, specials last', () => {
  const t = mixedTable(2000, 9);
  const p = new TabularPipeline({ exclude: ['target'] }).fit(t);
  assert.deepEqual(p.featureNames, [
    'amount',
    'amount__missing',
    'age',
    'n_credits',
    'has_phone',
    'has_phone__missing',
    'purpose=business',
    'purpose=car',
    'purpose=education',
    'purpose=repairs',
    'purpose=tv',
    'purpose=vacation',
    'purpose=__missing__',
    'purpose=__other__',
    'purpose=__unknown__',
  ]);
  // Same names from a fit on the rows in another order.
  const rng = new Random(1);
  const shuffled = rng.shuffle(Int32Array.from({ length: t.nRows }, (_, i) => i));
  assert.deepEqual(new TabularPipeline({ exclude: ['target'] }).fit(t, shuffled).featureNames, p.featureNames);
});

test('a one-row table transforms to one finite row', () => {
  const t = mixedTable(1000, 2);
  const p = new TabularPipeline({ exclude: ['target'] }).fit(t);
  const event = table(
    num('amount', [123.45]),
    num('age', [null]),
    num('n_credits', [2]),
    bool('has_phone', [true]),
    cat('purpose', ['car']),
  );
  const m = p.transform(event);
  assert.equal(m.nRows, 1);
  assert.equal(m.nCols, p.featureNames.length);
  assert.ok(m.data.every(Number.isFinite));
  assert.equal(feature(p, m, 'purpose=car')[0], 1);
});
