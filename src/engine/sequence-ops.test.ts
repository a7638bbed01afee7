import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { denseOp } from './dense-op.js';
import { initRuntime, type tf as tfNamespace } from './runtime.js';
import { framesOp, maxPool1dOp } from './sequence-ops.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';

type Tf = typeof tfNamespace;

/** 'valid' Conv1D as a sum of shifted products, differentiable with plain ops on any backend. */
function referenceConv1d(tf: Tf, x: Tensor, kernel: Tensor, bias: Tensor): Tensor {
  const [b, T, c] = x.shape as [number, number, number];
  const [k, , filters] = kernel.shape as [number, number, number];
  const steps = T - k + 1;
  let y: Tensor = tf.zeros([b * steps, filters]);
  for (let j = 0; j < k; j++) {
    const xs = tf.reshape(tf.slice(x, [0, j, 0], [b, steps, c]), [b * steps, c]) as Tensor2D;
    const wj = tf.reshape(tf.slice(kernel, [j, 0, 0], [1, c, filters]), [c, filters]) as Tensor2D;
    y = tf.add(y, tf.matMul(xs, wj));
  }
  return tf.reshape(tf.add(y, bias), [b, steps, filters]);
}

function framesConv1d(tf: Tf, x: Tensor, kernel: Tensor, bias: Tensor): Tensor {
  const [b, T, c] = x.shape as [number, number, number];
  const [k, , filters] = kernel.shape as [number, number, number];
  const frames = framesOp(tf, x as Tensor3D, k) as Tensor2D;
  const y = denseOp(tf, frames, tf.reshape(kernel, [k * c, filters]) as Tensor2D, bias as Tensor1D, 'linear');
  return tf.reshape(y, [b, T - k + 1, filters]);
}

test('Conv1D as frames + dense equals tf.conv1d and a shifted-product reference, with gradients', async () => {
  const tf = await initRuntime();
  for (const [b, T, c, k, filters] of [
    [1, 2, 1, 2, 1],
    [4, 10, 15, 2, 32],
    [3, 7, 5, 3, 4],
  ] as const) {
    const x = tf.tensor3d(randomValues(b + T, b * T * c), [b, T, c]);
    const kernel = tf.tensor3d(randomValues(k + 9, k * c * filters, 0.5), [k, c, filters]);
    const bias = tf.tensor1d(randomValues(5, filters, 0.5));
    const dy = tf.tensor3d(randomValues(6, b * (T - k + 1) * filters), [b, T - k + 1, filters]);
    const what = `b${b} T${T} c${c} k${k} f${filters}`;
    const y = tf.tidy(() => valuesOf(framesConv1d(tf, x, kernel, bias)));
    assertClose(
      y,
      tf.tidy(() => valuesOf(tf.add(tf.conv1d(x, kernel, 1, 'valid'), bias))),
      1e-5,
      1e-5,
      `${what} vs tf.conv1d`,
    );
    assertClose(
      y,
      tf.tidy(() => valuesOf(referenceConv1d(tf, x, kernel, bias))),
      1e-5,
      1e-5,
      `${what} vs reference`,
    );
    const g1 = tf.tidy(() =>
      tf
        .grads((a: Tensor, w: Tensor, bb: Tensor) => tf.sum(tf.mul(framesConv1d(tf, a, w, bb), dy)))([x, kernel, bias])
        .map(valuesOf),
    );
    const g0 = tf.tidy(() =>
      tf
        .grads((a: Tensor, w: Tensor, bb: Tensor) => tf.sum(tf.mul(referenceConv1d(tf, a, w, bb), dy)))([
          x,
          kernel,
          bias,
        ])
        .map(valuesOf),
    );
    for (const [i, g] of g1.entries()) assertClose(g, g0[i] as Float32Array, 1e-4, 1e-4, `${what} grad ${i}`);
    tf.dispose([x, kernel, bias, dy]);
  }
});

test('MaxPool1D equals a reshape-and-max reference, values and gradients; a remainder step is dropped', async () => {
  const tf = await initRuntime();
  for (const [b, T, c, p] of [
    [1, 2, 1, 2],
    [4, 9, 32, 2],
    [2, 10, 3, 3],
  ] as const) {
    const steps = Math.floor(T / p);
    const x = tf.tensor3d(randomValues(T * 3 + c, b * T * c), [b, T, c]);
    const dy = tf.tensor3d(randomValues(8, b * steps * c), [b, steps, c]);
    const reference = (a: Tensor): Tensor =>
      tf.max(tf.reshape(tf.slice(a, [0, 0, 0], [b, steps * p, c]), [b, steps, p, c]), 2);
    const what = `b${b} T${T} c${c} p${p}`;
    assertClose(
      tf.tidy(() => valuesOf(maxPool1dOp(tf, x, p))),
      tf.tidy(() => valuesOf(reference(x))),
      0,
      0,
      `${what} y`,
    );
    const g1 = tf.tidy(() =>
      valuesOf(tf.grad((a: Tensor) => tf.sum(tf.mul(maxPool1dOp(tf, a as Tensor3D, p), dy)))(x)),
    );
    const g0 = tf.tidy(() => valuesOf(tf.grad((a: Tensor) => tf.sum(tf.mul(reference(a), dy)))(x)));
    assertClose(g1, g0, 1e-6, 0, `${what} grad`);
    tf.dispose([x, dy]);
  }
});

test('the sequence ops leave no tensors behind', async () => {
  const tf = await initRuntime();
  const x = tf.tensor3d(randomValues(1, 8 * 10 * 4), [8, 10, 4]);
  const before = tf.memory().numTensors;
  for (let i = 0; i < 30; i++) {
    tf.tidy(() => {
      tf.grad((a: Tensor) => tf.sum(maxPool1dOp(tf, a as Tensor3D, 2)))(x);
      tf.grad((a: Tensor) => tf.sum(framesOp(tf, a as Tensor3D, 3)))(x);
    });
  }
  assert.equal(tf.memory().numTensors, before);
  x.dispose();
});
