import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KernelFunc, Tensor, TensorInfo } from '@tensorflow/tfjs-core';
import { setFastKernels } from '../runtime.js';
import { assertNoLeaks, assertReadoutsMatch, stockVersusFast, tf } from './stock-comparison.js';
import { simplifyPermutation, transposeBlocked } from './transpose.js';
import type { WasmBackend } from './wasm-backend.js';

const cases: [number[], number[]][] = [
  [
    [5, 3],
    [1, 0],
  ],
  [
    [1, 7],
    [1, 0],
  ],
  [
    [7, 1],
    [1, 0],
  ],
  [
    [512, 40],
    [1, 0],
  ], // the split path: 512 rows
  [
    [256, 128],
    [1, 0],
  ],
  [
    [128, 129],
    [1, 0],
  ],
  [
    [192, 100],
    [1, 0],
  ], // 192 rows: one stock pass
  [
    [4, 256, 32],
    [0, 2, 1],
  ], // batched matrices, split
  [
    [3, 128, 65],
    [0, 2, 1],
  ],
  [
    [128, 1, 256],
    [2, 1, 0],
  ], // a matrix in disguise
  [
    [2, 3, 4],
    [2, 0, 1],
  ],
  [
    [2, 3, 4],
    [1, 0, 2],
  ],
  [
    [128, 4, 64],
    [2, 1, 0],
  ],
  [
    [2, 3, 4, 5],
    [3, 1, 2, 0],
  ],
  [
    [0, 128],
    [1, 0],
  ],
  [[6], [0]],
];

test('Transpose equals the stock kernel bit for bit (float32, int32, bool)', () => {
  let seed = 1;
  for (const [shape, perm] of cases) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', seed++);
    const { stock, fast } = stockVersusFast('Transpose', () => [
      tf.transpose(x, perm),
      tf.transpose(tf.cast(tf.mul(x, 100), 'int32'), perm),
      tf.transpose(tf.greater(x, 0), perm),
    ]);
    assertReadoutsMatch(stock, fast, `[${shape}] perm [${perm}]`);
    x.dispose();
  }
});

test('gradients through Transpose equal the stock ones', () => {
  for (const [shape, perm] of cases.slice(3, 10)) {
    const x = tf.randomNormal(shape, 0, 1, 'float32', 3);
    const w = tf.randomNormal(
      perm.map((a) => shape[a] as number),
      0,
      1,
      'float32',
      4,
    );
    const { stock, fast } = stockVersusFast('Transpose', () =>
      tf.grad((v: Tensor) => tf.sum(tf.mul(tf.transpose(v, perm), w)))(x),
    );
    assertReadoutsMatch(stock, fast, `grad [${shape}] perm [${perm}]`);
    tf.dispose([x, w]);
  }
});

test('simplifyPermutation drops unit axes and merges axes that move together', () => {
  assert.deepEqual(simplifyPermutation([2, 3, 4], [1, 2, 0]), { shape: [2, 12], perm: [1, 0] });
  assert.deepEqual(simplifyPermutation([2, 3, 4], [2, 0, 1]), { shape: [6, 4], perm: [1, 0] });
  assert.deepEqual(simplifyPermutation([8, 1, 5], [2, 1, 0]), { shape: [8, 5], perm: [1, 0] });
  assert.deepEqual(simplifyPermutation([2, 3, 4], [0, 1, 2]), { shape: [24], perm: [0] });
  assert.deepEqual(simplifyPermutation([4, 5, 6], [0, 2, 1]), { shape: [4, 5, 6], perm: [0, 2, 1] });
});

test('matrices with 128·k rows take two stock passes, others one', () => {
  setFastKernels(false);
  const stockTranspose = tf.getKernel('Transpose', 'wasm')?.kernelFunc as KernelFunc;
  setFastKernels(true);
  const backend = tf.backend() as unknown as WasmBackend;
  for (const [shape, perm, passes] of [
    [[512, 40], [1, 0], 2],
    [[2, 256, 64], [0, 2, 1], 2],
    [[192, 100], [1, 0], 1],
    [[128, 64], [1, 0], 1], // 8 Ki elements: not worth a second pass
    [[2, 3, 4], [2, 0, 1], 1],
  ] as [number[], number[], number][]) {
    let calls = 0;
    const counting: KernelFunc = (args) => {
      calls++;
      return stockTranspose(args);
    };
    const x = tf.randomNormal(shape, 0, 1, 'float32', 9);
    const expected = tf.transpose(x, perm);
    const out = transposeBlocked(x as unknown as TensorInfo, perm, backend, counting);
    assert.equal(calls, passes, `[${shape}] perm [${perm}]`);
    assert.deepEqual(out.shape, expected.shape);
    assert.deepEqual(backend.typedArrayFromHeap(out), expected.dataSync());
    backend.disposeData(out.dataId);
    tf.dispose([x, expected]);
  }
});

test('Transpose leaves no tensors or wasm memory behind', () => {
  const x = tf.randomNormal([512, 64], 0, 1, 'float32', 5);
  assertNoLeaks('Transpose', () => tf.transpose(x));
  const y = tf.randomNormal([2, 256, 32], 0, 1, 'float32', 6);
  assertNoLeaks('Transpose', () => tf.transpose(y, [0, 2, 1]));
  tf.dispose([x, y]);
});
