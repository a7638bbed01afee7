import { DataError } from '../errors.js';
import { auc } from '../evaluation/index.js';

/**
 * ROC AUC for early stopping and blend selection: the evaluation module's metric, but NaN
 * instead of an error when the validation part has one class or a diverging net scores NaN,
 * so training can carry on and treat the epoch as no improvement.
 */
export function rankAuc(y: ArrayLike<number>, score: ArrayLike<number>): number {
  const labels = y instanceof Float32Array ? y : Float32Array.from(y);
  const scores = score instanceof Float32Array || score instanceof Float64Array ? score : Float64Array.from(score);
  try {
    return auc(labels, scores);
  } catch (error) {
    if (error instanceof DataError) return Number.NaN;
    throw error;
  }
}

/** Macro one-vs-rest AUC over the columns of an n × k probability matrix (classes absent from y are skipped). */
export function macroAuc(y: ArrayLike<number>, proba: Float32Array, k: number): number {
  let sum = 0;
  let count = 0;
  const n = y.length;
  const yk = new Uint8Array(n);
  const sk = new Float64Array(n);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < n; i++) {
      yk[i] = y[i] === c ? 1 : 0;
      sk[i] = proba[i * k + c] as number;
    }
    const a = rankAuc(yk, sk);
    if (!Number.isNaN(a)) {
      sum += a;
      count++;
    }
  }
  return count > 0 ? sum / count : Number.NaN;
}
