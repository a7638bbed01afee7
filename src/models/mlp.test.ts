import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initRuntime } from '../engine/index.js';
import { rankAuc } from '../engine/validation-auc.js';
import { ConfigError, DataError, NotFittedError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { Random } from '../random.js';
import type { EpochLogs } from './estimator.js';
import { defaultArchitecture, estimatorFromState, LogisticRegression, MLP, type MLPParams } from './index.js';

/** Two features uniform in [−1, 1]²; label = same sign (XOR-like: no linear model can separate it). */
function xorData(n: number, seed: number): { x: Matrix; y: Float32Array } {
  const rng = new Random(seed);
  const x: Matrix = { data: new Float32Array(n * 2), nRows: n, nCols: 2 };
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 2 - 1;
    const b = rng.next() * 2 - 1;
    x.data[2 * i] = a;
    x.data[2 * i + 1] = b;
    y[i] = a * b > 0 ? 1 : 0;
  }
  return { x, y };
}

/** Gaussian blobs around k centres in 2-D. */
function blobs(n: number, seed: number): { x: Matrix; y: Float32Array } {
  const rng = new Random(seed);
  const centres = [
    [0, 2],
    [2, -1],
    [-2, -1],
  ];
  const x: Matrix = { data: new Float32Array(n * 2), nRows: n, nCols: 2 };
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    const c = centres[k] as number[];
    x.data[2 * i] = (c[0] as number) + rng.normal(0, 0.6);
    x.data[2 * i + 1] = (c[1] as number) + rng.normal(0, 0.6);
    y[i] = k;
  }
  return { x, y };
}

function positive(proba: Matrix): Float32Array {
  return proba.data.filter((_, i) => i % 2 === 1);
}

function accuracy(pred: Float32Array, y: Float32Array): number {
  return pred.filter((v, i) => v === y[i]).length / y.length;
}

const small: Partial<MLPParams> = {
  hiddenLayers: [{ units: 16, activation: 'tanh' }],
  l2: 0,
  learningRate: 0.01,
  batchSize: 32,
};

test('learns an XOR-like problem that logistic regression cannot', async () => {
  const train = xorData(800, 1);
  const test = xorData(400, 2);
  const mlp = await new MLP({ task: 'binary', seed: 3, ...small, epochs: 60 }).fit(train.x, train.y);
  const lr = await new LogisticRegression().fit(train.x, train.y);
  const mlpAcc = accuracy(await mlp.predict(test.x), test.y);
  const lrAcc = accuracy(await lr.predict(test.x), test.y);
  assert.ok(mlpAcc > 0.9, `mlp accuracy ${mlpAcc}`);
  assert.ok(lrAcc < 0.65, `logistic accuracy ${lrAcc}`);
  const proba = await mlp.predictProba(test.x);
  assert.equal(proba.nCols, 2);
  for (let i = 0; i < test.x.nRows; i++) {
    assert.ok(Math.abs((proba.data[2 * i] as number) + (proba.data[2 * i + 1] as number) - 1) < 1e-6);
  }
});

test('the same seed gives identical history and predictions; another seed does not', async () => {
  const { x, y } = xorData(300, 4);
  const params: MLPParams = {
    task: 'binary',
    seed: 11,
    hiddenLayers: [
      { units: 8, dropout: 0.2 },
      { units: 8, activation: 'elu', dropout: 0.1 },
    ],
    batchNorm: true,
    epochs: 5,
  };
  const a = await new MLP(params).fit(x, y);
  const b = await new MLP(params).fit(x, y);
  const c = await new MLP({ ...params, seed: 12 }).fit(x, y);
  assert.deepEqual(a.history, b.history);
  assert.deepEqual((await a.predictProba(x)).data, (await b.predictProba(x)).data);
  assert.notDeepEqual((await a.predictProba(x)).data, (await c.predictProba(x)).data);
});

