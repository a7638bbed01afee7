import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createTfjsRunner } from '../engine/index.js';
import type { NetworkWeight } from '../engine/network-runner.js';
import { ACTIVATIONS, inputSize, type NetworkSpec, weightSlots } from '../engine/network-spec.js';
import { DataError } from '../errors.js';
import { Random } from '../random.js';
import { createOnnxRunner, networkToOnnx, openOnnxSession } from './index.js';

/**
 * Random weights at the scale training produces (kernels ~ 1/√fan-in, so activations stay O(1)
 * and the 1e-5 tolerance measures the runtimes, not float32 cancellation in blown-up values).
 */
function randomWeights(spec: NetworkSpec, seed: number): NetworkWeight[] {
  const rng = new Random(seed);
  return weightSlots(spec).map((slot) => {
    const n = slot.shape.reduce((a, b) => a * b, 1);
    const fanIn = slot.shape.slice(0, -1).reduce((a, b) => a * b, 1);
    const draw = (): number => {
      if (slot.name.endsWith('/moving_variance')) return 0.5 + rng.next();
      if (slot.name.endsWith('/gamma')) return rng.normal(1, 0.2);
      if (slot.name.endsWith('kernel')) return rng.normal(0, 1.2 / Math.sqrt(fanIn));
      return rng.normal(0, 0.3);
    };
    return { name: slot.name, shape: slot.shape, values: Float32Array.from({ length: n }, draw) };
  });
}

function randomRows(spec: NetworkSpec, nRows: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: nRows * inputSize(spec) }, () => rng.normal(0, 1));
}

/** |a − b| ≤ 1e-5, relative to |b| when it exceeds 1. */
function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, `${what}: output length`);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const err = Math.abs((actual[i] as number) - e) / Math.max(1, Math.abs(e));
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  assert.ok(worst <= 1e-5, `${what}: error ${worst} at ${at} (onnx ${actual[at]}, tfjs ${expected[at]})`);
}

/** Runs both runtimes on 1, 7 and 300 rows and compares. */
async function assertSameAsTfjs(spec: NetworkSpec, seed: number): Promise<void> {
  const weights = randomWeights(spec, seed);
  const onnx = await createOnnxRunner(spec, weights);
  const tfjs = await createTfjsRunner(spec, weights);
  try {
    for (const nRows of [1, 7, 300]) {
      const x = randomRows(spec, nRows, seed + nRows);
      const expected = await tfjs.run(x, nRows);
      const actual = await onnx.run(x, nRows);
      assert.ok(
        expected.some((v) => v !== 0),
        'the reference output is not all zeros',
      );
      assertClose(actual, expected, `${JSON.stringify(spec.layers.map((l) => l.type))} × ${nRows} rows`);
    }
  } finally {
    onnx.dispose();
    tfjs.dispose();
  }
}

