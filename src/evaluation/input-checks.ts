/**
 * Input checks shared by every metric in this folder. They throw `DataError`s with stable codes
 * so a CLI or HTTP layer can tell a caller exactly which array was wrong, instead of returning a
 * silently meaningless number.
 */
import { DataError } from '../errors.js';

/** Scores or predictions: models hand back Float32Array, callers may compute in Float64Array. */
export type Scores = Float32Array | Float64Array;

/** Throws unless `a` and `b` have the same, non-zero length. */
export function checkSameLength(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new DataError('length_mismatch', `${what}: yTrue has ${a.length} rows but the predictions have ${b.length}`);
  }
  if (a.length === 0) throw new DataError('empty_input', `${what}: no rows to evaluate`);
}

/**
 * Checks binary labels are exactly 0 or 1 and that no score is NaN (NaN has no place in an
 * ordering, so every rank metric would be arbitrary). Returns the number of positives.
 */
export function checkBinary(what: string, yTrue: Float32Array, score: Scores): number {
  checkSameLength(what, yTrue, score);
  let positives = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const y = yTrue[i] as number;
    if (y === 1) positives++;
    else if (y !== 0) {
      throw new DataError('invalid_label', `${what}: binary labels must be 0 or 1, row ${i} has ${y}`);
    }
    if (Number.isNaN(score[i] as number)) {
      throw new DataError('invalid_score', `${what}: score of row ${i} is NaN`);
    }
  }
  return positives;
}

/** Throws `single_class` when a metric needs both classes and one is missing. */
export function requireBothClasses(what: string, positives: number, nRows: number): void {
  if (positives === 0 || positives === nRows) {
    const present = positives === 0 ? 'negatives (0)' : 'positives (1)';
    throw new DataError('single_class', `${what} is undefined when yTrue holds only ${present}`);
  }
}

/** Throws unless every value lies in [0, 1], as brier and log loss need probabilities. */
export function checkProbabilities(what: string, p: Scores): void {
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number;
    // Written as a negated range test so NaN fails it too.
    if (!(v >= 0 && v <= 1)) {
      throw new DataError('invalid_probability', `${what}: expects probabilities in [0, 1], row ${i} has ${v}`);
    }
  }
}

/** Throws unless every value is finite (regression targets and predictions). */
export function checkFinite(what: string, name: string, v: Scores): void {
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i] as number)) {
      throw new DataError('invalid_number', `${what}: ${name} of row ${i} is ${v[i]}`);
    }
  }
}
