import type { TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';
import { transposeBlocked } from './transpose.js';
import { callKernel, type KernelReplacement, requireStock, sizeOf, type WasmKernelArgs } from './wasm-backend.js';

/**
 * Sum. tfjs-wasm reduces innermost axes only, so for any other axes it first transposes them to
 * the end, with its own transpose, and that is the slow part: every dense layer's bias gradient is
 * a sum over the batch axis ([512, n] → [n]), exactly the shape that makes the stock transpose
 * thrash the cache (see transpose.ts). This kernel does the same two steps with Vigil's blocked
 * transpose, so the additions, and so the results, are bit for bit the stock kernel's.
 * Also measured on the bias-gradient shape: a JS loop adding rows (about 1.6× faster than stock)
 * and ones[1, b]·x on XNNPACK (fast with a cached operand, but packing a fresh gradient each step
 * costs as much as the stock Sum), both slower than this.
 */

interface SumAttrs {
  /** null: every axis. */
  axis: number | number[] | null;
  keepDims: boolean;
}

/** Vigil's Sum kernel: non-innermost reductions through the blocked transpose, the rest stock. */
export const sumReplacement: KernelReplacement = {
  kernelName: 'Sum',
  create(stock) {
    const stockSum = requireStock(stock, 'Sum');
    const stockTranspose = requireStock(stock, 'Transpose');
    return (args) => {
      const { inputs, attrs, backend } = args as unknown as WasmKernelArgs<{ x: TensorInfo }, SumAttrs>;
      const { x } = inputs;
      const rank = x.shape.length;
      // parseAxisParam resolves null (all axes) and negative axes, and rejects out-of-range ones.
      const reduced = [...new Set(util.parseAxisParam(attrs.axis as number | number[], x.shape))].sort((p, q) => p - q);
      const kept = x.shape.map((_, i) => i).filter((i) => !reduced.includes(i));
      if (x.dtype !== 'float32' && x.dtype !== 'int32') return stockSum(args);
      const outShape = attrs.keepDims
        ? x.shape.map((d, i) => (reduced.includes(i) ? 1 : d))
        : kept.map((i) => x.shape[i] as number);
      if (sizeOf(x.shape) === 0) {
        // The stock kernel skips its loop for an empty input and returns uninitialised memory.
        const zeros = backend.makeOutput(outShape, x.dtype);
        backend.typedArrayFromHeap(zeros).fill(0);
        return zeros;
      }
      // Innermost axes need no transpose: the stock kernel is all there is to it.
      if (reduced.every((axis, i) => axis === rank - reduced.length + i)) return stockSum(args);
      const moved = transposeBlocked(x, [...kept, ...reduced], backend, stockTranspose);
      try {
        const sums = callKernel(
          stockSum,
          backend,
          { x: moved },
          { axis: reduced.map((_, i) => kept.length + i), keepDims: false },
        );
        return { dataId: sums.dataId, shape: outShape, dtype: sums.dtype };
      } finally {
        // The transposed copy never becomes a tensor, so the engine would not free it.
        backend.disposeData(moved.dataId);
      }
    };
  },
};
