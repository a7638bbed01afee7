import { createRequire } from 'node:module';
import { dirname } from 'node:path';
// The union package, not tfjs-core alone: only its Node bundle registers every op's gradient
// (tfjs-core's own gradient registry module is ESM-only and cannot be imported from Node).
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerFastKernels } from './kernels/index.js';

export { tf };

/** Options for {@link initRuntime}. */
export interface RuntimeOptions {
  /**
   * Install Vigil's replacement kernels on top of the stock wasm ones (default true on the first
   * call; later calls leave the current choice alone unless this is given).
   * `false` exists so benchmarks and tests can compare against stock tfjs-wasm in one process.
   */
  fastKernels?: boolean;
}

let ready: Promise<void> | undefined;
let fastKernelsInstalled = false;
let initialised = false;

/**
 * Sets up TensorFlow.js on the wasm backend once per process and returns the `tf` namespace.
 * Every module that runs a network awaits this first; later calls are free.
 *
 * @example
 * const tf = await initRuntime();
 * const y = tf.tidy(() => tf.matMul(a, b));
 */
export async function initRuntime(options: RuntimeOptions = {}): Promise<typeof tf> {
  ready ??= (async () => {
    const require = createRequire(import.meta.url);
    const wasmFile = require.resolve('@tensorflow/tfjs-backend-wasm/wasm-out/tfjs-backend-wasm.wasm');
    setWasmPaths(`${dirname(wasmFile)}/`);
    // Threaded wasm stalls under Node here; SIMD alone is reliable.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    // The emscripten glue installs process-wide handlers that rethrow every uncaught error
    // with the whole minified glue source attached; Vigil reports its own errors.
    const before = {
      uncaughtException: new Set(process.listeners('uncaughtException')),
      unhandledRejection: new Set(process.listeners('unhandledRejection')),
    };
    await tf.setBackend('wasm');
    await tf.ready();
    for (const listener of process.listeners('uncaughtException')) {
      if (!before.uncaughtException.has(listener)) process.removeListener('uncaughtException', listener);
    }
    for (const listener of process.listeners('unhandledRejection')) {
      if (!before.unhandledRejection.has(listener)) process.removeListener('unhandledRejection', listener);
    }
  })();
  const first = !initialised;
  await ready;
  initialised = true;
  // Only the first call, or an explicit option, picks the kernels: library code calls
  // initRuntime() freely and must not undo a benchmark's or test's choice.
  if (first || options.fastKernels !== undefined) setFastKernels(options.fastKernels ?? true);
  return tf;
}

/**
 * Switches Vigil's replacement kernels on or off after {@link initRuntime}; for A/B benchmarks and
 * tests. Off also keeps training on this thread off the direct SIMD-kernel paths (dense, Conv1D and
 * GAN stacks), so that "off" measures stock tfjs-wasm execution of the same graph.
 */
export function setFastKernels(enabled: boolean): void {
  if (enabled === fastKernelsInstalled) return;
  registerFastKernels(enabled);
  fastKernelsInstalled = enabled;
}

/** Whether Vigil's replacement kernels are active. */
export function fastKernelsActive(): boolean {
  return fastKernelsInstalled;
}

/** Library versions recorded in model bundles. */
export function runtimeVersions(): Record<string, string> {
  return {
    node: process.versions.node,
    tfjsCore: tf.version_core,
    tfjsBackend: tf.getBackend() ?? 'none',
  };
}
