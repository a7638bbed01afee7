import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { applyActivation } from './activations.js';
import { denseOp } from './dense-op.js';
import { ACTIVATIONS } from './network-spec.js';
import { initRuntime } from './runtime.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';

test('the fused dense op equals matMul + bias + activation, values and gradients, every activation', async () => {
  const tf = await initRuntime();
  for (const [rows, nIn, nOut] of [
    [1, 3, 2],
    [7, 5, 4],
    [64, 30, 17],
  ] as const) {
    for (const activation of ACTIVATIONS) {
      for (const withBias of [true, false]) {
        const x = tf.tensor2d(randomValues(rows, rows * nIn), [rows, nIn]);
        const w = tf.tensor2d(randomValues(nIn + 1, nIn * nOut, 0.5), [nIn, nOut]);
        const b = tf.tensor1d(randomValues(nOut + 2, nOut, 0.5));
        const dy = tf.tensor2d(randomValues(3, rows * nOut), [rows, nOut]);
        const reference = (xs: Tensor, ws: Tensor, bs?: Tensor): Tensor => {
          const z = tf.matMul(xs as Tensor2D, ws as Tensor2D);
          return applyActivation(tf, bs ? tf.add(z, bs) : z, activation);
        };
        const fused = (xs: Tensor, ws: Tensor, bs?: Tensor): Tensor =>
          denseOp(tf, xs as Tensor2D, ws as Tensor2D, bs as Tensor1D | undefined, activation);
        const what = `${activation} ${rows}×${nIn}→${nOut} bias=${withBias}`;
        const inputs = withBias ? [x, w, b] : [x, w];
        const y1 = tf.tidy(() => valuesOf(fused(x, w, withBias ? b : undefined)));
        const y0 = tf.tidy(() => valuesOf(reference(x, w, withBias ? b : undefined)));
        assertClose(y1, y0, 1e-5, 1e-5, `${what} y`);
        const g1 = tf.tidy(() =>
          tf
            .grads((...a: Tensor[]) => tf.sum(tf.mul(fused(a[0] as Tensor, a[1] as Tensor, a[2]), dy)))(inputs)
            .map(valuesOf),
        );
        const g0 = tf.tidy(() =>
          tf
            .grads((...a: Tensor[]) => tf.sum(tf.mul(reference(a[0] as Tensor, a[1] as Tensor, a[2]), dy)))(inputs)
            .map(valuesOf),
        );
        for (const [i, g] of g1.entries()) assertClose(g, g0[i] as Float32Array, 1e-4, 1e-4, `${what} grad ${i}`);
        tf.dispose([x, w, b, dy]);
      }
    }
  }
});

test('the fused dense op leaves no tensors behind under a gradient tape', async () => {
  const tf = await initRuntime();
  const x = tf.tensor2d(randomValues(1, 32 * 8), [32, 8]);
  const w = tf.tensor2d(randomValues(2, 8 * 4), [8, 4]);
  const b = tf.tensor1d(randomValues(3, 4));
  const before = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  for (let i = 0; i < 50; i++) {
    // No tf.tidy around the op: it would dispose anything the op leaked and hide it.
    const grads = tf.grads((xs: Tensor, ws: Tensor, bs: Tensor) =>
      tf.sum(denseOp(tf, xs as Tensor2D, ws as Tensor2D, bs as Tensor1D, 'relu')),
    )([x, w, b]);
    tf.dispose(grads);
  }
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.backend().numDataIds(), buffers, 'wasm buffers left behind');
  tf.dispose([x, w, b]);
});

test('inputGrad: false skips dx (zeros) and leaves the weight gradients unchanged', async () => {
  const tf = await initRuntime();
  const x = tf.tensor2d(randomValues(1, 16 * 6), [16, 6]);
  const w = tf.tensor2d(randomValues(2, 6 * 3), [6, 3]);
  const b = tf.tensor1d(randomValues(3, 3));
  const grads = (inputGrad: boolean) =>
    tf.tidy(() =>
      tf
        .grads((xs: Tensor, ws: Tensor, bs: Tensor) =>
          tf.sum(denseOp(tf, xs as Tensor2D, ws as Tensor2D, bs as Tensor1D, 'tanh', inputGrad)),
        )([x, w, b])
        .map(valuesOf),
    );
  const [dx0, dw0, db0] = grads(false);
  const [, dw1, db1] = grads(true);
  assert.ok((dx0 as Float32Array).every((v) => v === 0));
  assert.deepEqual(dw0, dw1);
  assert.deepEqual(db0, db1);
  tf.dispose([x, w, b]);
});
