/**
 * The binary confusion matrix at one threshold and the rates read off it. A row is flagged
 * positive when `score >= threshold`, the convention every threshold in Vigil follows.
 */
import { ConfigError } from '../errors.js';
import { checkBinary, type Scores } from './input-checks.js';

/** Counts of a binary confusion matrix. */
export interface Confusion {
  tp: number;
  fp: number;
  tn: number;
  fn: number;
}

/** Rates derived from a {@link Confusion}. */
export interface ConfusionRates {
  /** tp / (tp + fp); 0 when nothing is flagged (scikit-learn's `zero_division` default). */
  precision: number;
  /** tp / (tp + fn), the true positive rate; 0 when there are no positives. */
  recall: number;
  /** Harmonic mean of precision and recall, 2tp / (2tp + fp + fn); 0 when both are 0. */
  f1: number;
  /** (tp + tn) / n. */
  accuracy: number;
  /** fp / (fp + tn), the false positive rate; 0 when there are no negatives. */
  fpr: number;
  /** tn / (tn + fp), a.k.a. true negative rate; 0 when there are no negatives. */
  specificity: number;
}

/**
 * Counts the confusion matrix with `score >= threshold` as positive. O(n).
 *
 * @example
 * confusionAt(new Float32Array([0, 1, 1]), new Float32Array([0.2, 0.4, 0.9]), 0.4);
 * // → { tp: 2, fp: 0, tn: 1, fn: 0 }
 */
export function confusionAt(yTrue: Float32Array, score: Scores, threshold: number): Confusion {
  checkBinary('confusionAt', yTrue, score);
  // NaN would silently flag nothing; ±Infinity are fine (flag everything / nothing on purpose).
  if (Number.isNaN(threshold)) throw new ConfigError('invalid_threshold', 'confusionAt: threshold is NaN');
  let tp = 0;
  let fp = 0;
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const isPositive = yTrue[i] === 1;
    if (isPositive) positives++;
    if ((score[i] as number) >= threshold) {
      if (isPositive) tp++;
      else fp++;
    }
  }
  const negatives = yTrue.length - positives;
  return { tp, fp, tn: negatives - fp, fn: positives - tp };
}

/**
 * Precision, recall, f1, accuracy, fpr and specificity of a confusion matrix. A ratio whose
 * denominator is 0 is reported as 0, like scikit-learn with its default `zero_division`.
 */
export function confusionRates(c: Confusion): ConfusionRates {
  const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);
  return {
    precision: ratio(c.tp, c.tp + c.fp),
    recall: ratio(c.tp, c.tp + c.fn),
    f1: ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn),
    accuracy: ratio(c.tp + c.tn, c.tp + c.fp + c.tn + c.fn),
    fpr: ratio(c.fp, c.fp + c.tn),
    specificity: ratio(c.tn, c.fp + c.tn),
  };
}
