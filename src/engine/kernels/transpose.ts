import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  callKernel,
  type KernelReplacement,
  requireStock,
  viewAs,
  type WasmBackend,
  type WasmKernelArgs,
} from './wasm-backend.js';

/**
 * Transpose. tfjs-wasm transposes a matrix with a plain loop that reads rows and writes columns;
 * when the output row length is a multiple of a large power of two (512 for a batch of 512, the
 * shape every dense gradient has) those column writes fall into the same few cache sets and evict
 * each other: [512, 256] measured several times slower per element than [500, 300]. Split into two
 * passes of the same stock kernel, each write stride is short:
 *   [R, C] viewed as [R/32, 32, C] → [R/32, C, 32] (32-float column writes) → [C, R/32, 32] = [C, R]
 * (whole 32-float rows move). Batched matrices ([B, R, C] → [B, C, R]) split the same way; every
 * other permutation, and matrices too small to thrash, go to the stock kernel as is. A
 * cache-blocked JS loop over the heap views was also tried: faster than the single stock pass,
 * 2–3× slower than the two.
 */
/** Rows per block in the first pass: 32 floats is two cache lines per column write (16 and 64 measured slower). */
const BLOCK_ROWS = 32;
/**
 * The stock kernel thrashes when the output row (the input's row count) is a multiple of 128 floats,
 * 512 bytes; a row count of 192 or 500 measured no faster split (and 64 rows slower).
 */
const ALIASING_ROWS = 128;
/** Below 16 Ki elements both sides fit in cache and the extra pass costs more than it saves. */
const MIN_ELEMENTS = 16384;

/**
 * Drops size-1 dimensions and merges input dimensions that stay adjacent and in order in `perm`,
 * so that, e.g., [a,b,c] with perm [1,2,0] becomes the 2-D transpose of [a, b·c].
 */
export function simplifyPermutation(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const kept = perm.filter((axis) => shape[axis] !== 1);
  // Runs of consecutive input axes, in output order.
  const runs: { first: number; size: number }[] = [];
  let previous = -2;
  for (const axis of kept) {
    const last = runs[runs.length - 1];
    if (last && axis === previous + 1) last.size *= shape[axis] as number;
    else runs.push({ first: axis, size: shape[axis] as number });
    previous = axis;
  }
  const inputOrder = [...runs].sort((a, b) => a.first - b.first);
  return {
    shape: inputOrder.map((run) => run.size),
    perm: runs.map((run) => inputOrder.indexOf(run)),
  };
}

/**
 * x permuted by `perm` into a fresh buffer, through the stock kernel in two cache-friendly passes
 * when it is a (batched) matrix transpose with many rows, else in one stock pass.
 */
export function transposeBlocked(
  x: TensorInfo,
  perm: readonly number[],
  backend: WasmBackend,
  stockTranspose: KernelFunc,
): TensorInfo {
  const outShape = perm.map((axis) => x.shape[axis] as number);
  const simple = simplifyPermutation(x.shape, perm);
  const key = simple.perm.join(',');
  let batch = 1;
  let rows = 0;
  let cols = 0;
  if (key === '1,0') [rows, cols] = simple.shape as [number, number];
  else if (key === '0,2,1') [batch, rows, cols] = simple.shape as [number, number, number];
  if (x.dtype === 'string' || rows === 0 || rows % ALIASING_ROWS !== 0 || batch * rows * cols < MIN_ELEMENTS) {
    return callKernel(stockTranspose, backend, { x }, { perm: [...perm] });
  }
  const blocks = rows / BLOCK_ROWS;
  const columnBlocks = callKernel(
    stockTranspose,
    backend,
    { x: viewAs(x, [batch * blocks, BLOCK_ROWS, cols]) },
    { perm: [0, 2, 1] },
  );
  try {
    const out = callKernel(
      stockTranspose,
      backend,
      { x: viewAs(columnBlocks, [batch, blocks, cols, BLOCK_ROWS]) },
      { perm: [0, 2, 1, 3] },
    );
    return { dataId: out.dataId, shape: outShape, dtype: out.dtype };
  } finally {
    // The intermediate never becomes a tensor, so the engine would not free it.
    backend.disposeData(columnBlocks.dataId);
  }
}

/** Vigil's Transpose kernel: (batched) matrix transposes in two blocked stock passes. */
export const transposeReplacement: KernelReplacement = {
  kernelName: 'Transpose',
  create(stock) {
    const stockTranspose = requireStock(stock, 'Transpose');
    return (args) => {
      const { inputs, attrs, backend } = args as unknown as WasmKernelArgs<{ x: TensorInfo }, { perm: number[] }>;
      return transposeBlocked(inputs.x, attrs.perm, backend, stockTranspose);
    };
  },
};
