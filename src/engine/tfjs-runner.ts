import type { Tensor } from '@tensorflow/tfjs-core';
import { forwardNetwork } from './network-forward.js';
import type { NetworkRunner, NetworkWeight } from './network-runner.js';
import { inputSize, type NetworkSpec, outputSize, resolveNetwork, weightSlots } from './network-spec.js';
import { initRuntime } from './runtime.js';
import { checkWeights } from './weights.js';

/** Rows per forward pass, so a million-row matrix never becomes one tensor. */
const RUN_BATCH_ROWS = 8192;

/**
 * Scores a network with TF.js on wasm, through the same forward pass training uses.
 *
 * @example
 * const runner = await createTfjsRunner(spec, weights);
 * const logits = await runner.run(x.data, x.nRows);
 * runner.dispose();
 */
export async function createTfjsRunner(spec: NetworkSpec, weights: NetworkWeight[]): Promise<NetworkRunner> {
  const tf = await initRuntime();
  const layers = resolveNetwork(spec);
  const ordered = checkWeights(weightSlots(spec), weights);
  const params = new Map<string, Tensor>(ordered.map((w) => [w.name, tf.tensor(w.values, w.shape)]));
  const width = inputSize(spec);
  const outWidth = outputSize(spec);
  let disposed = false;
  return {
    runtime: 'tfjs',
    async run(x: Float32Array, nRows: number): Promise<Float32Array> {
      if (disposed) throw new Error('this runner has been disposed');
      if (x.length !== nRows * width) {
        throw new Error(`expected ${nRows} rows of ${width} values (${nRows * width}), got ${x.length}`);
      }
      const out = new Float32Array(nRows * outWidth);
      for (let start = 0; start < nRows; start += RUN_BATCH_ROWS) {
        const end = Math.min(nRows, start + RUN_BATCH_ROWS);
        const y = tf.tidy(() => {
          const xt = tf.tensor(x.subarray(start * width, end * width), [end - start, ...spec.inputShape]);
          return forwardNetwork(tf, layers, params, xt, { training: false });
        });
        out.set(y.dataSync() as Float32Array, start * outWidth);
        y.dispose();
      }
      return out;
    },
    dispose(): void {
      if (disposed) return;
      disposed = true;
      for (const t of params.values()) t.dispose();
    },
  };
}
