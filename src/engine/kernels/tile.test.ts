import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNoLeaks, assertReadoutsMatch, stockVersusFast, tf } from './stock-comparison.js';

const cases: [number[], number[]][] = [
  [
    [1, 256],
    [512, 1],
  ],
  [
    [512, 1],
    [1, 256],
  ],
  [
    [2, 3],
    [2, 2],
  ],
  [[3], [4]],
  [[3], [1]],
  [
    [2, 1, 3],
    [1, 4, 2],
  ],
  [
    [1, 1, 1],
    [3, 5, 7],
  ],
  [
    [2, 3, 1, 2],
    [2, 1, 3, 1],
  ],
  [[1], [1]],
  [
    [0, 3],
    [2, 2],
  ],
  [
    [2, 3],
    [0, 1],
  ],
];

test('Tile equals the stock kernel bit for bit (float32, int32, bool)', () => {
  let seed = 1;
  for (const [shape, reps] of cases) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed++);
    const { stock, fast } = stockVersusFast('Tile', () => [
      tf.tile(x, reps),
      tf.tile(tf.cast(tf.mul(x, 100), 'int32'), reps),
      tf.tile(tf.greater(x, 0), reps),
    ]);
    assertReadoutsMatch(stock, fast, `[${shape}] × [${reps}]`);
    x.dispose();
  }
});

test('gradients through Tile and broadcastTo equal the stock ones', () => {
  const x = tf.randomNormal([4, 1, 3], 0, 1, 'float32', 2);
  const w = tf.randomNormal([8, 5, 6], 0, 1, 'float32', 3);
  const { stock, fast } = stockVersusFast('Tile', () => [
    tf.grad((v: Tensor) => tf.sum(tf.mul(tf.tile(v, [2, 5, 2]), w)))(x),
    tf.grad((v: Tensor) => tf.sum(tf.mul(tf.broadcastTo(v, [2, 4, 5, 3]), tf.ones([2, 4, 5, 3]))))(x),
  ]);
  // The Tile gradient sums slices in the same order with either kernel.
  assertReadoutsMatch(stock, fast, 'tile gradients');
  tf.dispose([x, w]);
});

test('Tile leaves no tensors or wasm memory behind', () => {
  const row = tf.randomNormal([1, 64], 0, 1, 'float32', 4);
  const column = tf.randomNormal([64, 1], 0, 1, 'float32', 5);
  assertNoLeaks('Tile', () => [tf.tile(row, [128, 1]), tf.tile(column, [2, 64])]);
  tf.dispose([row, column]);
});
