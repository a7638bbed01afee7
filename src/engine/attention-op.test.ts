import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { ConfigError } from '../errors.js';
import { Random } from '../random.js';
import { attentionOp } from './attention-op.js';
import { initialWeights } from './initial-weights.js';
import { type NetworkSpec, outputShape, resolveNetwork, weightSlots } from './network-spec.js';
import { closeReplicaWorkers } from './parallel/replica-pool.js';
import { initRuntime } from './runtime.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';
import { createTfjsRunner } from './tfjs-runner.js';
import { trainNetwork } from './train-network.js';
import { rankAuc } from './validation-auc.js';

after(closeReplicaWorkers);

/** The layer written out directly in float64: q = h_T·W, a = softmax(H·q), [Σ aₜhₜ, h_T]. */
function referenceAttention(h: ArrayLike<number>, kernel: ArrayLike<number>, b: number, T: number, u: number) {
  const out = new Float64Array(b * 2 * u);
  const weights = new Float64Array(b * T);
  for (let r = 0; r < b; r++) {
    const last = (j: number) => h[(r * T + T - 1) * u + j] as number;
    const q = new Float64Array(u);
    for (let j = 0; j < u; j++) {
      for (let i = 0; i < u; i++) q[j] = (q[j] as number) + last(i) * (kernel[i * u + j] as number);
    }
    const s = new Float64Array(T);
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < u; j++) s[t] = (s[t] as number) + (h[(r * T + t) * u + j] as number) * (q[j] as number);
    }
    const m = Math.max(...s);
    let z = 0;
    for (let t = 0; t < T; t++) z += Math.exp((s[t] as number) - m);
    for (let t = 0; t < T; t++) {
      const a = Math.exp((s[t] as number) - m) / z;
      weights[r * T + t] = a;
      for (let j = 0; j < u; j++) {
        out[r * 2 * u + j] = (out[r * 2 * u + j] as number) + a * (h[(r * T + t) * u + j] as number);
      }
    }
    for (let j = 0; j < u; j++) out[r * 2 * u + u + j] = last(j);
  }
  return { out, weights };
}

test('attention resolves to width 2u with a [u, u] kernel, and refuses a flat input', () => {
  const spec: NetworkSpec = {
    inputShape: [6, 15],
    layers: [{ type: 'lstm', units: 10, returnSequences: true }, { type: 'attention' }, { type: 'dense', units: 1 }],
  };
  const layers = resolveNetwork(spec);
  assert.equal(layers[1]?.name, 'attention_0');
  assert.deepEqual(layers[1]?.inputShape, [6, 10]);
  assert.deepEqual(layers[1]?.outputShape, [20]);
  assert.deepEqual(outputShape(spec), [1]);
  assert.deepEqual(
    weightSlots(spec).map((s) => [s.name, s.shape]),
    [
      ['lstm_0/kernel', [15, 40]],
      ['lstm_0/recurrent_kernel', [10, 40]],
      ['lstm_0/bias', [40]],
      ['attention_0/kernel', [10, 10]],
      ['dense_0/kernel', [20, 1]],
      ['dense_0/bias', [1]],
    ],
  );
  assert.throws(
    () => resolveNetwork({ inputShape: [6, 15], layers: [{ type: 'lstm', units: 4 }, { type: 'attention' }] }),
    (e: unknown) => e instanceof ConfigError && e.code === 'bad_network' && /\[steps, units\] input/.test(e.message),
  );
});

test('attention equals a direct float64 computation, including one step and large scores', async () => {
  const tf = await initRuntime();
  for (const [b, T, u, sd] of [
    [1, 1, 3, 1],
    [7, 6, 5, 1],
    [33, 10, 16, 3],
  ] as const) {
    const hv = randomValues(b * 100 + T, b * T * u, sd);
    const kv = randomValues(u, u * u, 1 / Math.sqrt(u));
    const actual = tf.tidy(() =>
      valuesOf(attentionOp(tf, tf.tensor3d(hv, [b, T, u]), tf.tensor2d(kv, [u, u]) as Tensor2D)),
    );
    const { out, weights } = referenceAttention(hv, kv, b, T, u);
    assertClose(actual, out, 1e-5, 1e-4, `b${b} T${T} u${u}`);
    if (T > 1 && sd > 1) {
      // The scores are large enough that the softmax is far from uniform: the check is not trivial.
      assert.ok(Math.max(...weights) > 0.9, `largest attention weight ${Math.max(...weights)}`);
    }
  }
});

