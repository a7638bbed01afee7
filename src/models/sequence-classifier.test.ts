import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { closeReplicaWorkers, rankAuc } from '../engine/index.js';
import { ConfigError, NotFittedError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { onnxRunnerFactory } from '../onnx/index.js';
import { Random } from '../random.js';
import {
  createEstimator,
  estimatorFromState,
  MODEL_KINDS,
  SEQUENCE_ARCHITECTURES,
  type SequenceArchitecture,
  SequenceClassifier,
  type SequenceClassifierParams,
} from './index.js';

after(closeReplicaWorkers);

const STEPS = 6;
const FEATURES = 4;

/**
 * Card-like sequences: each row is a customer's previous 0–5 transactions (earlier steps padded
 * with zeros) and the current one. Feature 0 is the amount, around a level that differs widely
 * between customers; the others are noise. A row is positive (share `rate`) when the current
 * amount is about three times the customer's usual: telling that needs the earlier steps, since
 * the current amount alone mostly reflects the customer's level.
 */
function historyTask(n: number, seed: number, rate = 0.2): { x: Matrix; y: Float32Array } {
  const rng = new Random(seed);
  const data = new Float32Array(n * STEPS * FEATURES);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const level = Math.exp(rng.normal(3, 1.5));
    const previous = Math.floor(rng.next() * STEPS);
    y[r] = rng.next() < rate ? 1 : 0;
    for (let t = STEPS - 1 - previous; t < STEPS; t++) {
      const o = (r * STEPS + t) * FEATURES;
      const jump = t === STEPS - 1 && y[r] === 1 ? 3 : 1;
      data[o] = level * jump * Math.exp(rng.normal(0, 0.2));
      for (let j = 1; j < FEATURES; j++) data[o + j] = rng.normal();
    }
  }
  return { x: { data, nRows: n, nCols: STEPS * FEATURES }, y };
}

/** The current-step columns only. */
function lastStep(x: Matrix): Matrix {
  const width = STEPS * FEATURES;
  const out = new Float32Array(x.nRows * FEATURES);
  for (let r = 0; r < x.nRows; r++) {
    out.set(x.data.subarray(r * width + width - FEATURES, (r + 1) * width), r * FEATURES);
  }
  return { data: out, nRows: x.nRows, nCols: FEATURES };
}

function positive(proba: Matrix): Float32Array {
  return proba.data.filter((_, i) => i % 2 === 1);
}

const SMALL: Omit<SequenceClassifierParams, 'architecture' | 'seed'> = {
  filters: 16,
  units: 16,
  hiddenUnits: 16,
  learningRate: 3e-3,
  batchSize: 64,
  epochs: 60,
  threads: 1,
};

const train = historyTask(3000, 1);
const holdout = historyTask(1000, 2);
const fitted = new Map<SequenceArchitecture, SequenceClassifier>();

before(async () => {
  for (const architecture of SEQUENCE_ARCHITECTURES) {
    fitted.set(architecture, await new SequenceClassifier({ architecture, seed: 1, ...SMALL }).fit(train.x, train.y));
  }
});

test('every architecture learns from the history what a model of the current step alone cannot', async () => {
  const currentOnly = await new SequenceClassifier({ architecture: 'lstm', seed: 1, ...SMALL, sequenceLength: 1 }).fit(
    lastStep(train.x),
    train.y,
  );
  const baseline = rankAuc(holdout.y, positive(await currentOnly.predictProba(lastStep(holdout.x))));
  assert.ok(baseline < 0.75, `current step alone: AUC ${baseline}`);
  for (const [architecture, model] of fitted) {
    const auc = rankAuc(holdout.y, positive(await model.predictProba(holdout.x)));
    assert.ok(auc > 0.9, `${architecture}: AUC ${auc}`);
    assert.ok(auc > baseline + 0.2, `${architecture}: AUC ${auc} vs ${baseline} from the current step alone`);
    assert.equal(model.kind, architecture);
    assert.ok(model.history.length > 0 && model.bestEpoch >= 0);
    const proba = await model.predictProba(holdout.x);
    assert.equal(proba.nCols, 2);
    for (let i = 0; i < 20; i++) {
      assert.ok(Math.abs((proba.data[2 * i] as number) + (proba.data[2 * i + 1] as number) - 1) < 1e-6);
    }
  }
});

test('scaling statistics come from real steps only and the network sees a real-step indicator', async () => {
  const model = fitted.get('lstm') as SequenceClassifier;
  const { network, scaling } = model.config;
  assert.deepEqual([network.steps, network.features, network.paddingIndicator], [STEPS, FEATURES, true]);
  assert.deepEqual(model.networks()[0]?.spec.inputShape, [STEPS, FEATURES + 1]);
  // fit holds out 20 % for validation: the statistics are those of the rows it trained on, so
  // compare with the mean amount over the real steps of all rows, which must be close, and far
  // from the mean that counts the padding steps as zeros.
  let sum = 0;
  let real = 0;
  for (let i = 0; i < train.x.nRows * STEPS; i++) {
    const amount = train.x.data[i * FEATURES] as number;
    if (amount !== 0) {
      sum += amount;
      real++;
    }
  }
  const realMean = sum / real;
  const paddedMean = sum / (train.x.nRows * STEPS);
  const fittedMean = scaling.mean[0] as number;
  assert.ok(Math.abs(fittedMean - realMean) < 0.15 * realMean, `mean amount ${fittedMean} vs ${realMean}`);
  assert.ok(Math.abs(fittedMean - paddedMean) > 0.3 * paddedMean, `mean ${fittedMean} counts padding`);
  const plain = await new SequenceClassifier({
    architecture: 'cnn',
    seed: 1,
    ...SMALL,
    epochs: 2,
    paddingIndicator: false,
  }).fit(train.x, train.y);
  assert.deepEqual(plain.networks()[0]?.spec.inputShape, [STEPS, FEATURES]);
});

