import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { gruOp, lstmOp } from './recurrent-ops.js';
import { initRuntime, type tf as tfNamespace } from './runtime.js';
import { sharedKernels } from './simd/index.js';
import { assertClose, randomValues, valuesOf } from './test-helpers.js';

type Tf = typeof tfNamespace;

/** Keras' LSTM written step by step with plain ops (gate order i, f, c, o). */
function referenceLstm(tf: Tf, x: Tensor, w: Tensor, u: Tensor, b: Tensor, sequences: boolean): Tensor {
  const [batch, T] = x.shape as [number, number, number];
  const n = u.shape[0] as number;
  let h: Tensor = tf.zeros([batch, n]);
  let c: Tensor = tf.zeros([batch, n]);
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const xt = tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, -1]), [batch, -1]);
    const z = tf.add(tf.add(tf.matMul(xt as Tensor2D, w as Tensor2D), tf.matMul(h as Tensor2D, u as Tensor2D)), b);
    const [zi, zf, zg, zo] = tf.split(z, 4, 1) as [Tensor, Tensor, Tensor, Tensor];
    c = tf.add(tf.mul(tf.sigmoid(zf), c), tf.mul(tf.sigmoid(zi), tf.tanh(zg)));
    h = tf.mul(tf.sigmoid(zo), tf.tanh(c));
    outs.push(h);
  }
  return sequences ? tf.stack(outs, 1) : h;
}

/** Keras' GRU with reset_after (PyTorch's GRU), gate order z, r, h; bias [2, 3u]. */
function referenceGru(tf: Tf, x: Tensor, w: Tensor, u: Tensor, b: Tensor, sequences: boolean): Tensor {
  const [batch, T] = x.shape as [number, number, number];
  const n = u.shape[0] as number;
  const [bIn, bRec] = tf.unstack(b) as [Tensor, Tensor];
  let h: Tensor = tf.zeros([batch, n]);
  const outs: Tensor[] = [];
  for (let t = 0; t < T; t++) {
    const xt = tf.reshape(tf.slice(x, [0, t, 0], [batch, 1, -1]), [batch, -1]);
    const xz = tf.add(tf.matMul(xt as Tensor2D, w as Tensor2D), bIn);
    const hz = tf.add(tf.matMul(h as Tensor2D, u as Tensor2D), bRec);
    const [xzz, xzr, xzh] = tf.split(xz, 3, 1) as [Tensor, Tensor, Tensor];
    const [hzz, hzr, hzh] = tf.split(hz, 3, 1) as [Tensor, Tensor, Tensor];
    const z = tf.sigmoid(tf.add(xzz, hzz));
    const r = tf.sigmoid(tf.add(xzr, hzr));
    const hh = tf.tanh(tf.add(xzh, tf.mul(r, hzh)));
    h = tf.add(tf.mul(z, h), tf.mul(tf.sub(1, z), hh));
    outs.push(h);
  }
  return sequences ? tf.stack(outs, 1) : h;
}

const SHAPES = [
  [1, 1, 2, 3],
  [5, 4, 3, 6],
  [17, 10, 15, 8],
] as const;

