import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type HeapArray, type KernelReplacement, requireStock, sizeOf, type WasmKernelArgs } from './wasm-backend.js';

/**
 * Tile (also what broadcastTo runs). tfjs-wasm maps every output element back to its input with
 * an N-d index calculation; writing each input row once and then doubling already-written blocks
 * with `copyWithin` (a memmove) moves the same bytes with a fraction of the arithmetic.
 */

/** Repeats out[start, start+block) until `total` elements from `start` are filled, doubling each time. */
function replicate(out: HeapArray, start: number, block: number, total: number): void {
  for (let filled = block; filled < total; filled *= 2) {
    out.copyWithin(start + filled, start, start + Math.min(filled, total - filled));
  }
}

/** Writes x (shape `shape`) tiled `reps` times per axis into out, row-major. */
export function tileInto(x: HeapArray, out: HeapArray, shape: readonly number[], reps: readonly number[]): void {
  const rank = shape.length;
  if (rank === 0) {
    out[0] = x[0] as number;
    return;
  }
  const inStrides = new Array<number>(rank);
  const outStrides = new Array<number>(rank);
  let inSize = 1;
  let outSize = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStrides[d] = inSize;
    outStrides[d] = outSize;
    inSize *= shape[d] as number;
    outSize *= (shape[d] as number) * (reps[d] as number);
  }
  const last = rank - 1;
  const fill = (d: number, xOffset: number, outOffset: number): void => {
    const n = shape[d] as number;
    const r = reps[d] as number;
    if (d === last) {
      if (n === 1) {
        // A column repeated along the row ([b, 1] → [b, n]): a native fill.
        out.fill(x[xOffset] as number, outOffset, outOffset + r);
        return;
      }
      for (let i = 0; i < n; i++) out[outOffset + i] = x[xOffset + i] as number;
      replicate(out, outOffset, n, n * r);
      return;
    }
    const stride = outStrides[d] as number;
    for (let i = 0; i < n; i++) fill(d + 1, xOffset + i * (inStrides[d] as number), outOffset + i * stride);
    replicate(out, outOffset, n * stride, n * stride * r);
  };
  fill(0, 0, 0);
}

/** Vigil's Tile kernel: JS copies for numeric tensors, the stock kernel for strings. */
export const tileReplacement: KernelReplacement = {
  kernelName: 'Tile',
  create(stock) {
    const stockTile = requireStock(stock, 'Tile');
    return (args) => {
      const { inputs, attrs, backend } = args as unknown as WasmKernelArgs<{ x: TensorInfo }, { reps: number[] }>;
      const { x } = inputs;
      if (x.dtype !== 'float32' && x.dtype !== 'int32' && x.dtype !== 'bool') return stockTile(args);
      const outShape = x.shape.map((d, i) => d * (attrs.reps[i] as number));
      const out = backend.makeOutput(outShape, x.dtype);
      if (sizeOf(outShape) === 0) return out;
      tileInto(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), x.shape, attrs.reps);
      return out;
    };
  },
};
