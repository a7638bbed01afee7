import type { Scalar, Tensor } from '@tensorflow/tfjs-core';
import type { tf as tfNamespace } from './runtime.js';

type Tf = typeof tfNamespace;

/**
 * Losses on raw network outputs:
 * - `binary`: sigmoid cross-entropy from logits (never log(σ(z)), which overflows);
 * - `multiclass`: softmax cross-entropy from logits, targets are class indices;
 * - `focal`: binary focal loss (Lin et al.) from logits, `−α_t (1 − p_t)^γ log p_t`;
 * - `mse`: squared error per output, averaged over outputs (autoencoders: the whole row);
 * - `huber`: Huber with δ = 1 per output, averaged over outputs.
 */
export type LossName = 'binary' | 'multiclass' | 'focal' | 'mse' | 'huber';

export interface LossConfig {
  name: LossName;
  /** Focal loss γ (default 2). */
  gamma?: number;
  /** Focal loss α, the weight of the positive class (default 0.25, as in the paper). */
  alpha?: number;
}

function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

/**
 * Loss and gradient of one row, in float64: outputs `out[o .. o+k)`, targets `target[t ..)`
 * (class index for multiclass; for mse/huber one value per output, or one value when `width` is
 * 1). Writes dLoss/dOutput into `grad[0 .. k)` when given and returns the loss. Offsets rather
 * than subarrays: this runs once per row per step, and a view per row costs more than the maths.
 */
function rowLossAndGrad(
  loss: LossConfig,
  out: Float32Array,
  o: number,
  k: number,
  target: Float32Array,
  t: number,
  width: number,
  grad: Float64Array | undefined,
): number {
  switch (loss.name) {
    case 'binary': {
      const z = out[o] as number;
      const y = target[t] as number;
      if (grad) grad[0] = 1 / (1 + Math.exp(-z)) - y;
      return Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
    }
    case 'focal': {
      const z = out[o] as number;
      const y = target[t] as number;
      const gamma = loss.gamma ?? 2;
      const alpha = loss.alpha ?? 0.25;
      const p = 1 / (1 + Math.exp(-z));
      if (y >= 0.5) {
        const logP = -softplus(-z);
        const q = 1 - p;
        if (grad) grad[0] = alpha * (gamma * q ** gamma * p * logP - q ** (gamma + 1));
        return -alpha * q ** gamma * logP;
      }
      const logQ = -softplus(z);
      if (grad) grad[0] = -(1 - alpha) * (gamma * p ** gamma * (1 - p) * logQ - p ** (gamma + 1));
      return -(1 - alpha) * p ** gamma * logQ;
    }
    case 'multiclass': {
      const cls = target[t] as number;
      let m = -Infinity;
      for (let c = 0; c < k; c++) m = Math.max(m, out[o + c] as number);
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp((out[o + c] as number) - m);
      if (grad) for (let c = 0; c < k; c++) grad[c] = Math.exp((out[o + c] as number) - m) / s - (c === cls ? 1 : 0);
      return m + Math.log(s) - (out[o + cls] as number);
    }
    case 'mse':
    case 'huber': {
      let sum = 0;
      const huber = loss.name === 'huber';
      for (let c = 0; c < k; c++) {
        const r = (out[o + c] as number) - (target[width === k ? t + c : t] as number);
        if (!huber) {
          sum += r * r;
          if (grad) grad[c] = (2 * r) / k;
        } else {
          const a = Math.abs(r);
          sum += a <= 1 ? 0.5 * r * r : a - 0.5;
          if (grad) grad[c] = (a <= 1 ? r : Math.sign(r)) / k;
        }
      }
      return sum / k;
    }
  }
}

/**
 * Σ wᵢ·lossᵢ over the rows, writing wᵢ·dlossᵢ/dout / `denominator` into `grad`. A top-level
 * function (not a closure) so V8 optimises the loop; mse and binary, the common cases, skip the
 * per-row dispatch.
 */
export function lossAndGradient(
  loss: LossConfig,
  values: Float32Array,
  rows: number,
  k: number,
  targets: Float32Array,
  width: number,
  weights: Float32Array | undefined,
  denominator: number,
  grad: Float32Array,
): number {
  let total = 0;
  if (loss.name === 'mse' && width === k) {
    const scale = 2 / (k * denominator);
    for (let r = 0; r < rows; r++) {
      const w = weights ? (weights[r] as number) : 1;
      let sum = 0;
      for (let i = r * k, end = i + k; i < end; i++) {
        const d = (values[i] as number) - (targets[i] as number);
        sum += d * d;
        grad[i] = d * w * scale;
      }
      total += (w * sum) / k;
    }
    return total;
  }
  if (loss.name === 'binary' && k === 1) {
    for (let r = 0; r < rows; r++) {
      const w = weights ? (weights[r] as number) : 1;
      const z = values[r] as number;
      const y = targets[r] as number;
      total += w * (Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z))));
      grad[r] = ((1 / (1 + Math.exp(-z)) - y) * w) / denominator;
    }
    return total;
  }
  const g = new Float64Array(k);
  for (let r = 0; r < rows; r++) {
    const w = weights ? (weights[r] as number) : 1;
    total += w * rowLossAndGrad(loss, values, r * k, k, targets, r * width, width, g);
    for (let c = 0; c < k; c++) grad[r * k + c] = ((g[c] as number) * w) / denominator;
  }
  return total;
}

/** Target values per row for a loss with `nOutputs` outputs and `targetWidth` stored values per row. */
export function targetWidth(loss: LossConfig, nOutputs: number, yLength: number, nRows: number): number {
  if (loss.name === 'mse' || loss.name === 'huber') return yLength === nRows * nOutputs ? nOutputs : 1;
  return 1;
}

/**
 * Σ wᵢ·lossᵢ / `denominator` over the rows of `outputs` ([rows, k]) as a scalar with its gradient
 * computed in the same JS pass, so the loss costs two tensor copies instead of a dozen kernels
 * forward and back. Dividing by the whole batch (not this shard) lets replicas sum gradients.
 */
export function lossOp(
  tf: Tf,
  loss: LossConfig,
  outputs: Tensor,
  targets: Float32Array,
  weights: Float32Array | undefined,
  denominator: number,
): Scalar {
  const op = tf.customGrad(((o: Tensor, save: (t: Tensor[]) => void) => {
    const values = o.dataSync() as Float32Array;
    const rows = o.shape[0] as number;
    const k = values.length / Math.max(1, rows);
    const width = targetWidth(loss, k, targets.length, rows);
    const grad = new Float32Array(values.length);
    const total = lossAndGradient(loss, values, rows, k, targets, width, weights, denominator, grad);
    save([]);
    return {
      value: tf.scalar(total / denominator),
      gradFunc: (dy: Tensor) => {
        const scale = (dy.dataSync() as Float32Array)[0] as number;
        if (scale !== 1) for (let i = 0; i < grad.length; i++) grad[i] = (grad[i] as number) * scale;
        return [tf.tensor(grad, o.shape)];
      },
    };
  }) as never) as (o: Tensor) => Scalar;
  return op(outputs);
}

/** Mean unweighted loss of `outputs` (rows × k) in float64, for validation logs. */
export function meanLoss(loss: LossConfig, outputs: Float32Array, targets: Float32Array, nRows: number): number {
  if (nRows === 0) return Number.NaN;
  const k = outputs.length / nRows;
  const width = targetWidth(loss, k, targets.length, nRows);
  let sum = 0;
  for (let r = 0; r < nRows; r++) {
    sum += rowLossAndGrad(loss, outputs, r * k, k, targets, r * width, width, undefined);
  }
  return sum / nRows;
}
