/**
 * Multiclass metrics over class indices 0..k−1 (e.g. delinquency buckets, fraud typologies):
 * accuracy, macro F1, log loss on the probability matrix, and the k×k confusion matrix.
 */
import { ConfigError, DataError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { checkSameLength } from './input-checks.js';
import { LOG_LOSS_EPS } from './metrics.js';

/** Class labels: the encoded target (Float32Array) or predicted indices. */
export type Labels = Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array;

/** Precision, recall, f1 and support of one class (one-vs-rest). */
export interface ClassMetrics {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

/** Everything `multiclassMetrics` reports. */
export interface MulticlassMetrics {
  accuracy: number;
  /** Unweighted mean of per-class f1 over the classes present in yTrue or the predictions. */
  macroF1: number;
  logLoss: number;
  perClass: ClassMetrics[];
  /** `confusion[t][p]`: rows of true class t predicted as p (predicted = argmax of probs). */
  confusion: number[][];
  classNames: string[];
  nRows: number;
}

function checkClassIndices(what: string, name: string, y: Labels, nClasses: number): void {
  for (let i = 0; i < y.length; i++) {
    const v = y[i] as number;
    if (!(Number.isInteger(v) && v >= 0 && v < nClasses)) {
      throw new DataError(
        'invalid_label',
        `${what}: ${name} of row ${i} is ${v}, expected a class index in [0, ${nClasses})`,
      );
    }
  }
}

function maxLabel(what: string, yTrue: Labels, yPred: Labels): number {
  let max = 0;
  for (const y of [yTrue, yPred]) {
    for (let i = 0; i < y.length; i++) {
      const v = y[i] as number;
      if (!(Number.isInteger(v) && v >= 0)) {
        throw new DataError('invalid_label', `${what}: row ${i} has label ${v}, expected a class index ≥ 0`);
      }
      if (v > max) max = v;
    }
  }
  return max;
}

/** Share of rows whose predicted label equals the true one (any labels, binary included). */
export function accuracy(yTrue: Labels, yPred: Labels): number {
  checkSameLength('accuracy', yTrue, yPred);
  let hits = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++;
  return hits / yTrue.length;
}

/**
 * Per-class counts in one pass: true positives, rows predicted as the class, rows of the class.
 * Sized by the largest label, so labels must be class indices.
 */
function classCounts(yTrue: Labels, yPred: Labels, nClasses: number) {
  const tp = new Float64Array(nClasses);
  const predicted = new Float64Array(nClasses);
  const actual = new Float64Array(nClasses);
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] as number;
    const p = yPred[i] as number;
    actual[t] = (actual[t] as number) + 1;
    predicted[p] = (predicted[p] as number) + 1;
    if (t === p) tp[t] = (tp[t] as number) + 1;
  }
  return { tp, predicted, actual };
}

/**
 * Macro-averaged F1 over class indices, as scikit-learn's `f1_score(average='macro')`: the plain
 * mean of per-class F1 over the labels present in yTrue or yPred, so every class weighs the same
 * however rare it is.
 */
export function macroF1(yTrue: Labels, yPred: Labels): number {
  checkSameLength('macroF1', yTrue, yPred);
  const k = maxLabel('macroF1', yTrue, yPred) + 1;
  const { tp, predicted, actual } = classCounts(yTrue, yPred, k);
  let sum = 0;
  let present = 0;
  for (let c = 0; c < k; c++) {
    const denominator = (actual[c] as number) + (predicted[c] as number);
    if (denominator === 0) continue;
    sum += (2 * (tp[c] as number)) / denominator;
    present++;
  }
  return sum / present;
}

