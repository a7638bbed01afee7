// LogisticRegression against scikit-learn 1.2.1 (Debian python3-sklearn). Reference numbers come
// from this snippet, run with /usr/bin/python3; the data are generated identically below.
//
//   import numpy as np
//   from sklearn.linear_model import LogisticRegression, Ridge
//   n = 80; i = np.arange(n, dtype=np.float64)
//   X = np.stack([np.sin(0.37*i + 0.1), 2*np.cos(0.3*i), ((i*7) % 11)/5 - 1], axis=1).astype(np.float32).astype(np.float64)
//   noise = np.sin(5.1*i)
//   yb = (1.5*X[:,0] - X[:,1] + 0.8*X[:,2] + 0.9*noise > 0.3).astype(int)
//   ym = np.stack([X[:,0] + 0.5*noise, X[:,1] - 0.5*noise, X[:,2] + 0.3*np.cos(2.7*i)], axis=1).argmax(1)
//   yr = 2*X[:,0] - X[:,1] + 0.5*X[:,2] + 3 + 0.2*noise
//   LogisticRegression(C=1.0, tol=1e-10, max_iter=10000).fit(X, yb)             # and C=0.1
//   LogisticRegression(C=0.5, class_weight='balanced', tol=1e-10, max_iter=10000).fit(X, yb)
//   LogisticRegression(C=1.0, multi_class='multinomial', tol=1e-10, max_iter=10000).fit(X, ym)
//   Ridge(alpha=2.0).fit(X, yr); Ridge(alpha=0.1).fit(X, yr)
//   Ridge(alpha=1.0).fit(X, yr, sample_weight=1 + i % 3)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError, NotFittedError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { estimatorFromState } from './index.js';
import { LogisticRegression } from './logistic.js';

const n = 80;
const x: Matrix = { data: new Float32Array(n * 3), nRows: n, nCols: 3 };
const yBinary = new Float32Array(n);
const yClass = new Float32Array(n);
const yReal = new Float32Array(n);
for (let i = 0; i < n; i++) {
  x.data[3 * i] = Math.sin(0.37 * i + 0.1);
  x.data[3 * i + 1] = 2 * Math.cos(0.3 * i);
  x.data[3 * i + 2] = ((i * 7) % 11) / 5 - 1;
  const [a, b, c] = [x.data[3 * i] as number, x.data[3 * i + 1] as number, x.data[3 * i + 2] as number];
  const noise = Math.sin(5.1 * i);
  yBinary[i] = 1.5 * a - b + 0.8 * c + 0.9 * noise > 0.3 ? 1 : 0;
  const s = [a + 0.5 * noise, b - 0.5 * noise, c + 0.3 * Math.cos(2.7 * i)];
  yClass[i] = s.indexOf(Math.max(...s));
  yReal[i] = 2 * a - b + 0.5 * c + 3 + 0.2 * noise;
}

const TIGHT = { tol: 1e-10, maxIter: 10_000 };

function assertClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs((actual[i] as number) - (expected[i] as number)) <= tol,
      `${what}[${i}]: ${actual[i]} vs scikit-learn ${expected[i]}`,
    );
  }
}

test('the generated data match the Python snippet', () => {
  assert.equal(
    yBinary.reduce((s, v) => s + v, 0),
    38,
  );
  assert.deepEqual(
    [0, 1, 2].map((k) => yClass.filter((v) => v === k).length),
    [23, 30, 27],
  );
});

