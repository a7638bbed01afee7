/**
 * Vigil's own matrix kernels in WebAssembly (packed-panel GEMM with FMA where available), used by
 * the engine's direct training paths. Generated at run time by a small binary emitter.
 */
export { type MatmulArgs, relaxedSimdAvailable, SimdKernels, sharedKernels } from './simd-kernels.js';
