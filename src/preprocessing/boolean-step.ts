/**
 * Boolean columns: 0/1 as is, missing → the training majority value plus a missing indicator
 * when the training rows had missing values. Not standardised: 0/1 is already on a unit scale.
 */
import type { Column } from '../data/table.js';
import { type ColumnEncoder, type RowWriter, type StepFit, valueFeatureNames } from './column-step.js';
import { constantColumnFit, type MissingIndicatorStepState } from './numeric-step.js';

/** Saved state of a boolean column. */
export interface BooleanStepState {
  encoding: 'boolean';
  column: string;
  columnKind: 'boolean';
  /** The training majority (ties → 0), used for missing values. */
  fill: 0 | 1;
  missingIndicator: boolean;
}

/** Fits one boolean column on the given training rows. */
export function fitBooleanStep(
  column: string,
  values: Float64Array,
  rows: Int32Array,
  options: { missingIndicators: boolean },
): StepFit<BooleanStepState | MissingIndicatorStepState> {
  let ones = 0;
  let zeros = 0;
  for (let i = 0; i < rows.length; i++) {
    const v = values[rows[i] as number] as number;
    if (Number.isNaN(v)) continue;
    if (v === 0) zeros++;
    else ones++;
  }
  const nMissing = rows.length - ones - zeros;
  if (ones + zeros === 0) {
    return { step: null, warnings: [`column ${column} is missing in every training row; dropped`] };
  }
  if (ones === 0 || zeros === 0) {
    return constantColumnFit(column, 'boolean', ones > 0 ? 'true' : 'false', nMissing > 0 && options.missingIndicators);
  }
  return {
    step: {
      encoding: 'boolean',
      column,
      columnKind: 'boolean',
      fill: ones > zeros ? 1 : 0,
      missingIndicator: nMissing > 0 && options.missingIndicators,
    },
    warnings: [],
  };
}

/** Runtime encoder of a boolean step. */
export class BooleanEncoder implements ColumnEncoder {
  readonly column: string;
  readonly columnKind = 'boolean' as const;
  readonly featureNames: readonly string[];

  constructor(readonly state: BooleanStepState) {
    this.column = state.column;
    this.featureNames = valueFeatureNames(state.column, state.missingIndicator);
  }

  bind(col: Column, offset: number): RowWriter {
    const values = (col as { values: Float64Array }).values;
    const { fill, missingIndicator } = this.state;
    return (out, nCols, start, end) => {
      for (let r = start, o = start * nCols + offset; r < end; r++, o += nCols) {
        const x = values[r] as number;
        if (Number.isNaN(x)) {
          out[o] = fill;
          if (missingIndicator) out[o + 1] = 1;
        } else if (x !== 0) {
          out[o] = 1;
        }
      }
    };
  }
}
