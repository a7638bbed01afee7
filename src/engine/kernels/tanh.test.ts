import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { assertNoLeaks, assertReadoutsMatch, maxScaledDiff, stockVersusFast, tf } from './stock-comparison.js';

const special = [
  0,
  -0,
  1e-8,
  -1e-8,
  1e-3,
  0.5,
  -0.5,
  1,
  3,
  -3,
  8,
  9.1,
  20,
  -20,
  88,
  -88,
  1e30,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.NaN,
];

test('Tanh is within 1e-6 of the stock kernel (and of exact tanh) on every shape', () => {
  let seed = 1;
  for (const shape of [[512, 256], [1], [], [3, 5, 7], [1, 1], [0, 4]]) {
    const x = tf.randomNormal(shape, 0, 3, 'float32', seed++);
    const { stock, fast } = stockVersusFast('Tanh', () => tf.tanh(x));
    assertReadoutsMatch(stock, fast, `[${shape}]`, 1e-6);
    const exact = Float64Array.from(x.dataSync(), Math.tanh);
    assert.ok(maxScaledDiff(exact, fast[0]?.values ?? []) <= 1e-6, `[${shape}] against Math.tanh`);
    x.dispose();
  }
});

test('Tanh handles zeros, tiny, saturating, infinite and NaN inputs', () => {
  const x = tf.tensor1d(special);
  const { stock, fast } = stockVersusFast('Tanh', () => tf.tanh(x));
  assertReadoutsMatch(stock, fast, 'special values', 1e-6);
  const values = fast[0]?.values ?? [];
  special.forEach((v, i) => {
    const got = values[i] as number;
    if (Number.isNaN(v)) assert.ok(Number.isNaN(got), 'NaN stays NaN');
    else assert.ok(Math.abs(got - Math.tanh(v)) <= 1e-6, `tanh(${v}) = ${got}`);
  });
  x.dispose();
});

test('gradients through tanh equal the stock ones within 1e-6', () => {
  const x = tf.randomNormal([64, 32], 0, 2, 'float32', 4);
  const w = tf.randomNormal([64, 32], 0, 1, 'float32', 5);
  const { stock, fast } = stockVersusFast('Tanh', () => tf.grad((v: Tensor) => tf.sum(tf.mul(tf.tanh(v), w)))(x));
  assertReadoutsMatch(stock, fast, 'grad of tanh', 1e-6);
  tf.dispose([x, w]);
});

test('Tanh leaves no tensors or wasm memory behind', () => {
  const x = tf.randomNormal([256, 64], 0, 1, 'float32', 6);
  assertNoLeaks('Tanh', () => tf.tanh(x));
  x.dispose();
});