test('early stopping restores the weights of the best validation epoch', async () => {
  const train = xorData(400, 5);
  const validation = xorData(200, 6);
  const patience = 4;
  const model = await new MLP({
    task: 'binary',
    seed: 1,
    hiddenLayers: [{ units: 32 }],
    learningRate: 0.05, // deliberately noisy so the validation AUC goes up and down
    l2: 0,
    epochs: 200,
    earlyStopping: { patience },
  }).fit(train.x, train.y, { validationData: validation });
  const aucs = model.history.map((h) => h.valAuc as number);
  const best = Math.max(...aucs);
  assert.equal(model.bestEpoch, aucs.indexOf(best));
  assert.ok(model.history.length < 200, 'stopped early');
  assert.equal(model.history.length, model.bestEpoch + patience + 1);
  const restored = rankAuc(validation.y, positive(await model.predictProba(validation.x)));
  assert.equal(restored, best);
  assert.ok(aucs[aucs.length - 1] !== best, 'the last epoch was not the best one');
});

test('monitor val_loss and restoreBestWeights: false', async () => {
  const train = xorData(300, 7);
  const validation = xorData(150, 8);
  const base: MLPParams = { task: 'binary', seed: 2, ...small, epochs: 30 };
  const byLoss = await new MLP({ ...base, earlyStopping: { monitor: 'val_loss', patience: 3 } }).fit(train.x, train.y, {
    validationData: validation,
  });
  const losses = byLoss.history.map((h) => h.valLoss as number);
  assert.equal(byLoss.bestEpoch, losses.indexOf(Math.min(...losses)));
  const noRestore = await new MLP({ ...base, earlyStopping: { patience: 3, restoreBestWeights: false } }).fit(
    train.x,
    train.y,
    { validationData: validation },
  );
  const last = noRestore.history[noRestore.history.length - 1] as EpochLogs;
  assert.equal(rankAuc(validation.y, positive(await noRestore.predictProba(validation.x))), last.valAuc);
});

test('class weights raise the predicted rate of a rare class', async () => {
  const rng = new Random(9);
  const n = 1000;
  const x: Matrix = { data: new Float32Array(n * 2), nRows: n, nCols: 2 };
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = rng.normal();
    x.data[2 * i] = a;
    x.data[2 * i + 1] = rng.normal();
    y[i] = rng.next() < 0.08 + 0.05 * Math.max(0, a) ? 1 : 0;
  }
  const base: MLPParams = { task: 'binary', seed: 1, ...small, epochs: 8, earlyStopping: false };
  const plain = await new MLP(base).fit(x, y);
  const balanced = await new MLP({ ...base, classWeight: 'balanced' }).fit(x, y);
  const heavy = await new MLP({ ...base, classWeight: { 0: 1, 1: 3 } }).fit(x, y);
  const meanP = async (m: MLP) => positive(await m.predictProba(x)).reduce((s, v) => s + v, 0) / n;
  const [p0, p1, p2] = [await meanP(plain), await meanP(balanced), await meanP(heavy)];
  assert.ok(p0 < 0.2, `unweighted mean P ${p0}`);
  assert.ok(p1 > 0.35, `balanced mean P ${p1}`);
  assert.ok(p2 > p0 + 0.05 && p2 < p1, `3:1 mean P ${p2}`);
});

test('regression learns y = sin(x) at any target scale', async () => {
  const rng = new Random(10);
  const n = 600;
  const x: Matrix = { data: new Float32Array(n), nRows: n, nCols: 1 };
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const v = rng.next() * 6 - 3;
    x.data[i] = v;
    y[i] = Math.sin(v);
  }
  const params: MLPParams = {
    task: 'regression',
    seed: 1,
    hiddenLayers: [{ units: 32, activation: 'tanh' }],
    learningRate: 0.01,
    l2: 0,
    epochs: 150,
  };
  const r2 = (pred: Float32Array, target: Float32Array): number => {
    const mean = target.reduce((s, v) => s + v, 0) / target.length;
    let ssRes = 0;
    let ssTot = 0;
    for (let i = 0; i < target.length; i++) {
      ssRes += ((pred[i] as number) - (target[i] as number)) ** 2;
      ssTot += ((target[i] as number) - mean) ** 2;
    }
    return 1 - ssRes / ssTot;
  };
  const unit = await new MLP(params).fit(x, y);
  const scaledY = y.map((v) => 5000 + 1000 * v);
  const scaled = await new MLP(params).fit(x, scaledY);
  const huber = await new MLP({ ...params, loss: 'huber' }).fit(x, scaledY);
  assert.ok(r2(await unit.predict(x), y) > 0.97, 'unit scale');
  assert.ok(r2(await scaled.predict(x), scaledY) > 0.97, '×1000 + 5000');
  assert.ok(r2(await huber.predict(x), scaledY) > 0.95, 'huber');
  const proba = await scaled.predictProba(x);
  assert.equal(proba.nCols, 1);
  assert.equal(scaled.nOutputs, 1);
});

