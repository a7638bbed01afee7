import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import * as tf from '@tensorflow/tfjs-core';

/**
 * Stock tfjs-wasm runs BatchMatMul with a transposed operand through a slow strided path,
 * and every dense layer's backward pass asks for exactly that (dW = xᵀ·dy, dx = dy·Wᵀ).
 * Materialising the transpose with the wasm Transpose kernel and then calling the stock
 * kernel with both flags false is several times faster end to end.
 */
interface WasmBackendLike {
  disposeData(dataId: object): boolean;
}

let stockBatchMatMul: KernelConfig | undefined;

function transposeLastTwo(x: TensorInfo, backend: WasmBackendLike, transposeFunc: KernelFunc): TensorInfo {
  const rank = x.shape.length;
  const perm = x.shape.map((_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transposeFunc({ inputs: { x }, backend: backend as never, attrs: { perm } }) as TensorInfo;
}

function makeBatchMatMul(stock: KernelConfig, transposeFunc: KernelFunc): KernelFunc {
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as {
      inputs: { a: TensorInfo; b: TensorInfo };
      backend: WasmBackendLike;
      attrs: { transposeA: boolean; transposeB: boolean };
    };
    const { transposeA, transposeB } = attrs;
    if (!transposeA && !transposeB) return stock.kernelFunc(args);
    const a = transposeA ? transposeLastTwo(inputs.a, backend, transposeFunc) : inputs.a;
    const b = transposeB ? transposeLastTwo(inputs.b, backend, transposeFunc) : inputs.b;
    try {
      return stock.kernelFunc({
        inputs: { a, b },
        backend: backend as never,
        attrs: { ...attrs, transposeA: false, transposeB: false },
      } as never);
    } finally {
      // The intermediates never become tensors, so the engine would not track or free them.
      if (transposeA) backend.disposeData(a.dataId);
      if (transposeB) backend.disposeData(b.dataId);
    }
  };
}

/** Installs (or removes) Vigil's wasm kernel replacements. Called from the runtime module only. */
export function registerFastKernels(enabled: boolean): void {
  stockBatchMatMul ??= tf.getKernel('BatchMatMul', 'wasm');
  const transpose = tf.getKernel('Transpose', 'wasm');
  if (!stockBatchMatMul || !transpose) {
    throw new Error('wasm backend kernels are not registered; call initRuntime() first');
  }
  tf.unregisterKernel('BatchMatMul', 'wasm');
  if (enabled) {
    // setupFunc already ran for the stock kernel; the stock kernelFunc keeps its wasm binding.
    tf.registerKernel({
      kernelName: 'BatchMatMul',
      backendName: 'wasm',
      kernelFunc: makeBatchMatMul(stockBatchMatMul, transpose.kernelFunc),
    });
  } else {
    tf.registerKernel({ ...stockBatchMatMul, setupFunc: undefined });
  }
}
