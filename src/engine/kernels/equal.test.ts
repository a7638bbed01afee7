import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { planBroadcast } from './equal.js';
import { assertNoLeaks, assertReadoutsMatch, stockVersusFast, tf } from './stock-comparison.js';

/** Small integers, so that broadcast comparisons find matches as well as misses. */
function smallInts(shape: number[], seed: number): Tensor {
  return tf.tidy(() => tf.floor(tf.randomUniform(shape, 0, 3, 'float32', seed)));
}

const pairs: [number[], number[]][] = [
  [
    [512, 10, 32],
    [512, 1, 32],
  ], // max-pool gradient
  [
    [3, 1],
    [1, 4],
  ],
  [[5], []],
  [[], [5]],
  [[2, 3, 4], [4]],
  [[4], [2, 3, 4]],
  [
    [2, 1, 3, 1],
    [1, 4, 1, 5],
  ],
  [[1, 1], [1]],
  [
    [7, 5],
    [7, 5],
  ], // same shape: stock path
  [
    [0, 3],
    [1, 3],
  ],
];

test('Equal with broadcasting equals the stock kernel (float32, int32, bool)', () => {
  let seed = 1;
  for (const [aShape, bShape] of pairs) {
    const a = smallInts(aShape, seed++);
    const b = smallInts(bShape, seed++);
    const { stock, fast } = stockVersusFast('Equal', () => [
      tf.equal(a, b),
      tf.equal(tf.cast(a, 'int32'), tf.cast(b, 'int32')),
      tf.equal(tf.greater(a, 1), tf.greater(b, 1)),
    ]);
    assertReadoutsMatch(stock, fast, `[${aShape}] == [${bShape}]`);
    assert.equal(fast[0]?.dtype, 'bool');
    tf.dispose([a, b]);
  }
});

test('Equal follows IEEE comparison for NaN, infinities and signed zeros', () => {
  const a = tf.tensor2d([[Number.NaN, Number.POSITIVE_INFINITY, -0, 1, Number.NEGATIVE_INFINITY]]);
  const b = tf.tensor2d([[Number.NaN], [Number.POSITIVE_INFINITY], [0], [Number.NEGATIVE_INFINITY]]);
  const { stock, fast } = stockVersusFast('Equal', () => tf.equal(a, b));
  assertReadoutsMatch(stock, fast, 'special values');
  assert.deepEqual([...(fast[0]?.values ?? [])], [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1]);
  tf.dispose([a, b]);
});

test('gradients through max (which compare x with its broadcast maximum) equal the stock ones', () => {
  const x = tf.randomNormal([64, 10, 32], 0, 1, 'float32', 7);
  const w = tf.randomNormal([64, 32], 0, 1, 'float32', 8);
  const { stock, fast } = stockVersusFast('Equal', () => tf.grad((v: Tensor) => tf.sum(tf.mul(tf.max(v, 1), w)))(x));
  assertReadoutsMatch(stock, fast, 'grad of max over axis 1');
  tf.dispose([x, w]);
});

test('planBroadcast merges neighbouring axes that broadcast alike', () => {
  assert.deepEqual(planBroadcast([512, 10, 32], [512, 1, 32], [512, 10, 32]), {
    dims: [512, 10, 32],
    aStrides: [320, 32, 1],
    bStrides: [32, 0, 1],
  });
  assert.deepEqual(planBroadcast([2, 3, 4], [4], [2, 3, 4]), { dims: [6, 4], aStrides: [4, 1], bStrides: [0, 1] });
  assert.deepEqual(planBroadcast([5], [], [5]), { dims: [5], aStrides: [1], bStrides: [0] });
  assert.deepEqual(planBroadcast([1, 1], [1], [1, 1]), { dims: [1], aStrides: [0], bStrides: [0] });
});

test('Equal leaves no tensors or wasm memory behind', () => {
  const a = smallInts([128, 10, 8], 9);
  const b = smallInts([128, 1, 8], 10);
  assertNoLeaks('Equal', () => tf.equal(a, b));
  tf.dispose([a, b]);
});
