import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { Random } from '../random.js';
import { DenseStack, denseStackLayers } from './dense-stack.js';
import { initialWeights } from './initial-weights.js';
import { lossAndGradient, lossOp } from './loss-ops.js';
import { forwardNetwork } from './network-forward.js';
import { type NetworkSpec, resolveNetwork, weightSlots } from './network-spec.js';
import { initRuntime, tf } from './runtime.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';

function wasmHeapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}

test('only networks of dense (and dropout) layers on a flat input take the direct path', () => {
  assert.ok(
    denseStackLayers({
      inputShape: [4],
      layers: [
        { type: 'dense', units: 3, activation: 'relu' },
        { type: 'dropout', rate: 0.2 },
        { type: 'dense', units: 1 },
      ],
    }),
  );
  assert.equal(
    denseStackLayers({ inputShape: [4], layers: [{ type: 'dense', units: 3, activation: 'gelu' }] }),
    undefined,
  );
  assert.equal(
    denseStackLayers({ inputShape: [4], layers: [{ type: 'dense', units: 3 }, { type: 'batchNorm' }] }),
    undefined,
  );
  assert.equal(denseStackLayers({ inputShape: [2, 3], layers: [{ type: 'lstm', units: 3 }] }), undefined);
});

test('the direct dense path gives the outputs and gradients of the tfjs graph, every activation', async () => {
  await initRuntime();
  for (const activation of ['linear', 'relu', 'sigmoid', 'tanh', 'elu', 'selu'] as const) {
    for (const rows of [1, 37, 256]) {
      const spec: NetworkSpec = {
        inputShape: [9],
        layers: [
          { type: 'dense', units: 16, activation },
          { type: 'dense', units: 5, activation: 'relu', useBias: false },
          { type: 'dense', units: 3 },
        ],
      };
      const slots = weightSlots(spec);
      const weights = initialWeights(spec, new Random(rows));
      const values = weights.map((w) => w.values);
      const x = randomValues(rows + 1, rows * 9);
      const y = randomValues(rows + 2, rows * 3);
      const what = `${activation} rows ${rows}`;

      const stack = new DenseStack(denseStackLayers(spec) ?? [], 9);
      stack.load(values);
      const out = stack.forward(x, rows);
      const dOut = new Float32Array(out.length);
      lossAndGradient({ name: 'mse' }, out, rows, 3, y, 3, undefined, rows, dOut);
      const grads = slots.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
      const dx = stack.backward(dOut, grads, true);
      stack.dispose();

      const layers = resolveNetwork(spec);
      const expectedOut = tf.tidy(() => {
        const params = new Map(slots.map((s, i) => [s.name, tf.tensor(values[i] as Float32Array, s.shape) as Tensor]));
        return valuesOf(forwardNetwork(tf, layers, params, tf.tensor2d(x, [rows, 9]), { training: false }));
      });
      assertClose(out, expectedOut, 1e-5, 1e-5, `${what} outputs`);
      const expected = tf.tidy(() => {
        const xt = tf.tensor2d(x, [rows, 9]);
        const params = slots.map((s, i) => tf.tensor(values[i] as Float32Array, s.shape) as Tensor);
        return tf
          .grads((...ps: Tensor[]) => {
            const [xs, ...rest] = ps;
            const map = new Map(slots.map((s, i) => [s.name, rest[i] as Tensor]));
            const o = forwardNetwork(tf, layers, map, xs as Tensor, { training: true, inputNeedsGrad: true });
            return lossOp(tf, { name: 'mse' }, o, y, undefined, rows);
          })([xt, ...params])
          .map(valuesOf);
      });
      assertClose(dx as Float32Array, expected[0] as Float32Array, 1e-5, 1e-4, `${what} dx`);
      for (const [i, s] of slots.entries())
        assertClose(grads[i] as Float32Array, expected[i + 1] as Float32Array, 1e-5, 1e-4, `${what} ${s.name}`);
    }
  }
});

test('dropout masks are Keras inverted dropout, drawn from the seed, and flow into the gradient', async () => {
  await initRuntime();
  const spec: NetworkSpec = {
    inputShape: [6],
    layers: [
      { type: 'dense', units: 400, activation: 'relu' },
      { type: 'dropout', rate: 0.25 },
      { type: 'dense', units: 1 },
    ],
  };
  const values = initialWeights(spec, new Random(1)).map((w) => w.values);
  const stack = new DenseStack(denseStackLayers(spec) ?? [], 6);
  stack.load(values);
  const x = randomValues(3, 50 * 6);
  const a = stack.forward(x, 50, 7);
  const b = stack.forward(x, 50, 7);
  const c = stack.forward(x, 50, 8);
  const eval_ = stack.forward(x, 50);
  assert.deepEqual(a, b, 'same seed, same mask');
  assert.notDeepEqual(a, c, 'another seed, another mask');
  // Inverted dropout keeps the expected activation: the mean output stays near the no-dropout one.
  const mean = (v: Float32Array) => v.reduce((s, t) => s + t, 0) / v.length;
  assert.ok(Math.abs(mean(a) - mean(eval_)) < 0.25 * Math.abs(mean(eval_)) + 0.05, `${mean(a)} vs ${mean(eval_)}`);
  // The mask reaches the gradient: the same seed gives the same first-layer gradient, none another.
  const slots = weightSlots(spec);
  const gradsAfter = (seed: number | undefined): Float32Array[] => {
    const grads = slots.map((s) => new Float32Array(s.shape.reduce((p, q) => p * q, 1)));
    // Each load starts a step: gradients are summed over the backward passes since the last one.
    stack.load(values);
    stack.forward(x, 50, seed);
    stack.backward(new Float32Array(50).fill(1), grads, false);
    return grads;
  };
  const [g7, g7again, gEval] = [gradsAfter(7), gradsAfter(7), gradsAfter(undefined)];
  assert.deepEqual(g7[0], g7again[0], 'same seed, same gradient');
  assert.notDeepEqual(g7[0], gEval[0], 'dropout changes the first-layer gradient');
  stack.dispose();
});

test('the direct path leaves no tensors and does not grow the wasm heap over many steps', async () => {
  await initRuntime();
  const spec: NetworkSpec = {
    inputShape: [30],
    layers: [
      { type: 'dense', units: 64, activation: 'relu' },
      { type: 'dropout', rate: 0.1 },
      { type: 'dense', units: 30 },
    ],
  };
  const slots = weightSlots(spec);
  const values = initialWeights(spec, new Random(1)).map((w) => w.values);
  const stack = new DenseStack(denseStackLayers(spec) ?? [], 30);
  const x = randomValues(1, 128 * 30);
  const grads = slots.map((s) => new Float32Array(s.shape.reduce((p, q) => p * q, 1)));
  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  const heaps: number[] = [];
  const ownMemory: number[] = [];
  for (let step = 0; step < 60; step++) {
    stack.load(values);
    const out = stack.forward(x, 128, step);
    stack.backward(out, grads, false);
    stack.release();
    if (step >= 5) heaps.push(wasmHeapBytes());
    ownMemory.push(stack.memoryBytes);
  }
  stack.dispose();
  assert.equal(new Set(ownMemory).size, 1, `the stack's memory grew: ${ownMemory.join(',')}`);
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.backend().numDataIds(), buffers, 'wasm buffers left behind');
  assert.equal(new Set(heaps).size, 1, `heap grew: ${heaps.join(',')}`);
});
