import type { TensorInfo } from '@tensorflow/tfjs-core';
import { type KernelReplacement, requireStock, type WasmKernelArgs } from './wasm-backend.js';

/**
 * Identity (tf.clone, and what the engine runs when a tidy or a gradient passes a tensor through).
 * tfjs-wasm copies the buffer; the cpu and webgl backends share it and count references, and the
 * wasm backend counts references too (its own Reshape shares buffers through `incRef`, and
 * `disposeData` frees only at zero). Sharing is safe because no wasm kernel writes into an input:
 * tensors are immutable, so the caches tfjs-wasm keys on a buffer's id (XNNPACK's packed weights)
 * stay valid for every tensor on that buffer, and they are dropped when the last one is disposed.
 */
export const identityReplacement: KernelReplacement = {
  kernelName: 'Identity',
  create(stock) {
    const stockIdentity = requireStock(stock, 'Identity');
    return (args) => {
      const { inputs, backend } = args as unknown as WasmKernelArgs<{ x: TensorInfo }>;
      const { x } = inputs;
      // Strings live in JS, not on the heap; the stock kernel rebuilds them as a new tensor.
      if (x.dtype === 'string') return stockIdentity(args);
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    };
  },
};
