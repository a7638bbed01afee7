import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNoLeaks, assertReadoutsMatch, runWith, stockVersusFast, tf } from './stock-comparison.js';

const cases: [number[], number | number[] | undefined][] = [
  [[512, 256], 0], // the bias gradient
  [[512, 7], [0]],
  [[1, 7], 0],
  [[7, 1], 0],
  [[7], 0],
  [
    [128, 3, 5],
    [0, 1],
  ],
  [[4, 128, 8], 1],
  [
    [128, 3, 64],
    [0, 2],
  ],
  [[3, 4, 5], -1],
  [[3, 4, 5], [-3]],
  [[256, 16], undefined], // every axis: the kernel sees axis null
];

test('Sum equals the stock kernel bit for bit (float32 and int32, keepDims on and off)', () => {
  let seed = 1;
  for (const [shape, axis] of cases) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed++);
    for (const keepDims of [false, true]) {
      const { stock, fast } = stockVersusFast('Sum', () => [
        tf.sum(x, axis, keepDims),
        tf.sum(tf.cast(tf.mul(x, 1000), 'int32'), axis, keepDims),
      ]);
      assertReadoutsMatch(stock, fast, `[${shape}] axis ${JSON.stringify(axis)} keepDims ${keepDims}`);
    }
    x.dispose();
  }
});

test("a dense layer's gradients (bias gradient = Sum over the batch) equal the stock ones", () => {
  const x = tf.randomNormal([512, 24], 0, 1, 'float32', 2);
  const w = tf.randomNormal([24, 256], 0, 0.2, 'float32', 3);
  const b = tf.randomNormal([256], 0, 0.2, 'float32', 4);
  const { stock, fast } = stockVersusFast('Sum', () =>
    tf.grads((wv: Tensor, bv: Tensor) => tf.sum(tf.square(tf.relu(tf.add(tf.matMul(x, wv), bv)))))([w, b]),
  );
  // The weight gradient also goes through Vigil's BatchMatMul (XNNPACK instead of the stock strided
  // loop), which adds 512 products in another order; the bias gradient is the Sum under test, exact.
  assertReadoutsMatch(stock.slice(0, 1), fast.slice(0, 1), 'weight gradient', 1e-4);
  assertReadoutsMatch(stock.slice(1), fast.slice(1), 'bias gradient');
  tf.dispose([x, w, b]);
});

test('a sum over an empty axis is zeros (the stock kernel leaves the output uninitialised)', () => {
  const x = tf.zeros([0, 5]);
  const fast = runWith('Sum', true, () => [tf.sum(x, 0), tf.sum(tf.zeros([3, 0, 4]), [0, 1], true)]);
  assert.deepEqual([...(fast[0]?.values ?? [])], [0, 0, 0, 0, 0]);
  assert.deepEqual(fast[1]?.shape, [1, 1, 4]);
  assert.deepEqual([...(fast[1]?.values ?? [])], [0, 0, 0, 0]);
  x.dispose();
});

test('Sum leaves no tensors or wasm memory behind', () => {
  const x = tf.randomNormal([512, 64], 0, 1, 'float32', 5);
  assertNoLeaks('Sum', () => [tf.sum(x, 0), tf.sum(x, 0, true), tf.sum(x, 1)]);
  x.dispose();
});
