import { DataError } from '../errors.js';
import { argmaxRows } from '../evaluation/index.js';
import type { Matrix } from '../matrix.js';
import type { NamedWeight, Task } from './estimator.js';

// Output links shared by the models: logits → probabilities → class indices.

/** Logistic function, stable for large |z|. */
export function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** n × 1 logits → n × 2 probabilities [1 − p, p]. */
function sigmoidTwoColumns(z: Matrix): Matrix {
  const out = new Float32Array(z.nRows * 2);
  for (let i = 0; i < z.nRows; i++) {
    const prob = sigmoid(z.data[i] as number);
    out[2 * i] = 1 - prob;
    out[2 * i + 1] = prob;
  }
  return { data: out, nRows: z.nRows, nCols: 2 };
}

/** Row-wise softmax of an n × k logit matrix, in place. */
function softmaxRowsInPlace(z: Matrix): void {
  const k = z.nCols;
  for (let i = 0; i < z.nRows; i++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, z.data[i * k + j] as number);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp((z.data[i * k + j] as number) - m);
    for (let j = 0; j < k; j++) z.data[i * k + j] = Math.exp((z.data[i * k + j] as number) - m) / s;
  }
}

/** Finds a weight by name or throws a {@link DataError}. */
export function findWeight(weights: NamedWeight[], name: string): NamedWeight {
  const w = weights.find((v) => v.name === name);
  if (w === undefined) throw new DataError('missing_weight', `weight '${name}' is missing`);
  return w;
}

/**
 * Turns decision scores (logits, or predictions for regression) into `predictProba` output:
 * n × 2 for binary, softmax rows for multiclass, the scores themselves for regression.
 * Every model shares this so their outputs agree in shape and meaning.
 */
export function probaFromScores(task: Task, z: Matrix): Matrix {
  if (task === 'regression') return z;
  if (task === 'binary') return sigmoidTwoColumns(z);
  softmaxRowsInPlace(z);
  return z;
}

/** Turns decision scores into `predict` output: class index (binary at logit 0 = p 0.5) or the prediction. */
export function predictionFromScores(task: Task, z: Matrix): Float32Array {
  if (task === 'regression') return z.data;
  if (task === 'binary') return z.data.map((v) => (v > 0 ? 1 : 0));
  // Float32 like every other `predict` output.
  return Float32Array.from(argmaxRows(z));
}