for (const cell of ['lstm', 'gru'] as const) {
  test(`the fused ${cell} equals the step-by-step reference, values and gradients`, async () => {
    const tf = await initRuntime();
    const gates = cell === 'lstm' ? 4 : 3;
    for (const [batch, T, nIn, n] of SHAPES) {
      for (const sequences of [false, true]) {
        const x = tf.tensor3d(randomValues(batch * 7 + T, batch * T * nIn), [batch, T, nIn]);
        const w = tf.tensor2d(randomValues(11, nIn * gates * n, 0.4), [nIn, gates * n]);
        const u = tf.tensor2d(randomValues(12, n * gates * n, 0.4), [n, gates * n]);
        const b =
          cell === 'lstm'
            ? tf.tensor1d(randomValues(13, gates * n, 0.3))
            : tf.tensor2d(randomValues(13, 2 * gates * n, 0.3), [2, gates * n]);
        const outShape: number[] = sequences ? [batch, T, n] : [batch, n];
        const dy = tf.tensor(
          randomValues(
            14,
            outShape.reduce((p, q) => p * q, 1),
          ),
          outShape,
        );
        const fused = (xs: Tensor, ws: Tensor, us: Tensor, bs: Tensor): Tensor =>
          cell === 'lstm'
            ? lstmOp(tf, xs as Tensor3D, ws as Tensor2D, us as Tensor2D, bs as Tensor1D, sequences)
            : gruOp(tf, xs as Tensor3D, ws as Tensor2D, us as Tensor2D, bs as Tensor2D, sequences);
        const reference = cell === 'lstm' ? referenceLstm : referenceGru;
        const what = `${cell} b${batch} T${T} in${nIn} u${n} seq=${sequences}`;
        const y1 = tf.tidy(() => valuesOf(fused(x, w, u, b)));
        const y0 = tf.tidy(() => valuesOf(reference(tf, x, w, u, b, sequences)));
        assertClose(y1, y0, 2e-6, 1e-5, `${what} y`);
        const g1 = tf.tidy(() =>
          tf
            .grads((a: Tensor, c: Tensor, d: Tensor, e: Tensor) => tf.sum(tf.mul(fused(a, c, d, e), dy)))([x, w, u, b])
            .map(valuesOf),
        );
        const g0 = tf.tidy(() =>
          tf
            .grads((a: Tensor, c: Tensor, d: Tensor, e: Tensor) =>
              tf.sum(tf.mul(reference(tf, a, c, d, e, sequences), dy)),
            )([x, w, u, b])
            .map(valuesOf),
        );
        for (const [i, name] of ['dx', 'dKernel', 'dRecurrent', 'dBias'].entries()) {
          assertClose(g1[i] as Float32Array, g0[i] as Float32Array, 1e-5, 1e-4, `${what} ${name}`);
        }
        tf.dispose([x, w, u, b, dy]);
      }
    }
  });
}

test('the fused cells leave no tensors behind, forward or under a gradient tape', async () => {
  const tf = await initRuntime();
  const x = tf.tensor3d(randomValues(1, 8 * 5 * 3), [8, 5, 3]);
  const w = tf.tensor2d(randomValues(2, 3 * 16), [3, 16]);
  const u = tf.tensor2d(randomValues(3, 4 * 16), [4, 16]);
  const b = tf.tensor1d(randomValues(4, 16));
  const wg = tf.tensor2d(randomValues(5, 3 * 12), [3, 12]);
  const ug = tf.tensor2d(randomValues(6, 4 * 12), [4, 12]);
  const bg = tf.tensor2d(randomValues(7, 2 * 12), [2, 12]);
  type Cell = (a: Tensor, c: Tensor, d: Tensor, e: Tensor) => Tensor;
  const cells: [(sequences: boolean) => Cell, Tensor[]][] = [
    [
      (seq) => (a, c, d, e) => lstmOp(tf, a as Tensor3D, c as Tensor2D, d as Tensor2D, e as Tensor1D, seq),
      [x, w, u, b],
    ],
    [
      (seq) => (a, c, d, e) => gruOp(tf, a as Tensor3D, c as Tensor2D, d as Tensor2D, e as Tensor2D, seq),
      [x, wg, ug, bg],
    ],
  ];
  const before = tf.memory().numTensors;
  // The backend's buffers are counted as well as tensors, and the LSTM's SIMD-kernel memory must
  // return to where it was after every call.
  const buffers = tf.backend().numDataIds();
  const kernelTop = sharedKernels().mark();
  let kernelBytes = 0;
  for (let i = 0; i < 30; i++) {
    // No tf.tidy around the ops: it would dispose anything they leaked and hide it.
    for (const [cell, inputs] of cells) {
      const op = cell(i % 2 === 0);
      op(...(inputs as [Tensor, Tensor, Tensor, Tensor])).dispose();
      tf.dispose(tf.grads((a: Tensor, c: Tensor, d: Tensor, e: Tensor) => tf.sum(op(a, c, d, e)))(inputs));
    }
    assert.equal(sharedKernels().mark(), kernelTop, 'SIMD kernel memory left allocated');
    if (i === 1) kernelBytes = sharedKernels().memoryBytes;
    if (i > 1) assert.equal(sharedKernels().memoryBytes, kernelBytes, 'SIMD kernel memory grew');
  }
  assert.equal(tf.memory().numTensors, before);
  assert.equal(tf.backend().numDataIds(), buffers, 'wasm buffers left behind');
  tf.dispose([x, w, u, b, wg, ug, bg]);
});