test('class weights and the focal loss change the fit', async () => {
  // 8 % positives: unweighted, predicted probabilities sit near the base rate.
  const rare = historyTask(3000, 3, 0.08);
  const base = { architecture: 'cnn' as const, seed: 2, ...SMALL, epochs: 40, earlyStopping: false as const };
  const plain = await new SequenceClassifier(base).fit(rare.x, rare.y);
  const balanced = await new SequenceClassifier({ ...base, classWeight: 'balanced' }).fit(rare.x, rare.y);
  const focal = await new SequenceClassifier({ ...base, loss: 'focal', focalGamma: 2, focalAlpha: 0.5 }).fit(
    rare.x,
    rare.y,
  );
  const mean = (v: Float32Array) => v.reduce((a, b) => a + b, 0) / v.length;
  const pPlain = positive(await plain.predictProba(holdout.x));
  const pBalanced = positive(await balanced.predictProba(holdout.x));
  const pFocal = positive(await focal.predictProba(holdout.x));
  // Balanced weights make each class count equally: the average probability moves toward 0.5.
  assert.ok(mean(pBalanced) > 2 * mean(pPlain), `mean p balanced ${mean(pBalanced)} vs plain ${mean(pPlain)}`);
  // The focal loss damps confident, easy rows: fewer probabilities near 0 than cross-entropy gives.
  const nearZero = (v: Float32Array) => v.filter((p) => p < 0.01).length;
  assert.ok(nearZero(pFocal) < nearZero(pPlain), `p < 0.01: focal ${nearZero(pFocal)}, plain ${nearZero(pPlain)}`);
  for (const [what, p] of [
    ['plain', pPlain],
    ['balanced', pBalanced],
    ['focal', pFocal],
  ] as const) {
    const auc = rankAuc(holdout.y, p);
    assert.ok(auc > 0.8, `${what}: AUC ${auc}`);
  }
});

test('toJSON and getWeights rebuild models that predict bit-identically, and ONNX Runtime agrees', async () => {
  for (const [architecture, model] of fitted) {
    const state = JSON.parse(JSON.stringify(model.toJSON()));
    const restored = estimatorFromState(state, model.getWeights());
    assert.ok(restored instanceof SequenceClassifier);
    assert.equal(restored.kind, architecture);
    const expected = await model.predictProba(holdout.x);
    assert.deepEqual((await restored.predictProba(holdout.x)).data, expected.data, architecture);
    assert.deepEqual(await restored.predict(holdout.x), await model.predict(holdout.x));
    await restored.useNetworkRunners(onnxRunnerFactory());
    const onnx = await restored.predictProba(holdout.x);
    let worst = 0;
    for (let i = 0; i < onnx.data.length; i++) {
      worst = Math.max(worst, Math.abs((onnx.data[i] as number) - (expected.data[i] as number)));
    }
    assert.ok(worst < 1e-5, `${architecture}: onnx differs by ${worst}`);
    restored.disposeRunner();
  }
});

test('the kinds are registered and take the architecture from the kind', () => {
  for (const kind of ['cnn', 'lstm', 'lstm-attention'] as const) {
    assert.ok(MODEL_KINDS.includes(kind));
    const model = createEstimator(kind, { seed: 1, sequenceLength: 6 });
    assert.ok(model instanceof SequenceClassifier);
    assert.equal(model.kind, kind);
    assert.equal(model.params.architecture, kind);
  }
});

test('misuse is refused with typed errors', async () => {
  const model = new SequenceClassifier({ architecture: 'lstm', seed: 1, sequenceLength: 7, ...SMALL });
  await assert.rejects(
    () => model.fit(train.x, train.y),
    (e: unknown) =>
      e instanceof ConfigError && e.code === 'bad_sequence_length' && /24 columns.*sequenceLength 7/.test(e.message),
  );
  assert.throws(() => model.networks(), NotFittedError);
  await assert.rejects(() => model.predictProba(train.x), NotFittedError);
  const refused = (params: Partial<SequenceClassifierParams>) =>
    assert.throws(
      () => new SequenceClassifier({ architecture: 'cnn', seed: 1, ...params } as SequenceClassifierParams),
      (e: unknown) => e instanceof ConfigError && e.code === 'bad_param',
      JSON.stringify(params),
    );
  refused({ architecture: 'rnn' as never });
  refused({ task: 'regression' });
  refused({ sequenceLength: 0 });
  refused({ dropout: 1 });
  refused({ loss: 'mse' as never });
  refused({ focalAlpha: 1 });
  refused({ hiddenUnits: -1 });
  refused({ epochs: 0 });
  await assert.rejects(
    () => new SequenceClassifier({ architecture: 'cnn', seed: 1, kernelSize: 7 }).fit(train.x, train.y),
    (e: unknown) => e instanceof ConfigError && /kernelSize 7 is longer than the 6 steps/.test(e.message),
  );
  const fittedLstm = fitted.get('lstm') as SequenceClassifier;
  await assert.rejects(() => fittedLstm.predictProba(lastStep(holdout.x)), /4 columns, the model was fitted on 24/);
});
