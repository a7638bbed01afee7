import type { TensorInfo } from '@tensorflow/tfjs-core';
import { callKernel, type WasmBackend } from './kernels/wasm-backend.js';
import type { tf as tfNamespace } from './runtime.js';

type Tf = typeof tfNamespace;

/**
 * Kernel calls straight on the wasm backend, bypassing the tfjs engine: no tensor tracking, no
 * tape, no tidy. A recurrent layer runs a few kernels per time step, and through the engine each
 * costs 10–30 µs of bookkeeping on top of its work; here it costs the kernel alone. Everything
 * made here is freed by the caller with {@link WasmCalls.free}. Only for code whose gradient is
 * written by hand (inside a customGrad), since the engine cannot see these calls.
 */
export class WasmCalls {
  private readonly backend: WasmBackend;

  constructor(private readonly tf: Tf) {
    this.backend = tf.backend() as unknown as WasmBackend;
  }

  /** A new float32 buffer holding `values`. */
  upload(values: Float32Array, shape: number[]): TensorInfo {
    const info = this.backend.makeOutput(shape, 'float32');
    (this.backend.typedArrayFromHeap(info) as Float32Array).set(values);
    return info;
  }

  /** Runs the registered wasm kernel `name` (Vigil's replacement where there is one). */
  call(name: string, inputs: Record<string, TensorInfo>, attrs: object = {}): TensorInfo {
    const kernel = this.tf.getKernel(name, 'wasm');
    if (kernel === undefined) throw new Error(`the wasm backend has no ${name} kernel`);
    return callKernel(kernel.kernelFunc, this.backend, inputs, attrs);
  }

  /** A view of a buffer's values; valid until the next allocation (the heap may move). */
  view(info: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(info) as Float32Array;
  }

  free(...infos: (TensorInfo | undefined)[]): void {
    for (const info of infos) if (info) this.backend.disposeData(info.dataId);
  }
}
