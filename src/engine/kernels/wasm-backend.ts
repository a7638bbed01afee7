import type { DataType, KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { VigilError } from '../../errors.js';

/** A typed view of a tensor's bytes on the wasm heap (bool tensors are one byte per element). */
export type HeapArray = Float32Array | Int32Array | Uint8Array;

/**
 * The part of tfjs-backend-wasm's `BackendWasm` the replacement kernels use. The package does not
 * export the class's type from its entry point, so the kernels describe what they rely on here.
 */
export interface WasmBackend {
  /** Allocates an output on the wasm heap; its memory is uninitialised. */
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  /** A view (not a copy) of a tensor's memory; invalid once the heap grows, so take it after every allocation. */
  typedArrayFromHeap(info: TensorInfo): HeapArray;
  /** Drops one reference; frees the memory (and tfjs-wasm's caches keyed on it) at zero. */
  disposeData(dataId: object): boolean;
  /** Adds a reference, so one buffer can back several tensors (as Reshape does). */
  incRef(dataId: object): void;
}

/** The arguments the engine hands a kernel function, typed for the wasm backend. */
export interface WasmKernelArgs<Inputs, Attrs = Record<string, never>> {
  inputs: Inputs;
  backend: WasmBackend;
  attrs: Attrs;
}

/** The stock tfjs-wasm kernels as they were before Vigil replaced any of them. */
export type StockKernels = (kernelName: string) => KernelConfig | undefined;

/**
 * One of Vigil's replacements: which kernel it takes over and how to build its function from the
 * stock kernels (which it may delegate to for the cases it does not speed up).
 */
export interface KernelReplacement {
  kernelName: string;
  create(stock: StockKernels): KernelFunc;
}

/** Product of a shape's dimensions. */
export function sizeOf(shape: readonly number[]): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Calls a kernel function with wasm-typed arguments and returns its single output. */
export function callKernel(kernel: KernelFunc, backend: WasmBackend, inputs: object, attrs: object = {}): TensorInfo {
  return kernel({ inputs, backend, attrs } as never) as TensorInfo;
}

/**
 * The same buffer under another shape, for feeding a stock kernel a reshaped view. It is not a new
 * reference: pass it only to kernels that read it, and never dispose it.
 */
export function viewAs(info: TensorInfo, shape: number[]): TensorInfo {
  return { dataId: info.dataId, shape, dtype: info.dtype };
}

/** The stock kernel function for `kernelName`, or a clear error when tfjs-wasm did not register it. */
export function requireStock(stock: StockKernels, kernelName: string): KernelFunc {
  const config = stock(kernelName);
  if (!config) {
    throw new VigilError(
      'wasm_kernel_missing',
      `the wasm backend has no ${kernelName} kernel; call initRuntime() first`,
    );
  }
  return config.kernelFunc;
}

/**
 * A fresh copy of x's buffer under `shape`, for passing as the right operand of the stock
 * BatchMatMul: tfjs-wasm caches XNNPACK's packed copy of that operand keyed by buffer id alone,
 * not shape, so handing it an existing tensor under a second shape would reuse a stale packing.
 * The caller disposes the copy, which also drops the cache entry.
 */
export function freshCopy(x: TensorInfo, shape: number[], backend: WasmBackend): TensorInfo {
  const copy = backend.makeOutput(shape, x.dtype);
  backend.typedArrayFromHeap(copy).set(backend.typedArrayFromHeap(x));
  return copy;
}
