import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { transposeBlocked } from './transpose.js';
import {
  callKernel,
  type KernelReplacement,
  requireStock,
  type WasmBackend,
  type WasmKernelArgs,
} from './wasm-backend.js';

/**
 * BatchMatMul. Stock tfjs-wasm runs BatchMatMul with a transposed operand through a slow strided
 * path, and every dense layer's backward pass asks for exactly that (dW = xᵀ·dy, dx = dy·Wᵀ).
 * Materialising the transpose first (with Vigil's blocked Transpose, see transpose.ts) and then
 * calling the stock kernel with both flags false, which XNNPACK runs, is over ten times faster.
 */

interface BatchMatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** A fresh buffer holding x with its last two axes swapped; the caller disposes it. */
function transposeLastTwo(x: TensorInfo, backend: WasmBackend, stockTranspose: KernelFunc): TensorInfo {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transposeBlocked(x, perm, backend, stockTranspose);
}

/** Vigil's BatchMatMul kernel: transposes materialised, then the stock kernel without flags. */
export const batchMatMulReplacement: KernelReplacement = {
  kernelName: 'BatchMatMul',
  create(stock) {
    const stockBatchMatMul = requireStock(stock, 'BatchMatMul');
    const stockTranspose = requireStock(stock, 'Transpose');
    return (args) => {
      const { inputs, backend, attrs } = args as unknown as WasmKernelArgs<
        { a: TensorInfo; b: TensorInfo },
        BatchMatMulAttrs
      >;
      const { transposeA, transposeB } = attrs;
      if (!transposeA && !transposeB) return stockBatchMatMul(args);
      const a = transposeA ? transposeLastTwo(inputs.a, backend, stockTranspose) : inputs.a;
      const b = transposeB ? transposeLastTwo(inputs.b, backend, stockTranspose) : inputs.b;
      try {
        return callKernel(stockBatchMatMul, backend, { a, b }, { ...attrs, transposeA: false, transposeB: false });
      } finally {
        // The intermediates never become tensors, so the engine would not track or free them.
        if (transposeA) backend.disposeData(a.dataId);
        if (transposeB) backend.disposeData(b.dataId);
      }
    };
  },
};
