import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { assertNoLeaks, assertReadoutsMatch, runWith, stockVersusFast, tf } from './stock-comparison.js';

test('Identity (tf.clone) gives the stock values for every dtype, strings included', () => {
  const x = tf.randomNormal([7, 5], 0, 1, 'float32', 1);
  const { stock, fast } = stockVersusFast('Identity', () => [
    tf.clone(x),
    tf.clone(tf.cast(tf.mul(x, 10), 'int32')),
    tf.clone(tf.greater(x, 0)),
    tf.clone(tf.scalar(3)),
    tf.clone(tf.zeros([0, 4])),
  ]);
  assertReadoutsMatch(stock, fast, 'clone');
  const strings = tf.tensor1d(['a', 'bc']);
  runWith('Identity', true, () => {
    const copy = tf.clone(strings);
    assert.deepEqual(copy.dataSync(), ['a', 'bc']);
    return [];
  });
  tf.dispose([x, strings]);
});

test('a clone shares the buffer and outlives the original', () => {
  const x = tf.tensor2d([
    [1, 2],
    [3, 4],
  ]);
  const bytesBefore = tf.memory().numBytes;
  const copy = tf.clone(x);
  assert.equal(copy.dataId, x.dataId, 'no copy was made');
  x.dispose();
  assert.deepEqual([...copy.dataSync()], [1, 2, 3, 4]);
  copy.dispose();
  assert.equal(tf.memory().numBytes, bytesBefore - 16);
});

test('matMul on a clone of weights stays right after the original (and its XNNPACK packing) is gone', () => {
  // tfjs-wasm caches XNNPACK's packed copy of a matmul's right operand under the buffer's id;
  // a shared buffer must keep it valid, and a new buffer must never see a stale one.
  const a = tf.randomNormal([16, 8], 0, 1, 'float32', 2);
  const w = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
  const expected = tf.matMul(a, w).dataSync();
  const w2 = tf.clone(w);
  w.dispose();
  assert.deepEqual(tf.matMul(a, w2).dataSync(), expected);
  w2.dispose();
  const w3 = tf.randomNormal([8, 4], 0, 1, 'float32', 4);
  const fresh = tf.matMul(a, w3).dataSync();
  assert.notDeepEqual(fresh, expected);
  tf.dispose([a, w3]);
});

test('training a variable with Adam gives the stock weights', () => {
  // The engine passes tensors through Identity several times per optimizer step (six here): the
  // place where a shared buffer that something wrote into would show first.
  const x = tf.randomNormal([64, 6], 0, 1, 'float32', 5);
  const y = tf.randomNormal([64, 1], 0, 1, 'float32', 6);
  const { stock, fast } = stockVersusFast('Identity', () => {
    const w = tf.variable(tf.randomNormal([6, 1], 0, 0.1, 'float32', 7));
    const optimizer = tf.train.adam(0.05);
    for (let step = 0; step < 20; step++) {
      optimizer.minimize(() => tf.mean(tf.square(tf.sub(tf.matMul(x, w), y))) as Scalar);
    }
    const trained = tf.clone(w);
    optimizer.dispose();
    w.dispose();
    return trained;
  });
  // Identity is exact; the gradient's xᵀ·dy goes through Vigil's BatchMatMul, which adds in
  // another order, hence the tolerance.
  assertReadoutsMatch(stock, fast, 'Adam-trained weights', 1e-5);
  tf.dispose([x, y]);
});

test('gradients through clone equal the stock ones', () => {
  const x = tf.randomNormal([5, 3], 0, 1, 'float32', 8);
  const { stock, fast } = stockVersusFast('Identity', () =>
    tf.grad((v: Tensor) => tf.sum(tf.mul(tf.clone(v), tf.clone(v))))(x),
  );
  assertReadoutsMatch(stock, fast, 'grad of clone');
  x.dispose();
});

test('Identity leaves no tensors or wasm memory behind', () => {
  const x = tf.randomNormal([256, 64], 0, 1, 'float32', 9);
  assertNoLeaks('Identity', () => tf.clone(x));
  x.dispose();
});
