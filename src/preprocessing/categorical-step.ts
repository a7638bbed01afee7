/**
 * Categorical columns: one-hot over the frequent training categories, with rare ones grouped
 * into `__other__`, missing values as their own `__missing__` level when common enough (else the
 * most frequent category), and an `__unknown__` column for categories never seen in training.
 * Categories are matched by string, because a scoring table's dictionary is its own.
 */
import type { Column, DictionaryColumn } from '../data/table.js';
import type { ColumnEncoder, RowWriter, StepFit } from './column-step.js';

/** Reserved level names; they appear in feature names as `<column>=<level>`. */
export const MISSING_LEVEL = '__missing__';
export const OTHER_LEVEL = '__other__';
export const UNKNOWN_LEVEL = '__unknown__';

/** Saved state of a one-hot encoded column. */
export interface CategoricalStepState {
  encoding: 'one-hot';
  column: string;
  /** `identifier` only when the caller listed an identifier column in `features` explicitly. */
  columnKind: 'categorical' | 'identifier';
  /** Categories with their own output column, in output order (string order). */
  levels: string[];
  /** Training categories grouped into `__other__` (rare, or beyond `maxCategories`); the column exists iff non-empty. */
  otherLevels: string[];
  /** Whether missing values have their own `__missing__` column (they were common in training). */
  missingLevel: boolean;
  /** Most frequent training category: where missing values go when `missingLevel` is false. */
  fill: string;
}

/** The resolved categorical options the pipeline passes down. */
export interface CategoricalFitOptions {
  /** Categories (and missing values) with fewer training rows than this are not their own level. */
  rareMinCount: number;
  /** At most this many categories get their own column; the rest go to `__other__`. */
  maxCategories: number;
  /** When false, missing values never get a `__missing__` level (they take the most frequent category). */
  missingIndicators: boolean;
}

/** Code-point order, so level order never depends on the machine's locale. */
function byString(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Fits one dictionary-encoded column on the given training rows. */
export function fitCategoricalStep(
  col: DictionaryColumn,
  rows: Int32Array,
  options: CategoricalFitOptions,
): StepFit<CategoricalStepState> {
  const column = col.name;
  const codeCounts = new Int32Array(col.dictionary.length);
  let nMissing = 0;
  for (let i = 0; i < rows.length; i++) {
    const code = col.codes[rows[i] as number] as number;
    if (code < 0) nMissing++;
    else codeCounts[code] = (codeCounts[code] as number) + 1;
  }
  // Aggregate by string: nothing in the Table contract forbids a dictionary repeating a value.
  const counts = new Map<string, number>();
  for (let c = 0; c < codeCounts.length; c++) {
    const k = codeCounts[c] as number;
    if (k > 0) {
      const s = col.dictionary[c] as string;
      counts.set(s, (counts.get(s) ?? 0) + k);
    }
  }
  if (counts.size === 0) {
    return { step: null, warnings: [`column ${column} is missing in every training row; dropped`] };
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1] || byString(a[0], b[0]));
  const { rareMinCount, maxCategories } = options;
  const frequent = ranked.filter(([, k]) => k >= rareMinCount);
  const kept = frequent.slice(0, maxCategories).map(([s]) => s);
  const keptSet = new Set(kept);
  const otherLevels = ranked.filter(([s]) => !keptSet.has(s)).map(([s]) => s);
  const missingLevel = options.missingIndicators && nMissing > 0 && nMissing >= rareMinCount;
  const fill = (ranked[0] as [string, number])[0];

  const usedSlots = kept.length + (otherLevels.length > 0 ? 1 : 0) + (missingLevel ? 1 : 0);
  if (usedSlots < 2) {
    // Every training row lands in the same output column, so the column says nothing.
    const message =
      kept.length === 1 && otherLevels.length === 0
        ? `column ${column} is constant (value "${fill}") in the training data; dropped`
        : `column ${column} has no category with at least ${rareMinCount} training rows (${counts.size} distinct values); dropped`;
    return { step: null, warnings: [message] };
  }
  const warnings: string[] = [];
  if (frequent.length > maxCategories) {
    warnings.push(
      `column ${column} has ${frequent.length} categories with at least ${rareMinCount} training rows; ` +
        `the ${maxCategories} most frequent are kept and the rest grouped into ${OTHER_LEVEL}`,
    );
  }
  return {
    step: {
      encoding: 'one-hot',
      column,
      columnKind: col.kind,
      levels: kept.sort(byString),
      otherLevels: otherLevels.sort(byString),
      missingLevel,
      fill,
    },
    warnings,
  };
}

/** Runtime encoder of a one-hot step. */
export class CategoricalEncoder implements ColumnEncoder {
  readonly column: string;
  readonly columnKind: 'categorical' | 'identifier';
  readonly featureNames: readonly string[];
  /** Training category → slot (position within this column's block of outputs). */
  private readonly slotOf = new Map<string, number>();
  private readonly missingSlot: number;
  private readonly unknownSlot: number;

  constructor(readonly state: CategoricalStepState) {
    this.column = state.column;
    this.columnKind = state.columnKind;
    const names = state.levels.map((level) => `${state.column}=${level}`);
    state.levels.forEach((level, i) => {
      this.slotOf.set(level, i);
    });
    if (state.missingLevel) names.push(`${state.column}=${MISSING_LEVEL}`);
    if (state.otherLevels.length > 0) {
      const otherSlot = names.length;
      names.push(`${state.column}=${OTHER_LEVEL}`);
      for (const level of state.otherLevels) this.slotOf.set(level, otherSlot);
    }
    this.unknownSlot = names.length;
    names.push(`${state.column}=${UNKNOWN_LEVEL}`);
    this.missingSlot = state.missingLevel ? state.levels.length : (this.slotOf.get(state.fill) ?? this.unknownSlot);
    this.featureNames = names;
  }

  bind(col: Column, offset: number): RowWriter {
    const { codes, dictionary } = col as DictionaryColumn;
    // One lookup per dictionary entry rather than per row; index 0 is code -1 (missing).
    const slots = new Int32Array(dictionary.length + 1);
    slots[0] = offset + this.missingSlot;
    for (let c = 0; c < dictionary.length; c++) {
      slots[c + 1] = offset + (this.slotOf.get(dictionary[c] as string) ?? this.unknownSlot);
    }
    return (out, nCols, start, end) => {
      for (let r = start, o = start * nCols; r < end; r++, o += nCols) {
        out[o + (slots[(codes[r] as number) + 1] as number)] = 1;
      }
    };
  }
}
