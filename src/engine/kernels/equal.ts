import type { TensorInfo } from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';
import { type HeapArray, type KernelReplacement, requireStock, sizeOf, type WasmKernelArgs } from './wasm-backend.js';

/**
 * Equal. When the shapes differ, tfjs-wasm computes every output element's broadcast index with a
 * general N-d loop, about 20× slower than a plain pass; the gradient of max (global max pooling)
 * compares x [b, t, c] with its broadcast maximum [b, 1, c]. Broadcasting cases run here as a JS
 * loop over merged dimensions; equal shapes keep the stock kernel.
 */

/**
 * The broadcast as few dimensions as possible: size-1 output axes dropped and neighbours that
 * broadcast the same way merged, with each input's stride per dimension (0 where it broadcasts).
 */
export interface BroadcastPlan {
  dims: number[];
  aStrides: number[];
  bStrides: number[];
}

/** Plans the loop for a binary op between shapes `aShape` and `bShape` broadcast to `outShape`. */
export function planBroadcast(
  aShape: readonly number[],
  bShape: readonly number[],
  outShape: readonly number[],
): BroadcastPlan {
  const rank = outShape.length;
  const at = (shape: readonly number[], d: number) => (shape[d - (rank - shape.length)] ?? 1) as number;
  const dims: number[] = [];
  const aFull: boolean[] = [];
  const bFull: boolean[] = [];
  for (let d = 0; d < rank; d++) {
    const size = outShape[d] as number;
    if (size === 1) continue;
    const aKeeps = at(aShape, d) !== 1;
    const bKeeps = at(bShape, d) !== 1;
    const last = dims.length - 1;
    if (last >= 0 && aFull[last] === aKeeps && bFull[last] === bKeeps) dims[last] = (dims[last] as number) * size;
    else {
      dims.push(size);
      aFull.push(aKeeps);
      bFull.push(bKeeps);
    }
  }
  if (dims.length === 0) return { dims: [1], aStrides: [0], bStrides: [0] };
  const aStrides = new Array<number>(dims.length);
  const bStrides = new Array<number>(dims.length);
  let aSize = 1;
  let bSize = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    aStrides[d] = aFull[d] ? aSize : 0;
    bStrides[d] = bFull[d] ? bSize : 0;
    if (aFull[d]) aSize *= dims[d] as number;
    if (bFull[d]) bSize *= dims[d] as number;
  }
  return { dims, aStrides, bStrides };
}

/** out[i] = a[·] === b[·] ? 1 : 0 over the broadcast described by `plan`. */
export function broadcastEqual(a: HeapArray, b: HeapArray, out: Uint8Array, plan: BroadcastPlan): void {
  const { dims, aStrides, bStrides } = plan;
  const r = dims.length;
  const inner = dims[r - 1] as number;
  const aInner = aStrides[r - 1] as number;
  const bInner = bStrides[r - 1] as number;
  const outer = out.length / inner;
  const index = new Array<number>(r).fill(0);
  let aOffset = 0;
  let bOffset = 0;
  let o = 0;
  for (let n = 0; n < outer; n++) {
    // Three inner loops so the common cases index one array with a plain counter; `+(p === q)`
    // measured about 2× faster than a `? 1 : 0` branch on data where matches are rare.
    if (aInner === 0) {
      const av = a[aOffset] as number;
      for (let t = 0; t < inner; t++) out[o++] = +(av === b[bOffset + t]);
    } else if (bInner === 0) {
      const bv = b[bOffset] as number;
      for (let t = 0; t < inner; t++) out[o++] = +(a[aOffset + t] === bv);
    } else {
      for (let t = 0; t < inner; t++) out[o++] = +(a[aOffset + t] === b[bOffset + t]);
    }
    // Odometer over the outer dimensions.
    for (let d = r - 2; d >= 0; d--) {
      aOffset += aStrides[d] as number;
      bOffset += bStrides[d] as number;
      const next = (index[d] as number) + 1;
      if (next < (dims[d] as number)) {
        index[d] = next;
        break;
      }
      aOffset -= (aStrides[d] as number) * (dims[d] as number);
      bOffset -= (bStrides[d] as number) * (dims[d] as number);
      index[d] = 0;
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Vigil's Equal kernel: broadcasting comparisons in JS, same-shape ones stock. */
export const equalReplacement: KernelReplacement = {
  kernelName: 'Equal',
  create(stock) {
    const stockEqual = requireStock(stock, 'Equal');
    return (args) => {
      const { inputs, backend } = args as unknown as WasmKernelArgs<{ a: TensorInfo; b: TensorInfo }>;
      const { a, b } = inputs;
      const numeric = (t: TensorInfo) => t.dtype === 'float32' || t.dtype === 'int32' || t.dtype === 'bool';
      if (sameShape(a.shape, b.shape) || a.dtype !== b.dtype || !numeric(a)) return stockEqual(args);
      const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const out = backend.makeOutput(outShape, 'bool');
      if (sizeOf(outShape) === 0) return out;
      broadcastEqual(
        backend.typedArrayFromHeap(a),
        backend.typedArrayFromHeap(b),
        backend.typedArrayFromHeap(out) as Uint8Array,
        planBroadcast(a.shape, b.shape, outShape),
      );
      return out;
    };
  },
};
