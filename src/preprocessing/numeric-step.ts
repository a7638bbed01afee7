/**
 * Numeric columns: median imputation (+ a missing indicator), optional log1p, clipping to the
 * training quantiles, standardisation. Also the indicator-only step kept for a column that is
 * constant where present but sometimes missing.
 */
import type { Column } from '../data/table.js';
import { type ColumnEncoder, MISSING_SUFFIX, type RowWriter, type StepFit, valueFeatureNames } from './column-step.js';
import { meanStd, quantileSorted, skewness } from './summary-statistics.js';

/** Saved state of a numeric column. Clip bounds, mean and std are in the log1p space when `log1p`. */
export interface NumericStepState {
  encoding: 'numeric';
  column: string;
  columnKind: 'numeric';
  /** Training median of the raw values; replaces missing values before any transform. */
  fill: number;
  /** Whether log1p is applied (after imputation, before clipping). */
  log1p: boolean;
  /** Training quantiles `[low, high]` the value is clipped to. */
  clip: [number, number];
  /** Mean and population std of the clipped training values (imputed rows included). */
  mean: number;
  std: number;
  /** Whether a `<column>__missing` 0/1 column follows (the training rows had missing values). */
  missingIndicator: boolean;
}

/** Only `<column>__missing`: the column's value carries no information, its absence does. */
export interface MissingIndicatorStepState {
  encoding: 'missing-indicator';
  column: string;
  columnKind: 'numeric' | 'boolean';
}

/** The resolved numeric options the pipeline passes down. */
export interface NumericFitOptions {
  clipQuantiles: [number, number];
  logTransform: 'auto' | 'none';
  /** Whether missing values may get an indicator column. */
  missingIndicators: boolean;
}

/**
 * The `'auto'` log rule: log1p is used when the training values are all ≥ 0, the skewness of
 * the values clipped to the quantiles exceeds this, and the high quantile is at least
 * `LOG_SPREAD_RATIO` × (median + 1). The clipped skewness keeps one extreme row from deciding;
 * the spread test asks for values spanning an order of magnitude, where log1p actually changes
 * the shape (the +1 matches log1p's own scale and copes with a median of 0).
 */
export const LOG_SKEWNESS_THRESHOLD = 2;
export const LOG_SPREAD_RATIO = 10;

/** Fits one numeric column on the given training rows. */
export function fitNumericStep(
  column: string,
  values: Float64Array,
  rows: Int32Array,
  options: NumericFitOptions,
): StepFit<NumericStepState | MissingIndicatorStepState> {
  const n = rows.length;
  // Statistics use finite values only; ±Infinity is not "missing" (no indicator) and is clipped
  // at transform time like any extreme.
  const present = new Float64Array(n);
  let m = 0;
  let nMissing = 0;
  for (let i = 0; i < n; i++) {
    const v = values[rows[i] as number] as number;
    if (Number.isNaN(v)) nMissing++;
    else if (v !== Infinity && v !== -Infinity) present[m++] = v;
  }
  if (m === 0) {
    return { step: null, warnings: [`column ${column} is missing in every training row; dropped`] };
  }
  const sorted = present.subarray(0, m).sort();
  const min = sorted[0] as number;
  const max = sorted[m - 1] as number;
  if (min === max) return constantColumnFit(column, 'numeric', String(min), nMissing > 0 && options.missingIndicators);

  const warnings: string[] = [];
  const [qLow, qHigh] = options.clipQuantiles;
  const median = quantileSorted(sorted, 0.5);
  let rawLow = quantileSorted(sorted, qLow);
  let rawHigh = quantileSorted(sorted, qHigh);
  // A column that is one value in > 99 % of rows (e.g. mostly 0) would be clipped flat and lose
  // the rare values that are often the signal; keep the full training range instead.
  const collapsed = rawLow === rawHigh;
  if (collapsed) {
    warnings.push(
      `column ${column}: the training quantiles ${qLow} and ${qHigh} are both ${rawLow}; clipped to the training min and max instead`,
    );
    rawLow = min;
    rawHigh = max;
  }

  let log1p = false;
  if (options.logTransform === 'auto' && min >= 0 && rawHigh >= LOG_SPREAD_RATIO * (median + 1)) {
    const clipped = new Float64Array(m);
    for (let i = 0; i < m; i++) clipped[i] = Math.min(Math.max(sorted[i] as number, rawLow), rawHigh);
    log1p = skewness(clipped) > LOG_SKEWNESS_THRESHOLD;
  }

  let low = rawLow;
  let high = rawHigh;
  if (log1p) {
    // log1p is increasing, so the log values stay sorted and their quantiles can be read directly
    // (interpolated quantiles are not invariant under log, so they are recomputed).
    for (let i = 0; i < m; i++) sorted[i] = Math.log1p(sorted[i] as number);
    low = collapsed ? (sorted[0] as number) : quantileSorted(sorted, qLow);
    high = collapsed ? (sorted[m - 1] as number) : quantileSorted(sorted, qHigh);
  }

  const state: NumericStepState = {
    encoding: 'numeric',
    column,
    columnKind: 'numeric',
    fill: median,
    log1p,
    clip: [low, high],
    mean: 0,
    std: 1,
    missingIndicator: nMissing > 0 && options.missingIndicators,
  };
  // Mean and std of exactly what transform produces before scaling, imputed rows included, so
  // the training rows come out with mean 0 and sd 1.
  const prepared = new Float64Array(n);
  for (let i = 0; i < n; i++) prepared[i] = prepareNumeric(values[rows[i] as number] as number, state);
  const { mean, std } = meanStd(prepared);
  state.mean = mean;
  state.std = std > 0 && Number.isFinite(std) ? std : 1;
  return { step: state, warnings };
}

