import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { type LossConfig, lossOp, meanLoss } from './loss-ops.js';
import { initRuntime } from './runtime.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';

test('losses from logits equal their textbook formulas, values and gradients, with row weights', async () => {
  const tf = await initRuntime();
  const n = 9;
  const weights = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 3));
  const labels = Float32Array.from({ length: n }, (_, i) => i % 2);
  const classes = Float32Array.from({ length: n }, (_, i) => i % 3);
  const targets3 = randomValues(7, n * 3);
  const cases: { loss: LossConfig; k: number; y: Float32Array; formula: (z: Tensor) => Tensor }[] = [
    {
      loss: { name: 'binary' },
      k: 1,
      y: labels,
      formula: (z) => {
        const p = tf.sigmoid(z);
        const y = tf.tensor2d(labels, [n, 1]);
        return tf.neg(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))));
      },
    },
    {
      loss: { name: 'focal', gamma: 2, alpha: 0.25 },
      k: 1,
      y: labels,
      formula: (z) => {
        const p = tf.sigmoid(z);
        const y = tf.tensor2d(labels, [n, 1]);
        const pt = tf.add(tf.mul(y, p), tf.mul(tf.sub(1, y), tf.sub(1, p)));
        const at = tf.add(tf.mul(y, 0.25), tf.mul(tf.sub(1, y), 0.75));
        return tf.neg(tf.mul(tf.mul(at, tf.pow(tf.sub(1, pt), 2)), tf.log(pt)));
      },
    },
    {
      loss: { name: 'multiclass' },
      k: 3,
      y: classes,
      formula: (z) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(z), tf.oneHot(tf.tensor1d(classes, 'int32'), 3)), 1, true)),
    },
    {
      loss: { name: 'mse' },
      k: 3,
      y: targets3,
      formula: (z) => tf.mean(tf.square(tf.sub(z, tf.tensor2d(targets3, [n, 3]))), 1, true),
    },
    {
      loss: { name: 'huber' },
      k: 3,
      y: targets3,
      formula: (z) => {
        const r = tf.abs(tf.sub(z, tf.tensor2d(targets3, [n, 3])));
        const q = tf.minimum(r, 1);
        return tf.mean(tf.add(tf.mul(0.5, tf.square(q)), tf.sub(r, q)), 1, true);
      },
    },
  ];
  for (const { loss, k, y, formula } of cases) {
    const z = tf.tensor2d(randomValues(3, n * k, 2), [n, k]);
    const w = tf.tensor2d(weights, [n, 1]);
    const denominator = 13;
    const reference = (zs: Tensor): Tensor => tf.div(tf.sum(tf.mul(tf.reshape(formula(zs), [n, 1]), w)), denominator);
    const ours = (zs: Tensor): Tensor => lossOp(tf, loss, zs, y, weights, denominator);
    const v1 = tf.tidy(() => valuesOf(ours(z)));
    const v0 = tf.tidy(() => valuesOf(reference(z)));
    assertClose(v1, v0, 1e-6, 1e-5, `${loss.name} value`);
    const g1 = tf.tidy(() => valuesOf(tf.grad((zs: Tensor) => tf.mul(ours(zs), 3))(z)));
    const g0 = tf.tidy(() => valuesOf(tf.grad((zs: Tensor) => tf.mul(reference(zs), 3))(z)));
    assertClose(g1, g0, 1e-6, 1e-4, `${loss.name} gradient`);
    // The float64 validation loss is the unweighted mean of the same per-row losses.
    const unweighted = tf.tidy(() => valuesOf(tf.mean(formula(z))));
    assertClose([meanLoss(loss, valuesOf(z), y, n)], unweighted, 1e-6, 1e-5, `${loss.name} meanLoss`);
    tf.dispose([z, w]);
  }
});

test('binary cross-entropy from logits stays finite where log(sigmoid) overflows', async () => {
  const tf = await initRuntime();
  const z = tf.tensor2d([200, -200, 0], [3, 1]);
  const y = Float32Array.from([0, 1, 1]);
  const value = tf.tidy(() => valuesOf(lossOp(tf, { name: 'binary' }, z, y, undefined, 3)))[0] as number;
  assert.ok(Math.abs(value - (200 + 200 + Math.LN2) / 3) < 1e-3, `value ${value}`);
  const grad = tf.tidy(() => valuesOf(tf.grad((zs: Tensor) => lossOp(tf, { name: 'binary' }, zs, y, undefined, 3))(z)));
  assertClose(grad, [1 / 3, -1 / 3, -0.5 / 3], 1e-6, 0, 'gradient');
  z.dispose();
});