test('attention gradients equal float64 finite differences of the reference', async () => {
  const tf = await initRuntime();
  const [b, T, u] = [3, 4, 5];
  const hv = randomValues(1, b * T * u);
  const kv = randomValues(2, u * u, 0.5);
  const dy = randomValues(3, b * 2 * u);
  const loss = (h: ArrayLike<number>, k: ArrayLike<number>): number => {
    const { out } = referenceAttention(h, k, b, T, u);
    let s = 0;
    for (let i = 0; i < out.length; i++) s += (out[i] as number) * (dy[i] as number);
    return s;
  };
  const numeric = (values: Float32Array, other: Float32Array, isH: boolean): Float64Array => {
    const base = Float64Array.from(values);
    const grad = new Float64Array(values.length);
    const eps = 1e-6;
    for (let i = 0; i < values.length; i++) {
      const plus = Float64Array.from(base);
      const minus = Float64Array.from(base);
      plus[i] = (plus[i] as number) + eps;
      minus[i] = (minus[i] as number) - eps;
      grad[i] = isH
        ? (loss(plus, other) - loss(minus, other)) / (2 * eps)
        : (loss(other, plus) - loss(other, minus)) / (2 * eps);
    }
    return grad;
  };
  const [dh, dk] = tf.tidy(() => {
    const dyt = tf.tensor2d(dy, [b, 2 * u]);
    return tf
      .grads((h: Tensor, k: Tensor) => tf.sum(tf.mul(attentionOp(tf, h as Tensor3D, k as Tensor2D), dyt)))([
        tf.tensor3d(hv, [b, T, u]),
        tf.tensor2d(kv, [u, u]),
      ])
      .map(valuesOf);
  }) as [Float32Array, Float32Array];
  assertClose(dh, numeric(hv, kv, true), 1e-4, 1e-3, 'dH');
  assertClose(dk, numeric(kv, hv, false), 1e-4, 1e-3, 'dW');
  // Every earlier step receives gradient through the context, not only the last one.
  for (let t = 0; t < T - 1; t++) {
    let norm = 0;
    for (let j = 0; j < u; j++) norm += Math.abs(dh[t * u + j] as number);
    assert.ok(norm > 1e-3, `step ${t} gets no gradient`);
  }
});

test('attention leaves no tensors behind, forward or under a gradient tape', async () => {
  const tf = await initRuntime();
  const h = tf.tensor3d(randomValues(4, 8 * 5 * 6), [8, 5, 6]);
  const k = tf.tensor2d(randomValues(5, 36), [6, 6]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) {
    attentionOp(tf, h, k).dispose();
    tf.dispose(tf.grads((a: Tensor, c: Tensor) => tf.sum(attentionOp(tf, a as Tensor3D, c as Tensor2D)))([h, k]));
  }
  assert.equal(tf.memory().numTensors, before);
  tf.dispose([h, k]);
});

/**
 * Sequences of 6 steps × 9 features: a one-hot "merchant" out of 8 in features 0–7 and noise in
 * feature 8. The label is 1 when the current (last) step's merchant appears at an earlier step: a
 * lookup by similarity to the current step, what the layer is for.
 */
function lookupTask(n: number, seed: number): { x: Float32Array; y: Float32Array } {
  const rng = new Random(seed);
  const [T, f] = [6, 9];
  const x = new Float32Array(n * T * f);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    const merchants = Array.from({ length: T }, () => Math.floor(rng.next() * 8));
    for (let t = 0; t < T; t++) {
      x[(r * T + t) * f + (merchants[t] as number)] = 1;
      x[(r * T + t) * f + 8] = rng.normal();
    }
    y[r] = merchants.slice(0, T - 1).includes(merchants[T - 1] as number) ? 1 : 0;
  }
  return { x, y };
}

test('lstm → attention → dense learns a lookup of the step that matches the current one', async () => {
  await initRuntime();
  const spec: NetworkSpec = {
    inputShape: [6, 9],
    layers: [
      { type: 'lstm', units: 16, returnSequences: true },
      { type: 'attention' },
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 1 },
    ],
  };
  const train = lookupTask(4000, 1);
  const valid = lookupTask(1000, 2);
  const result = await trainNetwork({
    spec,
    initialWeights: initialWeights(spec, new Random(3)),
    x: train.x,
    nRows: 4000,
    y: train.y,
    validation: { x: valid.x, nRows: 1000, y: valid.y },
    loss: { name: 'binary' },
    learningRate: 1e-2,
    epochs: 25,
    batchSize: 128,
    seed: 1,
    threads: 1,
    earlyStopping: { monitor: 'val_auc', patience: 6, minDelta: 0, restoreBestWeights: true },
  });
  const runner = await createTfjsRunner(spec, result.weights);
  const auc = rankAuc(valid.y, await runner.run(valid.x, 1000));
  runner.dispose();
  assert.ok(auc > 0.9, `validation AUC ${auc}`);
  const kernel = result.weights.find((w) => w.name === 'attention_0/kernel');
  const start = initialWeights(spec, new Random(3)).find((w) => w.name === 'attention_0/kernel');
  let moved = 0;
  for (let i = 0; i < (kernel?.values.length ?? 0); i++) {
    moved += Math.abs((kernel?.values[i] as number) - (start?.values[i] as number));
  }
  assert.ok(moved > 1, `the attention kernel barely moved (Σ|Δ| ${moved})`);
});
