/**
 * What every column step shares: its saved state (plain JSON, one entry per kept input column)
 * and the runtime encoder rebuilt from that state. Fitting produces states only, and both a
 * freshly fitted pipeline and one loaded from JSON build encoders from them, so the two cannot
 * disagree.
 */
import type { Column, ColumnKind } from '../data/table.js';
/** What fitting one column gives: a step, or null when the column is dropped, plus messages. */
export interface StepFit<State = unknown> {
  step: State | null;
  warnings: string[];
}

/**
 * Writes rows `[start, end)` of one column's features into the output matrix data, at the
 * encoder's column offset. Per-table work (column lookup, dictionary mapping) is done once when
 * the writer is made, so the writer itself is a tight loop.
 */
export type RowWriter = (out: Float32Array, nCols: number, start: number, end: number) => void;

/** Runtime form of a step. */
export interface ColumnEncoder {
  readonly column: string;
  readonly columnKind: ColumnKind;
  /** Output column names, in output order. */
  readonly featureNames: readonly string[];
  /** Prepares a writer for one table's column; `offset` is the first output column. */
  bind(col: Column, offset: number): RowWriter;
}

/** Feature-name suffix of a missing-value indicator: `age` → `age__missing`. */
export const MISSING_SUFFIX = '__missing';

/** Output names of a value column with an optional missing indicator: `[age]` or `[age, age__missing]`. */
export function valueFeatureNames(column: string, missingIndicator: boolean): string[] {
  return missingIndicator ? [column, column + MISSING_SUFFIX] : [column];
}