test('binary logistic regression matches scikit-learn (C = 1 and C = 0.1)', async () => {
  const cases = [
    {
      c: 1,
      coef: [2.0849064, -1.56071046, 1.24044118],
      intercept: [-0.44415227],
      proba: [0.0099728, 0.12070641, 0.12303076, 0.6913961, 0.68085046],
    },
    {
      c: 0.1,
      coef: [0.67393445, -0.79117172, 0.39155069],
      intercept: [-0.22710092],
      proba: [0.10586294, 0.21807233, 0.23364458, 0.45298757, 0.48793751],
    },
  ];
  for (const k of cases) {
    const model = await new LogisticRegression({ c: k.c, ...TIGHT }).fit(x, yBinary);
    const [kernel, bias] = model.getWeights();
    assert.deepEqual(kernel?.shape, [3, 1]);
    assert.deepEqual(bias?.shape, [1]);
    assertClose(kernel?.values ?? [], k.coef, 1e-4, `coef C=${k.c}`);
    assertClose(bias?.values ?? [], k.intercept, 1e-4, `intercept C=${k.c}`);
    const proba = await model.predictProba({ data: x.data.subarray(0, 15), nRows: 5, nCols: 3 });
    assert.equal(proba.nCols, 2);
    assertClose(
      proba.data.filter((_, i) => i % 2 === 1),
      k.proba,
      1e-5,
      `P(y=1) C=${k.c}`,
    );
    for (let i = 0; i < 5; i++)
      assert.ok(Math.abs((proba.data[2 * i] as number) + (proba.data[2 * i + 1] as number) - 1) < 1e-6);
    assert.ok(model.converged);
  }
});

test("class_weight 'balanced' matches scikit-learn", async () => {
  const model = await new LogisticRegression({ c: 0.5, classWeight: 'balanced', ...TIGHT }).fit(x, yBinary);
  const [kernel, bias] = model.getWeights();
  assertClose(kernel?.values ?? [], [1.59351692, -1.29861576, 0.95101621], 1e-4, 'coef');
  assertClose(bias?.values ?? [], [-0.29078619], 1e-4, 'intercept');
});

test('multinomial logistic regression matches scikit-learn', async () => {
  const model = await new LogisticRegression({ task: 'multiclass', c: 1, ...TIGHT }).fit(x, yClass);
  assert.equal(model.nOutputs, 3);
  const [kernel, bias] = model.getWeights();
  assert.deepEqual(kernel?.shape, [3, 3]);
  // scikit-learn's coef_ is [class][feature]; Vigil's kernel is [feature][class].
  const coef = [
    [1.67708115, -0.78370554, -0.37483888],
    [-0.74416042, 1.68389872, -1.05033706],
    [-0.93292073, -0.90019318, 1.42517595],
  ];
  const transposed = [0, 1, 2].flatMap((j) => [0, 1, 2].map((k) => coef[k]?.[j] as number));
  assertClose(kernel?.values ?? [], transposed, 1e-4, 'kernel');
  assertClose(bias?.values ?? [], [-0.08291522, -0.10073046, 0.18364568], 1e-4, 'intercept');
  const proba = await model.predictProba({ data: x.data.subarray(0, 9), nRows: 3, nCols: 3 });
  assertClose(
    proba.data,
    [0.00471728, 0.99466131, 0.00062141, 0.03378045, 0.9439806, 0.02223895, 0.0738751, 0.92057862, 0.00554628],
    1e-5,
    'proba',
  );
  const predicted = await model.predict(x);
  const accuracy = predicted.filter((v, i) => v === yClass[i]).length / n;
  assert.ok(accuracy > 0.8, `training accuracy ${accuracy}`);
});

test('ridge regression (task regression) matches scikit-learn Ridge(alpha = 1 / c)', async () => {
  const cases = [
    { c: 0.5, coef: [1.89592462, -0.9849895, 0.5033803], intercept: 3.00607107 },
    { c: 10, coef: [1.98864132, -1.00013131, 0.52856484], intercept: 3.00120068 },
  ];
  for (const k of cases) {
    const model = await new LogisticRegression({ task: 'regression', c: k.c }).fit(x, yReal);
    const [kernel, bias] = model.getWeights();
    assertClose(kernel?.values ?? [], k.coef, 1e-5, `coef c=${k.c}`);
    assertClose(bias?.values ?? [], [k.intercept], 1e-5, `intercept c=${k.c}`);
    const pred = await model.predict(x);
    assert.equal(pred.length, n);
    const proba = await model.predictProba(x);
    assert.equal(proba.nCols, 1);
    assert.deepEqual(proba.data, pred);
  }
  const sampleWeight = Float32Array.from({ length: n }, (_, i) => 1 + (i % 3));
  const weighted = await new LogisticRegression({ task: 'regression', c: 1 }).fit(x, yReal, { sampleWeight });
  const [kernel, bias] = weighted.getWeights();
  assertClose(kernel?.values ?? [], [1.97114787, -0.99836033, 0.52043559], 1e-5, 'weighted coef');
  assertClose(bias?.values ?? [], [3.0015232], 1e-5, 'weighted intercept');
});

