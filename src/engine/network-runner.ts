import type { NetworkSpec } from './network-spec.js';

/** One named weight tensor, Keras naming (`dense_0/kernel`), row-major values. */
export interface NetworkWeight {
  name: string;
  shape: number[];
  values: Float32Array;
}

/**
 * Runs a fitted network forward for scoring. TF.js (`createTfjsRunner`) and ONNX Runtime
 * (`createOnnxRunner` in the onnx module) implement the same contract and agree within 1e-5,
 * so a bundle scores the same whichever runtime the user picks.
 */
export interface NetworkRunner {
  /** Which runtime this is, for logs and `--json` output. */
  readonly runtime: 'tfjs' | 'onnxruntime';
  /**
   * `x` holds `nRows` rows of `inputSize(spec)` values each, row-major (Keras layout, channels
   * last). Returns `nRows × outputSize` raw outputs (logits for classifiers), row-major.
   */
  run(x: Float32Array, nRows: number): Promise<Float32Array>;
  /** Frees native or wasm memory; the runner cannot be used afterwards. */
  dispose(): void;
}

/** Builds a runner for one network; the engine's and the onnx module's factories have this type. */
export type NetworkRunnerFactory = (spec: NetworkSpec, weights: NetworkWeight[]) => Promise<NetworkRunner>;