/** k×k confusion matrix, `[true][predicted]`, as scikit-learn's `confusion_matrix(labels=range(k))`. */
export function confusionMatrix(yTrue: Labels, yPred: Labels, nClasses: number): number[][] {
  checkSameLength('confusionMatrix', yTrue, yPred);
  checkClassIndices('confusionMatrix', 'yTrue', yTrue, nClasses);
  checkClassIndices('confusionMatrix', 'yPred', yPred, nClasses);
  const counts = new Float64Array(nClasses * nClasses);
  for (let i = 0; i < yTrue.length; i++) {
    const at = (yTrue[i] as number) * nClasses + (yPred[i] as number);
    counts[at] = (counts[at] as number) + 1;
  }
  return Array.from({ length: nClasses }, (_, t) => Array.from(counts.subarray(t * nClasses, (t + 1) * nClasses)));
}

function checkProbs(what: string, yTrue: Labels, probs: Matrix): void {
  checkSameLength(what, yTrue, { length: probs.nRows });
  if (probs.nCols < 2)
    throw new DataError('invalid_shape', `${what}: probabilities need ≥ 2 columns, got ${probs.nCols}`);
  checkClassIndices(what, 'yTrue', yTrue, probs.nCols);
  for (let i = 0; i < probs.data.length; i++) {
    const v = probs.data[i] as number;
    if (!(v >= 0 && v <= 1)) {
      const row = Math.floor(i / probs.nCols);
      throw new DataError('invalid_probability', `${what}: probability in row ${row} is ${v}, expected [0, 1]`);
    }
  }
}

/**
 * Mean cross-entropy of the probability matrix (one column per class). As scikit-learn's
 * `log_loss`, each probability is clipped to [1e−15, 1 − 1e−15] and each row renormalised to sum
 * to 1, so rows from a float32 softmax that sum to 0.9999999 are not penalised.
 */
export function multiclassLogLoss(yTrue: Labels, probs: Matrix): number {
  checkProbs('multiclassLogLoss', yTrue, probs);
  const clip = (v: number): number => Math.min(Math.max(v, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
  const k = probs.nCols;
  let sum = 0;
  for (let r = 0; r < probs.nRows; r++) {
    let rowSum = 0;
    for (let c = 0; c < k; c++) rowSum += clip(probs.data[r * k + c] as number);
    sum -= Math.log(clip(probs.data[r * k + (yTrue[r] as number)] as number) / rowSum);
  }
  return sum / probs.nRows;
}

/** Predicted class per row: the argmax of its probabilities, the lowest index on ties. */
export function argmaxRows(probs: Matrix): Int32Array {
  const out = new Int32Array(probs.nRows);
  const k = probs.nCols;
  for (let r = 0; r < probs.nRows; r++) {
    let best = 0;
    let bestP = probs.data[r * k] as number;
    for (let c = 1; c < k; c++) {
      const v = probs.data[r * k + c] as number;
      if (v > bestP) {
        bestP = v;
        best = c;
      }
    }
    out[r] = best;
  }
  return out;
}

/**
 * All multiclass metrics at once, predicting each row's argmax class.
 *
 * @example
 * const m = multiclassMetrics(yTest, model.predictProba(xTest), ['current', '30dpd', '90dpd']);
 */
export function multiclassMetrics(yTrue: Labels, probs: Matrix, classNames: string[]): MulticlassMetrics {
  if (classNames.length !== probs.nCols) {
    throw new ConfigError(
      'class_count_mismatch',
      `multiclassMetrics: ${classNames.length} class names for ${probs.nCols} probability columns`,
    );
  }
  const logLoss = multiclassLogLoss(yTrue, probs);
  const yPred = argmaxRows(probs);
  const k = probs.nCols;
  const { tp, predicted, actual } = classCounts(yTrue, yPred, k);
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  const perClass = classNames.map((name, c) => ({
    name,
    precision: ratio(tp[c] as number, predicted[c] as number),
    recall: ratio(tp[c] as number, actual[c] as number),
    f1: ratio(2 * (tp[c] as number), (actual[c] as number) + (predicted[c] as number)),
    support: actual[c] as number,
  }));
  return {
    accuracy: accuracy(yTrue, yPred),
    macroF1: macroF1(yTrue, yPred),
    logLoss,
    perClass,
    confusion: confusionMatrix(yTrue, yPred, k),
    classNames: [...classNames],
    nRows: yTrue.length,
  };
}
