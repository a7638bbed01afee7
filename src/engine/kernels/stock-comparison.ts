import assert from 'node:assert/strict';
import type { KernelFunc, Tensor } from '@tensorflow/tfjs-core';
import { initRuntime, setFastKernels } from '../runtime.js';
import { KERNEL_REPLACEMENTS } from './index.js';

/**
 * Test support for the kernel replacements (tests only): runs the same computation on stock
 * tfjs-wasm and on Vigil's kernels, checks that the toggle really swapped the kernel under test,
 * and checks that repeated runs leave no tensors, engine buffers or wasm heap behind.
 */

/** The runtime, initialised with Vigil's kernels on. */
export const tf = await initRuntime();

const stockKernelFuncs = new Map<string, KernelFunc | undefined>();
setFastKernels(false);
for (const { kernelName } of KERNEL_REPLACEMENTS) {
  stockKernelFuncs.set(kernelName, tf.getKernel(kernelName, 'wasm')?.kernelFunc);
}
setFastKernels(true);

/**
 * Asserts which implementation of `kernelName` is registered: without this a toggle that silently
 * failed would compare a kernel with itself and pass.
 */
export function assertKernelIs(kernelName: string, fast: boolean): void {
  const registered = tf.getKernel(kernelName, 'wasm')?.kernelFunc;
  const stock = stockKernelFuncs.get(kernelName);
  if (fast) {
    assert.ok(registered, `${kernelName}: no kernel registered with fast kernels on`);
    assert.notEqual(registered, stock, `${kernelName}: the stock kernel is still registered`);
  } else {
    assert.equal(registered, stock, `${kernelName}: the stock kernel was not restored`);
  }
}

/** A tensor read back: shape, dtype and values. */
export interface Readout {
  shape: number[];
  dtype: string;
  values: Float32Array | Int32Array | Uint8Array;
}

function readout(t: Tensor): Readout {
  return { shape: [...t.shape], dtype: t.dtype, values: t.dataSync() as Readout['values'] };
}

/** Runs `fn` with one implementation registered, reads its outputs back and disposes them. */
export function runWith(kernelName: string, fast: boolean, fn: () => Tensor | Tensor[]): Readout[] {
  setFastKernels(fast);
  try {
    assertKernelIs(kernelName, fast);
    const out = fn();
    const outs = Array.isArray(out) ? out : [out];
    const read = outs.map(readout);
    tf.dispose(outs);
    return read;
  } finally {
    setFastKernels(true);
  }
}

/** Runs `fn` on stock tfjs-wasm and on Vigil's kernels; returns both readouts. */
export function stockVersusFast(
  kernelName: string,
  fn: () => Tensor | Tensor[],
): { stock: Readout[]; fast: Readout[] } {
  return { stock: runWith(kernelName, false, fn), fast: runWith(kernelName, true, fn) };
}

/**
 * Largest |a − b| / max(1, |a|) over two equally long arrays: absolute for values up to 1, relative
 * above (Infinity when exactly one of a pair is NaN).
 */
export function maxScaledDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as number;
    const q = b[i] as number;
    if (Number.isNaN(p) || Number.isNaN(q)) {
      if (Number.isNaN(p) !== Number.isNaN(q)) return Number.POSITIVE_INFINITY;
    } else if (p !== q) {
      worst = Math.max(worst, Math.abs(p - q) / Math.max(1, Math.abs(p)));
    }
  }
  return worst;
}

/**
 * Asserts equal shapes, dtypes and values: with `tolerance` 0 bit for bit (NaN matching NaN, −0
 * only −0), else within `tolerance` by {@link maxScaledDiff}.
 */
export function assertReadoutsMatch(expected: Readout[], actual: Readout[], label: string, tolerance = 0): void {
  assert.equal(actual.length, expected.length, `${label}: number of outputs`);
  expected.forEach((e, i) => {
    const a = actual[i] as Readout;
    assert.deepEqual(a.shape, e.shape, `${label}: output ${i} shape`);
    assert.equal(a.dtype, e.dtype, `${label}: output ${i} dtype`);
    assert.equal(a.values.length, e.values.length, `${label}: output ${i} size`);
    const diff = maxScaledDiff(e.values, a.values);
    if (tolerance === 0) {
      assert.ok(
        a.values.every((v, j) => Object.is(v, e.values[j])),
        `${label}: output ${i} differs from stock (max scaled diff ${diff})`,
      );
    } else {
      assert.ok(diff <= tolerance, `${label}: output ${i} max scaled diff ${diff} > ${tolerance}`);
    }
  });
}

interface MemorySnapshot {
  numTensors: number;
  numBytes: number;
  numDataBuffers: number;
  backendDataIds: number;
  heapBytes: number;
}

function snapshot(): MemorySnapshot {
  const memory = tf.memory() as ReturnType<typeof tf.memory> & { numDataBuffers: number };
  const backend = tf.backend() as unknown as { numDataIds(): number; wasm: { HEAPU8: Uint8Array } };
  return {
    numTensors: memory.numTensors,
    numBytes: memory.numBytes,
    numDataBuffers: memory.numDataBuffers,
    // Counts the backend's own allocations, including intermediates a kernel frees itself.
    backendDataIds: backend.numDataIds(),
    heapBytes: backend.wasm.HEAPU8.byteLength,
  };
}

/**
 * Asserts that running `fn` (inside tidy) `iterations` times with Vigil's kernels leaves the
 * tensor count, engine bytes, backend buffers and wasm heap size where they were after a warm-up.
 */
export function assertNoLeaks(kernelName: string, fn: () => Tensor | Tensor[], iterations = 100): void {
  assertKernelIs(kernelName, true);
  for (let i = 0; i < 3; i++) tf.dispose(tf.tidy(fn));
  const before = snapshot();
  for (let i = 0; i < iterations; i++) tf.dispose(tf.tidy(fn));
  assert.deepEqual(snapshot(), before, `${kernelName}: memory after ${iterations} runs`);
}
