import type { TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, type KernelReplacement, requireStock, type WasmKernelArgs } from './wasm-backend.js';

/**
 * Tanh. tfjs-wasm evaluates tanh one scalar libm call at a time, over ten times slower than its
 * SIMD (XNNPACK) Sigmoid. tanh(x) = 2·σ(2x) − 1 runs as four fast wasm kernels (2x as x + x, σ,
 * s + s, minus 1); a JS loop (rational approximation) measured about three times slower than this
 * here. Absolute error stays within 2e-7 of the exact tanh (σ's float32 rounding doubled), which
 * is below what training notices; the gradient uses the output, as for the stock kernel.
 */
export const tanhReplacement: KernelReplacement = {
  kernelName: 'Tanh',
  create(stock) {
    const stockTanh = requireStock(stock, 'Tanh');
    const add = requireStock(stock, 'Add');
    const sub = requireStock(stock, 'Sub');
    const sigmoid = requireStock(stock, 'Sigmoid');
    return (args) => {
      const { inputs, backend } = args as unknown as WasmKernelArgs<{ x: TensorInfo }>;
      const { x } = inputs;
      if (x.dtype !== 'float32') return stockTanh(args);
      // Each intermediate is a fresh buffer that never becomes a tensor, so it is freed here.
      const twoX = callKernel(add, backend, { a: x, b: x });
      const s = callKernel(sigmoid, backend, { x: twoX });
      backend.disposeData(twoX.dataId);
      const twoS = callKernel(add, backend, { a: s, b: s });
      backend.disposeData(s.dataId);
      const one = backend.makeOutput([], 'float32');
      backend.typedArrayFromHeap(one)[0] = 1;
      const out = callKernel(sub, backend, { a: twoS, b: one });
      backend.disposeData(twoS.dataId);
      backend.disposeData(one.dataId);
      return out;
    };
  },
};
