/**
 * The deep-learning runtime: TensorFlow.js on the wasm backend with Vigil's faster kernels.
 * Everything that runs a network imports `tf` from here, never from tfjs directly, so that
 * the backend is set up exactly once.
 */
export { fastKernelsActive, initRuntime, type RuntimeOptions, runtimeVersions, setFastKernels, tf } from './runtime.js';
