import type { Tensor, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import type { tf as tfNamespace } from './runtime.js';

type Tf = typeof tfNamespace;

/*
 * The per-row loops live in top-level functions over typed arrays: V8 optimises them far better
 * than the same loops inside a customGrad closure. Layout: h is [b, T, u] row-major, q [b, u],
 * weights [b, T], out [b, 2u].
 */

/** Scores, softmax and context for every row; writes [context, h_T] into `out` and the softmax into `weights`. */
function attendForward(
  h: Float32Array,
  q: Float32Array,
  weights: Float64Array,
  out: Float32Array,
  b: number,
  T: number,
  u: number,
): void {
  for (let r = 0; r < b; r++) {
    const rowH = r * T * u;
    const rowQ = r * u;
    let max = -Infinity;
    for (let t = 0; t < T; t++) {
      let s = 0;
      const at = rowH + t * u;
      for (let j = 0; j < u; j++) s += (h[at + j] as number) * (q[rowQ + j] as number);
      weights[r * T + t] = s;
      if (s > max) max = s;
    }
    let z = 0;
    for (let t = 0; t < T; t++) {
      const e = Math.exp((weights[r * T + t] as number) - max);
      weights[r * T + t] = e;
      z += e;
    }
    const o = r * 2 * u;
    for (let j = 0; j < u; j++) out[o + j] = 0;
    for (let t = 0; t < T; t++) {
      const a = (weights[r * T + t] as number) / z;
      weights[r * T + t] = a;
      const at = rowH + t * u;
      for (let j = 0; j < u; j++) out[o + j] = (out[o + j] as number) + a * (h[at + j] as number);
    }
    const last = rowH + (T - 1) * u;
    for (let j = 0; j < u; j++) out[o + u + j] = h[last + j] as number;
  }
}

/**
 * Gradients of {@link attendForward} from dOut = [dc, dh_T]: into h through the context (aₜ·dc),
 * through the scores (dsₜ·q) and the pass-through of h_T; into q as Σₜ dsₜ·hₜ, where
 * daₜ = dc·hₜ and dsₜ = aₜ(daₜ − Σ aτ daτ) (the softmax's Jacobian).
 */
function attendBackward(
  dOut: Float32Array,
  h: Float32Array,
  q: Float32Array,
  weights: Float64Array,
  dh: Float32Array,
  dq: Float32Array,
  b: number,
  T: number,
  u: number,
): void {
  const da = new Float64Array(T);
  for (let r = 0; r < b; r++) {
    const rowH = r * T * u;
    const rowQ = r * u;
    const o = r * 2 * u;
    let mean = 0;
    for (let t = 0; t < T; t++) {
      const at = rowH + t * u;
      let s = 0;
      for (let j = 0; j < u; j++) s += (dOut[o + j] as number) * (h[at + j] as number);
      da[t] = s;
      mean += (weights[r * T + t] as number) * s;
    }
    for (let j = 0; j < u; j++) dq[rowQ + j] = 0;
    for (let t = 0; t < T; t++) {
      const a = weights[r * T + t] as number;
      const ds = a * ((da[t] as number) - mean);
      const at = rowH + t * u;
      for (let j = 0; j < u; j++) {
        dh[at + j] = a * (dOut[o + j] as number) + ds * (q[rowQ + j] as number);
        dq[rowQ + j] = (dq[rowQ + j] as number) + ds * (h[at + j] as number);
      }
    }
    const last = rowH + (T - 1) * u;
    for (let j = 0; j < u; j++) dh[last + j] = (dh[last + j] as number) + (dOut[o + u + j] as number);
  }
}

/** [context, h_T] from the states and the queries, as one differentiable op with a hand-written gradient. */
function attendOp(tf: Tf, h: Tensor3D, q: Tensor2D): Tensor2D {
  const op = tf.customGrad(((hs: Tensor3D, qs: Tensor2D, save: (t: Tensor[]) => void) => {
    const [b, T, u] = hs.shape;
    const hv = hs.dataSync() as Float32Array;
    const qv = qs.dataSync() as Float32Array;
    const weights = new Float64Array(b * T);
    const out = new Float32Array(b * 2 * u);
    attendForward(hv, qv, weights, out, b, T, u);
    save([]);
    return {
      value: tf.tensor2d(out, [b, 2 * u]),
      gradFunc: (dy: Tensor) => {
        const dh = new Float32Array(b * T * u);
        const dq = new Float32Array(b * u);
        attendBackward(dy.dataSync() as Float32Array, hv, qv, weights, dh, dq, b, T, u);
        return [tf.tensor3d(dh, [b, T, u]), tf.tensor2d(dq, [b, u])];
      },
    };
  }) as never) as (h: Tensor3D, q: Tensor2D) => Tensor2D;
  return op(h, q);
}

/**
 * Attention over a sequence of states `h` ([batch, steps, u], e.g. an LSTM with
 * `returnSequences`), queried by the last step: Luong et al.'s "general" score.
 *
 *     q  = h_T · W                    (W: [u, u], learned)
 *     sₜ = hₜ · q,   a = softmax(s)   (over the steps)
 *     c  = Σₜ aₜ hₜ
 *     output = [c, h_T]               ([batch, 2u])
 *
 * In a transaction sequence the last step is the transaction being scored, so its state asks
 * which earlier transactions resemble it (or matter for it); the context `c` summarises those,
 * and `h_T` itself is passed on so the layer never loses what a plain LSTM would have had. The
 * query is the state rather than a projection of the raw current features (the fraud handbook's
 * variant) so the layer stays a plain step in a sequential network. No 1/√u scaling: `W` is
 * learned and absorbs it. Padded steps are not masked; the network sees them as states of
 * all-zero inputs and learns to ignore them.
 *
 * The query product is a tfjs matMul (its gradient too); scores, softmax and context are one op
 * with a hand-written gradient in JS (2·steps·u multiply-adds per row each way), which trains
 * about five times faster than the same maths as tfjs batched products and softmax under autograd.
 */
export function attentionOp(tf: Tf, h: Tensor3D, kernel: Tensor2D): Tensor2D {
  const [b, T, u] = h.shape;
  return tf.tidy(() => {
    const last = tf.reshape(tf.slice(h, [0, T - 1, 0], [b, 1, u]), [b, u]) as Tensor2D;
    return attendOp(tf, h, tf.matMul(last, kernel));
  });
}