/**
 * A column with one value on the training rows: dropped, or reduced to its missing indicator
 * when missingness is the only thing left to learn from (`keepIndicator`).
 */
export function constantColumnFit(
  column: string,
  columnKind: MissingIndicatorStepState['columnKind'],
  value: string,
  keepIndicator: boolean,
): StepFit<MissingIndicatorStepState> {
  if (!keepIndicator) {
    return { step: null, warnings: [`column ${column} is constant (value ${value}) in the training data; dropped`] };
  }
  return {
    step: { encoding: 'missing-indicator', column, columnKind },
    warnings: [
      `column ${column} is constant (value ${value}) where present in the training data; only ${column}${MISSING_SUFFIX} is kept`,
    ],
  };
}

/** Impute, log1p, clip: the value before standardisation (the scalar twin of the writer's loop). */
function prepareNumeric(v: number, s: NumericStepState): number {
  let x = Number.isNaN(v) ? s.fill : v;
  // log1p of a value below -1 is NaN; training values were ≥ 0, so a negative is below range.
  if (s.log1p) x = Math.log1p(Math.max(x, 0));
  return Math.min(Math.max(x, s.clip[0]), s.clip[1]);
}

/** Runtime encoder of a numeric step. */
export class NumericEncoder implements ColumnEncoder {
  readonly column: string;
  readonly columnKind = 'numeric' as const;
  readonly featureNames: readonly string[];

  constructor(readonly state: NumericStepState) {
    this.column = state.column;
    this.featureNames = valueFeatureNames(state.column, state.missingIndicator);
  }

  bind(col: Column, offset: number): RowWriter {
    const values = (col as { values: Float64Array }).values;
    const { fill, log1p, missingIndicator } = this.state;
    const [low, high] = this.state.clip;
    const mean = this.state.mean;
    const std = this.state.std;
    return (out, nCols, start, end) => {
      for (let r = start, o = start * nCols + offset; r < end; r++, o += nCols) {
        let x = values[r] as number;
        if (Number.isNaN(x)) {
          x = fill;
          if (missingIndicator) out[o + 1] = 1;
        }
        if (log1p) x = Math.log1p(Math.max(x, 0));
        x = Math.min(Math.max(x, low), high);
        out[o] = (x - mean) / std;
      }
    };
  }
}

/** Runtime encoder of an indicator-only step. */
export class MissingIndicatorEncoder implements ColumnEncoder {
  readonly column: string;
  readonly columnKind: 'numeric' | 'boolean';
  readonly featureNames: readonly string[];

  constructor(readonly state: MissingIndicatorStepState) {
    this.column = state.column;
    this.columnKind = state.columnKind;
    this.featureNames = [state.column + MISSING_SUFFIX];
  }

  bind(col: Column, offset: number): RowWriter {
    const values = (col as { values: Float64Array }).values;
    return (out, nCols, start, end) => {
      for (let r = start, o = start * nCols + offset; r < end; r++, o += nCols) {
        const x = values[r] as number;
        if (Number.isNaN(x)) out[o] = 1;
      }
    };
  }
}
