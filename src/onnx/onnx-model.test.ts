import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataError } from '../errors.js';
import { encodeOnnxModel, type OnnxModel, openOnnxSession } from './index.js';
import { ProtoWriter } from './protobuf-writer.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

describe('ProtoWriter', () => {
  test('writes varints, negative int64s, little-endian floats, strings and nested messages', () => {
    assert.equal(hex(new ProtoWriter().int64(1, 300).finish()), '08ac02');
    // int64 −1: ten bytes of 64-bit two's complement.
    assert.equal(hex(new ProtoWriter().int64(3, -1).finish()), `18${'ff'.repeat(9)}01`);
    assert.equal(hex(new ProtoWriter().float(2, 1.5).finish()), '150000c03f');
    assert.equal(hex(new ProtoWriter().string(4, 'Relu').finish()), '220452656c75');
    assert.equal(hex(new ProtoWriter().message(5, (w) => w.int64(1, 1)).finish()), '2a020801');
    assert.throws(() => new ProtoWriter().int64(1, 2 ** 60), RangeError);
  });

  test('grows past its initial buffer without losing bytes', () => {
    const big = new Uint8Array(100_000).map((_, i) => i % 251);
    const bytes = new ProtoWriter().string(1, 'a').bytes(9, big).finish();
    assert.equal(bytes.length, 3 + 4 + big.length); // 0a 01 61, then 4a and a 3-byte length, then the payload
    assert.deepEqual(bytes.subarray(7), big);
  });
});

/** p = sigmoid(x·w + b) as a hand-built graph: what an "external" logistic model looks like. */
function logisticModel(): OnnxModel {
  return {
    producerName: 'test',
    graph: {
      name: 'logistic',
      nodes: [
        { opType: 'Gemm', inputs: ['features', 'w', 'b'], outputs: ['z'], attributes: [] },
        { opType: 'Sigmoid', inputs: ['z'], outputs: ['p'] },
        // A Reshape with an int64 shape initializer and a Flatten with an int attribute.
        { opType: 'Reshape', inputs: ['p', 'flat'], outputs: ['p_flat'] },
        {
          opType: 'Flatten',
          inputs: ['p'],
          outputs: ['p_2d'],
          attributes: [{ name: 'axis', kind: 'int', value: 1 }],
        },
      ],
      initializers: [
        { name: 'w', dims: [3, 1], dataType: 'float32', values: Float32Array.of(0.5, -1.25, 2) },
        { name: 'b', dims: [1], dataType: 'float32', values: Float32Array.of(0.1) },
        { name: 'flat', dims: [1], dataType: 'int64', values: BigInt64Array.of(-1n) },
      ],
      inputs: [{ name: 'features', elemType: 'float32', shape: ['batch', 3] }],
      outputs: [
        { name: 'p_flat', elemType: 'float32', shape: ['batch'] },
        { name: 'p_2d', elemType: 'float32', shape: ['batch', 1] },
      ],
    },
  };
}

describe('encodeOnnxModel', () => {
  test('onnxruntime loads the bytes, reports the names and shapes, and computes the graph', async () => {
    const session = await openOnnxSession(encodeOnnxModel(logisticModel()));
    try {
      assert.deepEqual(
        session.inputs.map((m) => [m.name, m.type, m.shape]),
        [['features', 'float32', ['batch', 3]]],
      );
      assert.deepEqual(
        session.outputs.map((m) => [m.name, m.shape]),
        [
          ['p_flat', ['batch']],
          ['p_2d', ['batch', 1]],
        ],
      );
      const x = Float32Array.of(1, 2, 3, -1, 0, 0.5);
      const out = await session.run({ features: new session.ort.Tensor('float32', x, [2, 3]) }, ['p_flat', 'p_2d']);
      const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));
      const expected = [sigmoid(0.5 - 2.5 + 6 + 0.1), sigmoid(-0.5 + 0 + 1 + 0.1)];
      assert.deepEqual(out.p_flat?.dims, [2]);
      assert.deepEqual(out.p_2d?.dims, [2, 1]);
      for (const [i, e] of expected.entries()) assert.ok(Math.abs((out.p_flat?.data[i] as number) - e) < 1e-6);
    } finally {
      session.release();
    }
  });

  test('a graph that names an unknown op is refused by onnxruntime with its reason', async () => {
    const model = logisticModel();
    model.graph.nodes[1] = { opType: 'NotAnOp', inputs: ['z'], outputs: ['p'] };
    await assert.rejects(
      openOnnxSession(encodeOnnxModel(model)),
      (e: unknown) => e instanceof DataError && e.code === 'invalid_onnx_model' && /NotAnOp/.test(e.message),
    );
  });
});
