/**
 * Column shapes: how closely each synthetic column's distribution follows the real one, on its own.
 * Numeric and datetime columns are compared with the two-sample Kolmogorov–Smirnov statistic,
 * categorical and boolean ones with the total-variation distance; each score is 1 − distance, so
 * 1 means the same distribution and 0 none in common.
 */
import { ksStatistic, sortedFinite, totalVariationDistance } from '../evaluation/index.js';
import type { AlignedTables, ComparedColumn, Side } from './aligned-tables.js';

/** One column's shape comparison. */
export interface ColumnShape {
  name: string;
  kind: ComparedColumn['kind'];
  /** `ks` (numeric, datetime) or `tvd` (categorical, boolean). */
  metric: 'ks' | 'tvd';
  /**
   * The distance: KS of the non-missing values, or TVD over the levels with missing as a level
   * of its own.
   */
  statistic: number;
  missingShareReal: number;
  missingShareSynthetic: number;
  /**
   * `1 − statistic` for discrete columns; `1 − max(KS, |missing share difference|)` for numeric
   * ones, so a synthesizer that drops or invents missing values loses score for it.
   */
  score: number;
  /** Discrete columns: synthetic rows holding a value the real data never has. */
  unseenRows?: number;
  /** Discrete columns: up to 10 such values. */
  unseenValues?: string[];
}

/** Every column's shape and their mean. */
export interface ColumnShapes {
  /** Mean of the column scores. */
  score: number;
  columns: ColumnShape[];
}

/** Counts per level with missing (-1) in the last slot. */
export function levelCounts(codes: Int32Array, nLevels: number): Float64Array {
  const counts = new Float64Array(nLevels + 1);
  for (let r = 0; r < codes.length; r++) {
    const c = codes[r] as number;
    const at = c < 0 ? nLevels : c;
    counts[at] = (counts[at] as number) + 1;
  }
  return counts;
}

function missingShare(values: Float64Array): number {
  if (values.length === 0) return 0;
  let m = 0;
  for (let i = 0; i < values.length; i++) if (Number.isNaN(values[i] as number)) m++;
  return m / values.length;
}

/** The shape comparison of one column between two sides (default real vs synthetic). */
export function columnShape(col: ComparedColumn, a: Side = 'real', b: Side = 'synthetic'): ColumnShape {
  if (col.type === 'continuous') {
    const va = col.values[a];
    const vb = col.values[b];
    const ks = ksStatistic(sortedFinite(va), sortedFinite(vb));
    const ma = missingShare(va);
    const mb = missingShare(vb);
    return {
      name: col.name,
      kind: col.kind,
      metric: 'ks',
      statistic: ks,
      missingShareReal: ma,
      missingShareSynthetic: mb,
      score: 1 - Math.max(ks, Math.abs(ma - mb)),
    };
  }
  const nLevels = col.levels.length;
  const ca = levelCounts(col.codes[a], nLevels);
  const cb = levelCounts(col.codes[b], nLevels);
  const tvd = totalVariationDistance(ca, cb);
  let unseenRows = 0;
  const unseenValues: string[] = [];
  for (let level = col.nRealLevels; level < nLevels; level++) {
    const count = cb[level] as number;
    if (count === 0) continue;
    unseenRows += count;
    if (unseenValues.length < 10) unseenValues.push(col.levels[level] as string);
  }
  const na = col.codes[a].length;
  const nb = col.codes[b].length;
  return {
    name: col.name,
    kind: col.kind,
    metric: 'tvd',
    statistic: tvd,
    missingShareReal: na === 0 ? 0 : (ca[nLevels] as number) / na,
    missingShareSynthetic: nb === 0 ? 0 : (cb[nLevels] as number) / nb,
    score: 1 - tvd,
    unseenRows,
    unseenValues,
  };
}

/**
 * Column shapes of every aligned column, real against synthetic, and their mean.
 *
 * @example
 * const shapes = columnShapes(alignTables({ real, synthetic }));
 * shapes.score; // 1 for identical data
 */
export function columnShapes(aligned: AlignedTables): ColumnShapes {
  const columns = aligned.columns.map((col) => columnShape(col));
  const score = columns.reduce((s, c) => s + c.score, 0) / columns.length;
  return { score, columns };
}