test('multiclass: three blobs', async () => {
  const train = blobs(600, 11);
  const test = blobs(300, 12);
  const model = await new MLP({ task: 'multiclass', seed: 4, ...small, epochs: 30 }).fit(train.x, train.y);
  assert.equal(model.nOutputs, 3);
  const acc = accuracy(await model.predict(test.x), test.y);
  assert.ok(acc > 0.9, `accuracy ${acc}`);
  const proba = await model.predictProba(test.x);
  assert.equal(proba.nCols, 3);
  for (let i = 0; i < test.x.nRows; i++) {
    const s = (proba.data[3 * i] as number) + (proba.data[3 * i + 1] as number) + (proba.data[3 * i + 2] as number);
    assert.ok(Math.abs(s - 1) < 1e-5);
  }
  assert.ok(model.history.every((h) => h.valAuc !== undefined && h.valLoss !== undefined));
});

test('no tensors leak: during and after fit, and over repeated predictions', async () => {
  const tf = await initRuntime();
  const { x, y } = xorData(500, 13);
  for (const batchNorm of [false, true]) {
    const before = tf.memory().numTensors;
    const during: number[] = [];
    const model = await new MLP({
      task: 'binary',
      seed: 1,
      hiddenLayers: [
        { units: 16, dropout: 0.2 },
        { units: 8, activation: 'gelu', dropout: 0.2 },
      ],
      batchNorm,
      epochs: 20,
      batchSize: 64,
      earlyStopping: false,
    }).fit(x, y, { onEpochEnd: () => during.push(tf.memory().numTensors) });
    assert.equal(model.history.length, 20);
    assert.equal(new Set(during).size, 1, `tensor count changed between epochs: ${during.join(',')}`);
    assert.equal(tf.memory().numTensors, before, 'tensors left after fit');
    // The model keeps one scoring runner (its weight tensors) between predictions, and no more.
    await model.predictProba(x);
    const withRunner = tf.memory().numTensors;
    assert.equal(withRunner - before, model.getWeights().length);
    for (let i = 0; i < 30; i++) await model.predictProba(x);
    assert.equal(tf.memory().numTensors, withRunner, 'tensors grew over predictions');
    model.disposeRunner();
    assert.equal(tf.memory().numTensors, before, 'tensors left after disposing the runner');
  }
});

test('onEpochEnd gets Keras-style logs and the history keeps them', async () => {
  const { x, y } = xorData(300, 14);
  const seen: EpochLogs[] = [];
  const model = await new MLP({ task: 'binary', seed: 1, ...small, epochs: 4, earlyStopping: false }).fit(x, y, {
    onEpochEnd: (logs) => seen.push(logs),
  });
  assert.deepEqual(
    seen.map((l) => l.epoch),
    [0, 1, 2, 3],
  );
  assert.deepEqual(model.history, seen);
  for (const l of seen) {
    assert.ok(Number.isFinite(l.loss) && Number.isFinite(l.valLoss) && (l.valAuc as number) > 0);
  }
  // Without a validation part there is nothing to report or stop on.
  const noVal = await new MLP({ task: 'binary', seed: 1, ...small, epochs: 3, validationSplit: 0 }).fit(x, y);
  assert.equal(noVal.history.length, 3);
  assert.equal(noVal.history[0]?.valLoss, undefined);
});

