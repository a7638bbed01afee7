import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initRuntime, setFastKernels } from './index.js';

const tf = await initRuntime();
setFastKernels(false);
const stockKernelFunc = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc;
setFastKernels(true);

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const scale = Math.max(1, Math.abs(a[i] as number), Math.abs(b[i] as number));
    worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / scale);
  }
  return worst;
}

/** Runs fn with stock kernels and with Vigil's, returning both results as flat arrays. */
function stockVersusFast(fn: () => import('@tensorflow/tfjs-core').Tensor[]): [Float32Array[], Float32Array[]] {
  const run = (fast: boolean) => {
    setFastKernels(fast);
    // Without this, a toggle that silently failed would compare a kernel with itself and pass.
    assert.equal(tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc === stockKernelFunc, !fast);
    const outs = fn();
    const values = outs.map((t) => t.dataSync() as Float32Array);
    for (const t of outs) t.dispose();
    return values;
  };
  try {
    return [run(false), run(true)];
  } finally {
    setFastKernels(true);
  }
}

const shapes: [number[], number[]][] = [
  [
    [7, 5],
    [5, 3],
  ],
  [
    [64, 30],
    [30, 16],
  ],
  [
    [2, 9, 4],
    [2, 4, 6],
  ],
  [
    [1, 1],
    [1, 1],
  ],
];

test('BatchMatMul with transpose flags equals the stock kernel in values and gradients', () => {
  let seed = 1;
  for (const [aShape, bShape] of shapes) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const aDims = [...aShape];
        const bDims = [...bShape];
        const r = aDims.length;
        // Store the operands already transposed so that matMul(transpose flags) is well-formed.
        if (transposeA) [aDims[r - 2], aDims[r - 1]] = [aDims[r - 1] as number, aDims[r - 2] as number];
        if (transposeB) [bDims[r - 2], bDims[r - 1]] = [bDims[r - 1] as number, bDims[r - 2] as number];
        const a = tf.randomNormal(aDims, 0, 1, 'float32', seed++);
        const b = tf.randomNormal(bDims, 0, 1, 'float32', seed++);
        const [stock, fast] = stockVersusFast(() => {
          const product = tf.matMul(a, b, transposeA, transposeB);
          const grads = tf.grads(
            (x: import('@tensorflow/tfjs-core').Tensor, y: import('@tensorflow/tfjs-core').Tensor) =>
              tf.sum(tf.mul(tf.matMul(x, y, transposeA, transposeB), tf.matMul(x, y, transposeA, transposeB))),
          )([a, b]);
          return [product, ...grads];
        });
        for (let i = 0; i < stock.length; i++) {
          assert.ok(
            maxRelDiff(stock[i] as Float32Array, fast[i] as Float32Array) < 1e-5,
            `shape ${aShape}x${bShape} tA=${transposeA} tB=${transposeB} output ${i}`,
          );
        }
        a.dispose();
        b.dispose();
      }
    }
  }
});

test('the replacement kernel leaves no tensors or wasm buffers behind', () => {
  const a = tf.randomNormal([128, 64], 0, 1, 'float32', 11);
  const b = tf.randomNormal([128, 32], 0, 1, 'float32', 12);
  const warm = tf.tidy(() => tf.matMul(a, b, true, false));
  warm.dispose();
  const before = tf.memory();
  for (let i = 0; i < 200; i++) {
    tf.tidy(() => {
      const [g] = tf.grads((x: import('@tensorflow/tfjs-core').Tensor) => tf.sum(tf.matMul(x, b, true, false)))([a]);
      return g as import('@tensorflow/tfjs-core').Tensor;
    }).dispose();
  }
  const after = tf.memory();
  assert.equal(after.numTensors, before.numTensors);
  assert.equal(after.numBytes, before.numBytes);
  // numDataBuffers counts backend allocations, including the intermediates the kernel frees itself.
  assert.equal(
    (after as unknown as { numDataBuffers: number }).numDataBuffers,
    (before as unknown as { numDataBuffers: number }).numDataBuffers,
  );
  a.dispose();
  b.dispose();
});

test('the wasm backend is active', () => {
  assert.equal(tf.getBackend(), 'wasm');
});

test('a later initRuntime() call keeps the kernels a benchmark chose', async () => {
  const { fastKernelsActive } = await import('./index.js');
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
