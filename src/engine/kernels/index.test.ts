import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import { fastKernelsActive, initRuntime, setFastKernels } from '../runtime.js';
import { KERNEL_REPLACEMENTS } from './index.js';
import { assertKernelIs, assertReadoutsMatch, stockVersusFast, tf } from './stock-comparison.js';

test('the wasm backend is active', () => {
  assert.equal(tf.getBackend(), 'wasm');
});

test('toggling swaps every replacement in and restores exactly the stock registrations', () => {
  const kernelNames = KERNEL_REPLACEMENTS.map((r) => r.kernelName);
  assert.equal(new Set(kernelNames).size, kernelNames.length, 'one replacement per kernel');
  for (let round = 0; round < 2; round++) {
    setFastKernels(false);
    for (const name of kernelNames) assertKernelIs(name, false);
    assert.equal(tf.getKernel('Conv2DBackpropFilter', 'wasm'), undefined, 'tfjs-wasm has no Conv2DBackpropFilter');
    setFastKernels(true);
    for (const name of kernelNames) assertKernelIs(name, true);
  }
  // The same functions come back each time, so tfjs sees one stable kernel per name.
  const first = tf.getKernel('Sum', 'wasm')?.kernelFunc;
  setFastKernels(false);
  setFastKernels(true);
  assert.equal(tf.getKernel('Sum', 'wasm')?.kernelFunc, first);
});

test('a later initRuntime() call keeps the kernels a benchmark chose', async () => {
  setFastKernels(false);
  try {
    await initRuntime();
    assert.equal(fastKernelsActive(), false);
    await initRuntime({ fastKernels: true });
    assert.equal(fastKernelsActive(), true);
  } finally {
    setFastKernels(true);
  }
});

test('a small network with every replaced op trains to the stock weights', () => {
  // Dense layers (BatchMatMul with transposes, Transpose, Sum for the bias), tanh, a max over
  // time (Equal in its gradient), tile and clone, trained with Adam for a few steps.
  const x = tf.randomNormal([256, 6, 4], 0, 1, 'float32', 1);
  const y = tf.randomNormal([256, 1], 0, 1, 'float32', 2);
  const { stock, fast } = stockVersusFast('Tanh', () => {
    const w1 = tf.variable(tf.randomNormal([4, 16], 0, 0.3, 'float32', 3));
    const b1 = tf.variable(tf.zeros([16]));
    const w2 = tf.variable(tf.randomNormal([16, 1], 0, 0.3, 'float32', 4));
    const optimizer = tf.train.adam(0.01);
    for (let step = 0; step < 10; step++) {
      optimizer.minimize(() => {
        const h = tf.tanh(tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, 4]), w1), [256, 6, 16]), b1));
        const pooled = tf.max(h, 1);
        const out = tf.matMul(pooled, tf.clone(w2));
        return tf.mean(tf.square(tf.sub(out, tf.tile(tf.mean(y, 0, true), [256, 1])))) as Scalar;
      });
    }
    const weights = [w1, b1, w2].map((w) => tf.clone(w) as Tensor);
    optimizer.dispose();
    tf.dispose([w1, b1, w2]);
    return weights;
  });
  assertReadoutsMatch(stock, fast, 'trained weights', 1e-5);
  tf.dispose([x, y]);
});
