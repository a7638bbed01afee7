import type { Tensor, Tensor3D } from '@tensorflow/tfjs-core';
import type { tf as tfNamespace } from './runtime.js';

type Tf = typeof tfNamespace;

/*
 * The loops live in top-level functions over typed arrays and plain numbers: V8 optimises them
 * far better than the same loops inside customGrad closures, and a plain element loop beats a
 * subarray view per 30-value window.
 */

export function gatherFrames(src: Float32Array, out: Float32Array, b: number, T: number, c: number, k: number): void {
  const steps = T - k + 1;
  const width = k * c;
  let o = 0;
  for (let r = 0; r < b; r++) {
    for (let t = 0; t < steps; t++) {
      // Steps t..t+k−1 are contiguous in the source row.
      let i = (r * T + t) * c;
      for (let e = 0; e < width; e++) out[o++] = src[i++] as number;
    }
  }
}

function scatterFrames(g: Float32Array, dx: Float32Array, b: number, T: number, c: number, k: number): void {
  const steps = T - k + 1;
  const width = k * c;
  let from = 0;
  for (let r = 0; r < b; r++) {
    for (let t = 0; t < steps; t++) {
      let to = (r * T + t) * c;
      for (let e = 0; e < width; e++) {
        dx[to] = (dx[to] as number) + (g[from++] as number);
        to++;
      }
    }
  }
}

export function poolForward(
  src: Float32Array,
  out: Float32Array,
  argmax: Int32Array,
  b: number,
  T: number,
  c: number,
  p: number,
): void {
  const steps = Math.floor(T / p);
  for (let r = 0; r < b; r++) {
    for (let t = 0; t < steps; t++) {
      const o = (r * steps + t) * c;
      const first = (r * T + t * p) * c;
      for (let ch = 0; ch < c; ch++) {
        let at = first + ch;
        let best = src[at] as number;
        for (let q = 1; q < p; q++) {
          const i = first + q * c + ch;
          const v = src[i] as number;
          // The first maximum wins, as in tfjs and PyTorch; a NaN stays once it is the best.
          if (v > best) {
            best = v;
            at = i;
          }
        }
        out[o + ch] = best;
        argmax[o + ch] = at;
      }
    }
  }
}

export function poolBackward(g: Float32Array, argmax: Int32Array, dx: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    const at = argmax[i] as number;
    dx[at] = (dx[at] as number) + (g[i] as number);
  }
}

/**
 * Sliding windows of `kernelSize` steps: [batch, T, c] → [batch·(T−k+1), k·c], row `b·T' + t`
 * holding steps t..t+k−1 of example b. A 'valid', stride-1 Conv1D is then one dense product with
 * the Keras kernel [k, c, filters] read as [k·c, filters]; this avoids tfjs's Conv2D path, whose
 * NHWC im2col and filter gradient cost more than this copy. `inputGrad: false` skips the scatter
 * back to x when x is data.
 */
export function framesOp(tf: Tf, x: Tensor3D, kernelSize: number, inputGrad = true): Tensor {
  const op = tf.customGrad(((xs: Tensor3D, save: (t: Tensor[]) => void) => {
    const [b, T, c] = xs.shape;
    const steps = T - kernelSize + 1;
    const out = new Float32Array(b * steps * kernelSize * c);
    gatherFrames(xs.dataSync() as Float32Array, out, b, T, c, kernelSize);
    save([]);
    return {
      value: tf.tensor2d(out, [b * steps, kernelSize * c]),
      gradFunc: (dy: Tensor) => {
        if (!inputGrad) return [tf.zerosLike(xs)];
        const dx = new Float32Array(b * T * c);
        scatterFrames(dy.dataSync() as Float32Array, dx, b, T, c, kernelSize);
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
    const out = new Float32Array(b * steps * c);
    const argmax = new Int32Array(b * steps * c);
    poolForward(xs.dataSync() as Float32Array, out, argmax, b, T, c, poolSize);
    save([]);
    return {
      value: tf.tensor3d(out, [b, steps, c]),
      gradFunc: (dy: Tensor) => {
        const dx = new Float32Array(b * T * c);
        poolBackward(dy.dataSync() as Float32Array, argmax, dx);
        return [tf.tensor3d(dx, [b, T, c])];
      },
    };
  }) as never) as (xs: Tensor3D) => Tensor3D;
  return op(x);
}
