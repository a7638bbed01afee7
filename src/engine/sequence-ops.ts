import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import type { tf as tfNamespace } from './runtime.js';

type Tf = typeof tfNamespace;

/**
 * Sliding windows of `kernelSize` steps: [batch, T, c] → [batch·(T−k+1), k·c], row `b·T' + t`
 * holding steps t..t+k−1 of example b. A 'valid', stride-1 Conv1D is then one dense product with
 * the Keras kernel [k, c, filters] read as [k·c, filters]; this avoids tfjs's Conv2D path, whose
 * filter gradient the wasm backend lacks and whose NHWC im2col is slower than this copy.
 * `inputGrad: false` skips the scatter back to x when x is data.
 */
export function framesOp(tf: Tf, x: Tensor3D, kernelSize: number, inputGrad = true): Tensor {
  const op = tf.customGrad(((xs: Tensor3D, save: (t: Tensor[]) => void) => {
    const [b, T, c] = xs.shape;
    const steps = T - kernelSize + 1;
    const width = kernelSize * c;
    const src = xs.dataSync() as Float32Array;
    const out = new Float32Array(b * steps * width);
    for (let r = 0; r < b; r++) {
      for (let t = 0; t < steps; t++) {
        // Steps t..t+k−1 are contiguous in the source row, so each window is one copy.
        const from = (r * T + t) * c;
        out.set(src.subarray(from, from + width), (r * steps + t) * width);
      }
    }
    save([]);
    return {
      value: tf.tensor2d(out, [b * steps, width]),
      gradFunc: (dy: Tensor) => {
        if (!inputGrad) return [tf.zerosLike(xs)];
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(b * T * c);
        for (let r = 0; r < b; r++) {
          for (let t = 0; t < steps; t++) {
            const to = (r * T + t) * c;
            const from = (r * steps + t) * width;
            for (let i = 0; i < width; i++) dx[to + i] = (dx[to + i] as number) + (g[from + i] as number);
          }
        }
        return [tf.tensor3d(dx, [b, T, c])];
      },
    };
  }) as never) as (xs: Tensor3D) => Tensor;
  return op(x);
}

/** Max over non-overlapping windows of `poolSize` steps ('valid': a remainder is dropped), per channel. */
export function maxPool1dOp(tf: Tf, x: Tensor3D, poolSize: number): Tensor3D {
  const op = tf.customGrad(((xs: Tensor3D, save: (t: Tensor[]) => void) => {
    const [b, T, c] = xs.shape;
    const steps = Math.floor(T / poolSize);
    const src = xs.dataSync() as Float32Array;
    const out = new Float32Array(b * steps * c);
    const argmax = new Int32Array(b * steps * c);
    for (let r = 0; r < b; r++) {
      for (let t = 0; t < steps; t++) {
        const o = (r * steps + t) * c;
        for (let ch = 0; ch < c; ch++) {
          let best = -Infinity;
          let at = -1;
          for (let p = 0; p < poolSize; p++) {
            const i = (r * T + t * poolSize + p) * c + ch;
            const v = src[i] as number;
            // The first maximum wins, as in tfjs and PyTorch; NaN propagates through `at = i`.
            if (v > best || (at < 0 && Number.isNaN(v))) {
              best = v;
              at = i;
            }
          }
          out[o + ch] = best;
          argmax[o + ch] = at;
        }
      }
    }
    save([]);
    return {
      value: tf.tensor3d(out, [b, steps, c]),
      gradFunc: (dy: Tensor) => {
        const g = dy.dataSync() as Float32Array;
        const dx = new Float32Array(b * T * c);
        for (let i = 0; i < g.length; i++) {
          const at = argmax[i] as number;
          if (at >= 0) dx[at] = (dx[at] as number) + (g[i] as number);
        }
        return [tf.tensor3d(dx, [b, T, c])];
      },
    };
  }) as never) as (xs: Tensor3D) => Tensor3D;
  return op(x);
}
