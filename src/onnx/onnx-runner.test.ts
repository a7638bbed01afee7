import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { NetworkWeight } from '../engine/network-runner.js';
import { type NetworkSpec, weightSlots } from '../engine/network-spec.js';
import { DataError } from '../errors.js';
import { Random } from '../random.js';
import {
  createOnnxRunner,
  createOnnxRunnerFromBytes,
  encodeOnnxModel,
  type OnnxModel,
  onnxRunnerFactory,
} from './index.js';

const spec: NetworkSpec = {
  inputShape: [10, 15],
  layers: [
    { type: 'lstm', units: 8 },
    { type: 'dense', units: 1 },
  ],
};

function weightsFor(s: NetworkSpec, seed: number): NetworkWeight[] {
  const rng = new Random(seed);
  return weightSlots(s).map((slot) => ({
    name: slot.name,
    shape: slot.shape,
    values: Float32Array.from({ length: slot.shape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, 0.3)),
  }));
}

function rows(n: number, width: number, seed: number): Float32Array {
  const rng = new Random(seed);
  return Float32Array.from({ length: n * width }, () => rng.normal());
}

const isData = (code: string, pattern?: RegExp) => (e: unknown) =>
  e instanceof DataError && e.code === code && (pattern === undefined || pattern.test(e.message));

describe('createOnnxRunner', () => {
  test('the native-binding and public onnxruntime paths give identical outputs', async () => {
    const weights = weightsFor(spec, 1);
    const fast = await createOnnxRunner(spec, weights);
    const plain = await createOnnxRunner(spec, weights, { api: 'public' });
    const threaded = await onnxRunnerFactory({ intraOpNumThreads: 2 })(spec, weights);
    try {
      const x = rows(50, 150, 2);
      const a = await fast.run(x, 50);
      assert.deepEqual(await plain.run(x, 50), a);
      const b = await threaded.run(x, 50);
      for (let i = 0; i < a.length; i++) assert.ok(Math.abs((a[i] as number) - (b[i] as number)) < 1e-6);
      // Row by row (a subarray view as input) equals the batch.
      for (let r = 0; r < 3; r++) {
        const one = await fast.run(x.subarray(r * 150, (r + 1) * 150), 1);
        assert.equal(one[0], a[r]);
      }
    } finally {
      fast.dispose();
      plain.dispose();
      threaded.dispose();
    }
  });

  test('zero rows give an empty output; a wrong row size and use after dispose are refused', async () => {
    const runner = await createOnnxRunner(spec, weightsFor(spec, 3));
    assert.equal(runner.runtime, 'onnxruntime');
    assert.equal(runner.inputWidth, 150);
    assert.deepEqual(await runner.run(new Float32Array(0), 0), new Float32Array(0));
    await assert.rejects(runner.run(new Float32Array(149), 1), isData('bad_shape', /150 values per row; got 149/));
    runner.dispose();
    runner.dispose();
    await assert.rejects(runner.run(new Float32Array(150), 1), isData('runner_disposed'));
  });

  test('a bad thread count is refused', async () => {
    await assert.rejects(
      createOnnxRunner(spec, weightsFor(spec, 4), { intraOpNumThreads: 0 }),
      isData('bad_option', /intraOpNumThreads/),
    );
  });
});

/** A two-input model with a float64 tensor input and an int64 output, to exercise the refusals. */
function oddModel(): OnnxModel {
  return {
    producerName: 'test',
    graph: {
      name: 'odd',
      nodes: [
        { opType: 'Add', inputs: ['a', 'b'], outputs: ['sum'] },
        { opType: 'Cast', inputs: ['sum'], outputs: ['as_int'], attributes: [{ name: 'to', kind: 'int', value: 7 }] },
        { opType: 'Neg', inputs: ['a'], outputs: ['neg'] },
      ],
      initializers: [],
      inputs: [
        { name: 'a', elemType: 'float32', shape: ['N', 2] },
        { name: 'b', elemType: 'float32', shape: ['N', 2] },
      ],
      outputs: [
        { name: 'as_int', elemType: 'int64', shape: ['N', 2] },
        { name: 'neg', elemType: 'float32', shape: ['N', 2] },
      ],
    },
  };
}

describe('createOnnxRunnerFromBytes', () => {
  test('scores through the named input and output', async () => {
    const model = oddModel();
    // One input only: b becomes a constant.
    model.graph.inputs = model.graph.inputs.slice(0, 1);
    model.graph.initializers.push({ name: 'b', dims: [2], dataType: 'float32', values: Float32Array.of(1, 2) });
    model.graph.outputs[0] = { name: 'sum', elemType: 'float32', shape: ['N', 2] };
    model.graph.nodes.splice(1, 1);
    const runner = await createOnnxRunnerFromBytes(encodeOnnxModel(model), { outputName: 'sum' });
    try {
      assert.deepEqual(runner.input.name, 'a');
      assert.equal(runner.inputWidth, 2);
      assert.deepEqual(await runner.run(Float32Array.of(1, 1, 5, -5), 2), Float32Array.of(2, 3, 6, -3));
      const neg = await createOnnxRunnerFromBytes(encodeOnnxModel(model), { outputName: 'neg' });
      assert.deepEqual(await neg.run(Float32Array.of(1, -2), 1), Float32Array.of(-1, 2));
      neg.dispose();
    } finally {
      runner.dispose();
    }
  });

  test('refuses unloadable bytes, several inputs, unknown names and non-float outputs with clear codes', async () => {
    await assert.rejects(createOnnxRunnerFromBytes(Uint8Array.of(1, 2, 3)), isData('invalid_onnx_model'));
    const bytes = encodeOnnxModel(oddModel());
    await assert.rejects(createOnnxRunnerFromBytes(bytes), isData('ambiguous_input', /2 inputs \(a, b\)/));
    await assert.rejects(
      createOnnxRunnerFromBytes(bytes, { inputName: 'a' }),
      isData('ambiguous_input', /besides a \(b\)/),
    );
    await assert.rejects(
      createOnnxRunnerFromBytes(bytes, { inputName: 'x' }),
      isData('unknown_input', /no input named 'x'; its inputs are: a, b/),
    );
    const oneInput = oddModel();
    oneInput.graph.inputs = oneInput.graph.inputs.slice(0, 1);
    oneInput.graph.initializers.push({ name: 'b', dims: [2], dataType: 'float32', values: Float32Array.of(1, 2) });
    const one = encodeOnnxModel(oneInput);
    await assert.rejects(createOnnxRunnerFromBytes(one), isData('unsupported_output', /as_int is a int64 tensor/));
    await assert.rejects(
      createOnnxRunnerFromBytes(one, { outputName: 'nope' }),
      isData('unknown_output', /its outputs are: as_int, neg/),
    );
  });
});
