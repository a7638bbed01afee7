import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor } from '@tensorflow/tfjs-core';
import { Random } from '../random.js';
import { ConvStack, convStackPlan } from './conv-stack.js';
import { initialWeights } from './initial-weights.js';
import { lossAndGradient, lossOp } from './loss-ops.js';
import { forwardNetwork } from './network-forward.js';
import { type NetworkSpec, resolveNetwork, weightSlots } from './network-spec.js';
import { initRuntime, tf } from './runtime.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';

const cnn = (activation: 'relu' | 'linear', pool: boolean): NetworkSpec => ({
  inputShape: [10, 6],
  layers: [
    { type: 'conv1d', filters: 8, kernelSize: 3, activation },
    ...(pool ? [{ type: 'maxPool1d' as const, poolSize: 2 }] : []),
    { type: 'flatten' },
    { type: 'dense', units: 5, activation: 'relu' },
    { type: 'dense', units: 1 },
  ],
});

test('only conv1d → [maxPool1d] → flatten → dense networks take the direct conv path', () => {
  assert.ok(convStackPlan(cnn('relu', true)));
  assert.ok(convStackPlan(cnn('linear', false)));
  assert.equal(
    convStackPlan({
      inputShape: [10, 6],
      layers: [
        { type: 'conv1d', filters: 2, kernelSize: 2, activation: 'tanh' },
        { type: 'flatten' },
        { type: 'dense', units: 1 },
      ],
    }),
    undefined,
  );
  assert.equal(
    convStackPlan({
      inputShape: [10, 6],
      layers: [
        { type: 'lstm', units: 2 },
        { type: 'dense', units: 1 },
      ],
    }),
    undefined,
  );
});

test('the direct conv path gives the outputs and weight gradients of the tfjs graph', async () => {
  await initRuntime();
  for (const [activation, pool] of [
    ['relu', true],
    ['linear', false],
  ] as const) {
    for (const rows of [1, 33]) {
      const spec = cnn(activation, pool);
      const slots = weightSlots(spec);
      const values = initialWeights(spec, new Random(rows)).map((w) => w.values);
      const x = randomValues(rows + 5, rows * 60);
      const y = Float32Array.from({ length: rows }, (_, i) => i % 2);
      const what = `${activation} pool=${pool} rows ${rows}`;
      const stack = new ConvStack(convStackPlan(spec) as NonNullable<ReturnType<typeof convStackPlan>>);
      stack.load(values);
      const out = stack.forward(x, rows);
      const dOut = new Float32Array(rows);
      lossAndGradient({ name: 'binary' }, out, rows, 1, y, 1, undefined, rows, dOut);
      const grads = slots.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
      stack.backward(dOut, grads);
      stack.dispose();
      const layers = resolveNetwork(spec);
      const [expectedOut, expectedGrads] = tf.tidy(() => {
        const xt = tf.tensor3d(x, [rows, 10, 6]);
        const params = slots.map((s, i) => tf.tensor(values[i] as Float32Array, s.shape) as Tensor);
        const map = (ps: Tensor[]) => new Map(slots.map((s, i) => [s.name, ps[i] as Tensor]));
        const o = valuesOf(forwardNetwork(tf, layers, map(params), xt, { training: false }));
        const g = tf
          .grads((...ps: Tensor[]) =>
            lossOp(
              tf,
              { name: 'binary' },
              forwardNetwork(tf, layers, map(ps), xt, { training: true }),
              y,
              undefined,
              rows,
            ),
          )(params)
          .map(valuesOf);
        return [o, g] as const;
      });
      assertClose(out, expectedOut, 1e-5, 1e-5, `${what} outputs`);
      for (const [i, s] of slots.entries())
        assertClose(grads[i] as Float32Array, expectedGrads[i] as Float32Array, 1e-5, 1e-4, `${what} ${s.name}`);
    }
  }
});

test('the direct conv path leaves no tensors or wasm buffers behind', async () => {
  await initRuntime();
  const spec = cnn('relu', true);
  const slots = weightSlots(spec);
  const values = initialWeights(spec, new Random(1)).map((w) => w.values);
  const stack = new ConvStack(convStackPlan(spec) as NonNullable<ReturnType<typeof convStackPlan>>);
  const grads = slots.map((s) => new Float32Array(s.shape.reduce((a, b) => a * b, 1)));
  const x = randomValues(2, 64 * 60);
  const tensors = tf.memory().numTensors;
  const buffers = tf.backend().numDataIds();
  for (let step = 0; step < 30; step++) {
    stack.load(values);
    const out = stack.forward(x, 64);
    stack.backward(out, grads);
    stack.release();
  }
  stack.dispose();
  assert.equal(tf.memory().numTensors, tensors);
  assert.equal(tf.backend().numDataIds(), buffers);
});