test('default tolerance converges quickly and predicts the same labels', async () => {
  const loose = await new LogisticRegression().fit(x, yBinary);
  const tight = await new LogisticRegression(TIGHT).fit(x, yBinary);
  assert.ok(loose.converged && loose.nIter <= tight.nIter);
  assert.deepEqual(await loose.predict(x), await tight.predict(x));
});

test('a wide problem (22k rows × 100 columns) converges to the signal columns', async () => {
  const rows = 22_000;
  const cols = 100;
  const big: Matrix = { data: new Float32Array(rows * cols), nRows: rows, nCols: cols };
  const y = new Float32Array(rows);
  let state = 12345;
  const uniform = () => (state = (Math.imul(state, 1103515245) + 12345) >>> 0) / 4294967296;
  for (let i = 0; i < rows; i++) {
    let score = 0;
    for (let j = 0; j < cols; j++) {
      const v = uniform() * 2 - 1;
      big.data[i * cols + j] = v;
      score += (j % 7 === 0 ? 1 : 0.05) * v;
    }
    y[i] = score + (uniform() - 0.5) > 0 ? 1 : 0;
  }
  // Speed belongs in bench/, not in a timed test on a shared machine: here the fit must converge and
  // find the columns that carry the signal (every 7th has weight 1, the rest 0.05).
  const model = await new LogisticRegression().fit(big, y);
  assert.ok(model.converged, 'converged');
  const proba = await model.predictProba(big);
  let correct = 0;
  for (let i = 0; i < rows; i++) if ((proba.data[i * 2 + 1] as number) > 0.5 === (y[i] === 1)) correct++;
  assert.ok(correct / rows > 0.7, `accuracy ${(correct / rows).toFixed(3)}`);
});

test('state round trip reproduces predictions exactly', async () => {
  for (const [task, y] of [
    ['binary', yBinary],
    ['multiclass', yClass],
    ['regression', yReal],
  ] as const) {
    const model = await new LogisticRegression({ task, c: 0.7 }).fit(x, y);
    const json = JSON.parse(JSON.stringify(model.toJSON()));
    const restored = estimatorFromState(json, model.getWeights());
    assert.equal(restored.kind, 'logistic');
    assert.equal(restored.task, task);
    assert.deepEqual((await restored.predictProba(x)).data, (await model.predictProba(x)).data);
    assert.deepEqual(await restored.predict(x), await model.predict(x));
  }
});

test('errors: not fitted, bad targets, NaN inputs, wrong width', async () => {
  const model = new LogisticRegression();
  assert.throws(() => model.getWeights(), NotFittedError);
  assert.throws(() => model.toJSON(), NotFittedError);
  await assert.rejects(model.predictProba(x), NotFittedError);
  await assert.rejects(new LogisticRegression().fit(x, yClass), DataError);
  const withNaN: Matrix = { ...x, data: Float32Array.from(x.data) };
  withNaN.data[7] = Number.NaN;
  await assert.rejects(new LogisticRegression().fit(withNaN, yBinary), (e: DataError) => {
    assert.equal(e.issues[0]?.code, 'not_finite');
    assert.deepEqual(e.issues[0]?.path, ['x', 2, 1]);
    return true;
  });
  const fitted = await new LogisticRegression().fit(x, yBinary);
  await assert.rejects(fitted.predict({ data: new Float32Array(4), nRows: 2, nCols: 2 }), DataError);
  assert.throws(() => new LogisticRegression({ c: 0 }), /c must be > 0/);
});