describe('ONNX forward pass equals the TF.js forward pass within 1e-5', () => {
  for (const activation of ACTIVATIONS) {
    test(`dense with ${activation}`, async () => {
      await assertSameAsTfjs(
        {
          inputShape: [12],
          layers: [
            { type: 'dense', units: 16, activation },
            { type: 'dense', units: 3 },
          ],
        },
        11,
      );
    });
  }

  test('dense without bias, dropout and a stand-alone activation', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [9],
        layers: [
          { type: 'dense', units: 8, useBias: false },
          { type: 'activation', activation: 'gelu' },
          { type: 'dropout', rate: 0.4 },
          { type: 'dense', units: 1, activation: 'sigmoid' },
        ],
      },
      12,
    );
  });

  test('MLP with batch norm (dense → batchNorm → relu → dropout → dense)', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [30],
        layers: [
          { type: 'dense', units: 64, useBias: false },
          { type: 'batchNorm' },
          { type: 'activation', activation: 'relu' },
          { type: 'dropout', rate: 0.3 },
          { type: 'dense', units: 32, useBias: false },
          { type: 'batchNorm' },
          { type: 'activation', activation: 'selu' },
          { type: 'dense', units: 1 },
        ],
      },
      13,
    );
  });

  test('conv1d → maxPool1d (floor) → flatten → dense', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [12, 4],
        layers: [
          { type: 'conv1d', filters: 6, kernelSize: 3, activation: 'relu' },
          { type: 'maxPool1d', poolSize: 3 },
          { type: 'flatten' },
          { type: 'dense', units: 2 },
        ],
      },
      14,
    );
  });

  test('conv1d → batchNorm → conv1d → maxPool1d as the last layer (3-D output)', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [16, 3],
        layers: [
          { type: 'conv1d', filters: 5, kernelSize: 4 },
          { type: 'batchNorm' },
          { type: 'activation', activation: 'elu' },
          { type: 'conv1d', filters: 4, kernelSize: 2, activation: 'tanh' },
          { type: 'maxPool1d', poolSize: 2 },
        ],
      },
      15,
    );
  });

  test('lstm returning sequences → lstm → dense', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [10, 15],
        layers: [
          { type: 'lstm', units: 12, returnSequences: true },
          { type: 'lstm', units: 8 },
          { type: 'dense', units: 1 },
        ],
      },
      16,
    );
  });

  test('gru (last state) → dense', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [8, 5],
        layers: [
          { type: 'gru', units: 10 },
          { type: 'dense', units: 3 },
        ],
      },
      17,
    );
  });

  test('gru returning sequences → batchNorm → flatten → dense', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [6, 4],
        layers: [
          { type: 'gru', units: 7, returnSequences: true },
          { type: 'batchNorm' },
          { type: 'flatten' },
          { type: 'dense', units: 2 },
        ],
      },
      18,
    );
  });

  test('lstm returning sequences → attention → dense (the lstm-attention fraud model)', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [6, 16],
        layers: [
          { type: 'lstm', units: 12, returnSequences: true },
          { type: 'attention' },
          { type: 'dense', units: 8, activation: 'relu' },
          { type: 'dropout', rate: 0.2 },
          { type: 'dense', units: 1 },
        ],
      },
      21,
    );
  });

  test('attention as the last layer, after conv1d (steps-first layout) and after a gru', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [9, 3],
        layers: [{ type: 'conv1d', filters: 5, kernelSize: 2, activation: 'tanh' }, { type: 'attention' }],
      },
      22,
    );
    await assertSameAsTfjs(
      {
        inputShape: [1, 4],
        layers: [{ type: 'gru', units: 6, returnSequences: true }, { type: 'attention' }],
      },
      23,
    );
  });

  test('dense on a 3-D input ([steps, features]) → dense as the last layer', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [5, 4],
        layers: [
          { type: 'dense', units: 6, activation: 'tanh' },
          { type: 'dense', units: 3, useBias: false },
        ],
      },
      19,
    );
  });

  test('dense on 3-D input → conv1d → flatten of an already flat tensor is a no-op', async () => {
    await assertSameAsTfjs(
      {
        inputShape: [7, 3],
        layers: [
          { type: 'dense', units: 4, activation: 'relu' },
          { type: 'conv1d', filters: 3, kernelSize: 2 },
          { type: 'flatten' },
          { type: 'flatten' },
          { type: 'dense', units: 1 },
        ],
      },
      20,
    );
  });
});

describe('the exported file', () => {
  test('onnxruntime loads it with input [N, ...inputShape] named input and output [N, ...] named output', async () => {
    const spec: NetworkSpec = {
      inputShape: [10, 15],
      layers: [{ type: 'lstm', units: 4, returnSequences: true }],
    };
    const bytes = networkToOnnx(spec, randomWeights(spec, 1), { metadata: { 'vigil.task': 'binary' } });
    const session = await openOnnxSession(bytes, { api: 'public' });
    try {
      assert.deepEqual(session.inputs, [{ name: 'input', isTensor: true, type: 'float32', shape: ['N', 10, 15] }]);
      assert.deepEqual(session.outputs, [{ name: 'output', isTensor: true, type: 'float32', shape: ['N', 10, 4] }]);
    } finally {
      session.release();
    }
  });

  test('weights that do not match the spec are refused with every bad weight named', () => {
    const spec: NetworkSpec = {
      inputShape: [4],
      layers: [
        { type: 'dense', units: 3, activation: 'relu' },
        { type: 'dense', units: 1 },
      ],
    };
    const good = randomWeights(spec, 2);
    const wrongShape = good.map((w) =>
      w.name === 'dense_0/kernel' ? { ...w, shape: [3, 4] } : w.name === 'dense_1/bias' ? { ...w, shape: [2] } : w,
    );
    const refused = (weights: NetworkWeight[], names: string[], pattern: RegExp) =>
      assert.throws(
        () => networkToOnnx(spec, weights),
        (e: unknown) =>
          e instanceof DataError &&
          e.code === 'bad_weights' &&
          pattern.test(e.message) &&
          JSON.stringify(e.issues.map((i) => i.path[0])) === JSON.stringify(names),
      );
    refused(wrongShape, ['dense_0/kernel', 'dense_1/bias'], /dense_0\/kernel has shape \[3, 4\], expected \[4, 3\]/);
    refused(
      good.filter((w) => w.name !== 'dense_1/kernel'),
      ['dense_1/kernel'],
      /dense_1\/kernel \[3, 1\] is missing/,
    );
    refused(
      [...good, { name: 'dense_2/kernel', shape: [1], values: new Float32Array(1) }],
      ['dense_2/kernel'],
      /dense_2\/kernel is not part of the network/,
    );
    refused(
      good.map((w) => (w.name === 'dense_0/bias' ? { ...w, values: new Float32Array(2) } : w)),
      ['dense_0/bias'],
      /dense_0\/bias has 2 values for shape \[3\]/,
    );
  });
});