test('state round trip (JSON + weights) reproduces predictions exactly', async () => {
  const bin = xorData(300, 15);
  const multi = blobs(300, 16);
  const reg = { x: bin.x, y: bin.x.data.filter((_, i) => i % 2 === 0).map((v) => 100 * v * v) };
  const cases: [MLPParams, { x: Matrix; y: Float32Array }][] = [
    [
      {
        task: 'binary',
        seed: 1,
        hiddenLayers: [{ units: 8 }, { units: 4, activation: 'selu' }],
        batchNorm: true,
        epochs: 3,
      },
      bin,
    ],
    [{ task: 'multiclass', seed: 1, epochs: 3 }, multi],
    [{ task: 'regression', seed: 1, epochs: 3, loss: 'huber' }, reg],
  ];
  for (const [params, data] of cases) {
    const model = await new MLP(params).fit(data.x, data.y);
    const state = JSON.parse(JSON.stringify(model.toJSON()));
    const weights = model.getWeights();
    const restored = estimatorFromState(state, weights);
    assert.equal(restored.kind, 'mlp');
    assert.equal(restored.nOutputs, model.nOutputs);
    assert.deepEqual((await restored.predictProba(data.x)).data, (await model.predictProba(data.x)).data);
    assert.deepEqual(await restored.predict(data.x), await model.predict(data.x));
  }
  const model = await new MLP({
    task: 'binary',
    seed: 1,
    batchNorm: true,
    hiddenLayers: [{ units: 4 }],
    epochs: 1,
  }).fit(bin.x, bin.y);
  assert.deepEqual(
    model.getWeights().map((w) => `${w.name} [${w.shape.join(',')}]`),
    [
      'dense_0/kernel [2,4]',
      'batch_norm_0/gamma [4]',
      'batch_norm_0/beta [4]',
      'batch_norm_0/moving_mean [4]',
      'batch_norm_0/moving_variance [4]',
      'output/kernel [4,1]',
      'output/bias [1]',
    ],
  );
  const movingMean = model.getWeights().find((w) => w.name === 'batch_norm_0/moving_mean');
  assert.ok(
    movingMean?.values.some((v) => v !== 0),
    'moving mean was updated',
  );
  assert.throws(() => estimatorFromState(model.toJSON(), model.getWeights().slice(1)), DataError);
});

test('predicts more rows than one inference batch consistently', async () => {
  const { x, y } = xorData(300, 17);
  const model = await new MLP({ task: 'binary', seed: 1, ...small, epochs: 2 }).fit(x, y);
  const big = xorData(20_000, 18).x;
  const all = await model.predictProba(big);
  const tail = await model.predictProba({ data: big.data.subarray(2 * 19_990), nRows: 10, nCols: 2 });
  assert.deepEqual(all.data.subarray(2 * 19_990), tail.data);
});

test('the data-size rule picks the architecture from the row count', async () => {
  assert.equal(defaultArchitecture(743).hiddenLayers.length, 1);
  assert.equal(defaultArchitecture(5000).hiddenLayers.length, 2);
  assert.deepEqual(
    defaultArchitecture(22_471).hiddenLayers.map((l) => l.units),
    [128, 64],
  );
  assert.ok(defaultArchitecture(743).l2 > defaultArchitecture(22_471).l2);
  const { x, y } = xorData(200, 19);
  const model = await new MLP({ task: 'binary', seed: 1, epochs: 1 }).fit(x, y);
  assert.deepEqual(model.architecture, defaultArchitecture(200));
  assert.deepEqual(model.params, { task: 'binary', seed: 1, epochs: 1 }, 'params are kept as given');
});

test('errors: not fitted, bad params, bad data', async () => {
  const model = new MLP({ task: 'binary', seed: 1 });
  assert.throws(() => model.getWeights(), NotFittedError);
  assert.throws(() => model.nOutputs, NotFittedError);
  await assert.rejects(model.predictProba(xorData(5, 1).x), NotFittedError);
  assert.throws(() => new MLP({ task: 'binary', seed: 1, hiddenLayers: [{ units: 0 }] }), ConfigError);
  assert.throws(() => new MLP({ task: 'binary', seed: 1, hiddenLayers: [{ units: 4, dropout: 1 }] }), ConfigError);
  assert.throws(() => new MLP({ task: 'regression', seed: 1, earlyStopping: { monitor: 'val_auc' } }), ConfigError);
  assert.throws(() => new MLP({ task: 'ranking' as never, seed: 1 }), ConfigError);
  const { x, y } = xorData(50, 1);
  await assert.rejects(
    new MLP({ task: 'binary', seed: 1 }).fit(
      x,
      y.map((v) => v * 2),
    ),
    DataError,
  );
  const fitted = await new MLP({ task: 'binary', seed: 1, epochs: 1 }).fit(x, y);
  await assert.rejects(fitted.predict({ data: new Float32Array(3), nRows: 1, nCols: 3 }), DataError);
});
