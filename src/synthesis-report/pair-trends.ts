/**
 * Pair trends: whether the synthetic data keeps how columns move together. Two numeric columns are
 * compared through their Spearman rank correlation (robust to the heavy tails of amounts and
 * balances), every other pair through the total-variation distance of its joint distribution
 * (a contingency table, numeric values binned at the real data's quantiles).
 */

import { sortedFinite, totalVariationDistance } from '../evaluation/index.js';
import { Random } from '../random.js';
import type { AlignedTables, ComparedColumn, ContinuousColumn, Side } from './aligned-tables.js';

/** Pair scores beyond this many pairs are computed on a seeded random subset of pairs. */
export const DEFAULT_MAX_PAIRS = 1000;
/** Quantile bins of a numeric column in a contingency table (plus one for missing values). */
export const CONTINGENCY_BINS = 10;

/** One pair of columns. */
export interface PairTrend {
  a: string;
  b: string;
  /** `correlation` (both numeric) or `contingency` (any other pair, or a constant numeric column). */
  metric: 'correlation' | 'contingency';
  /** Spearman correlation in the real and synthetic data (correlation pairs only). */
  real?: number;
  synthetic?: number;
  /** `1 − |ρ_real − ρ_synthetic| / 2`, or `1 − TVD` of the joint distribution. */
  score: number;
}

/** Every pair compared, their mean, and the correlation matrices behind the heatmaps. */
export interface PairTrends {
  score: number;
  correlation: 'spearman';
  pairsTotal: number;
  pairsEvaluated: number;
  pairs: PairTrend[];
}

/** Options of {@link pairTrends}. */
export interface PairTrendOptions {
  maxPairs?: number;
  seed?: number;
}

/**
 * Average ranks (1-based, ties sharing their mean rank) of the non-missing values; NaN stays NaN.
 */
export function ranks(values: Float64Array): Float64Array {
  const n = values.length;
  const order: number[] = [];
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i] as number)) order.push(i);
  order.sort((x, y) => (values[x] as number) - (values[y] as number));
  const out = new Float64Array(n).fill(Number.NaN);
  let i = 0;
  while (i < order.length) {
    let j = i;
    const v = values[order[i] as number] as number;
    while (j + 1 < order.length && values[order[j + 1] as number] === v) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) out[order[k] as number] = rank;
    i = j + 1;
  }
  return out;
}

/**
 * Pearson correlation over the rows where both are present; NaN when fewer than two such rows or a
 * side is constant on them. Applied to {@link ranks}, it is Spearman's correlation (each column
 * ranked over its own non-missing values).
 */
export function pearson(x: Float64Array, y: Float64Array): number {
  let n = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    n++;
    sx += a;
    sy += b;
  }
  if (n < 2) return Number.NaN;
  const mx = sx / n;
  const my = sy / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    const a = x[i] as number;
    const b = y[i] as number;
    if (Number.isNaN(a) || Number.isNaN(b)) continue;
    const da = a - mx;
    const db = b - my;
    sxy += da * db;
    sxx += da * da;
    syy += db * db;
  }
  if (sxx === 0 || syy === 0) return Number.NaN;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Bin edges at the real values' quantiles (deciles by default), duplicates removed, so a column
 * with few distinct values gets one bin per value rather than empty bins.
 */
export function quantileEdges(realValues: Float64Array, bins = CONTINGENCY_BINS): Float64Array {
  const sorted = sortedFinite(realValues);
  const edges: number[] = [];
  if (sorted.length === 0) return Float64Array.of();
  for (let k = 1; k < bins; k++) {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((k * sorted.length) / bins))] as number;
    if (edges.length === 0 || v > (edges[edges.length - 1] as number)) edges.push(v);
  }
  return Float64Array.from(edges);
}

/** Bin index of each value: number of inner edges ≤ value; missing → `edges.length + 1`. */
function binCodes(values: Float64Array, edges: Float64Array): { codes: Int32Array; nLevels: number } {
  const codes = new Int32Array(values.length);
  const missing = edges.length + 1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (Number.isNaN(v)) {
      codes[i] = missing;
      continue;
    }
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((edges[mid] as number) <= v) lo = mid + 1;
      else hi = mid;
    }
    codes[i] = lo;
  }
  return { codes, nLevels: edges.length + 2 };
}

/** Each column as discrete codes (levels, or quantile bins of the real data) with missing a level. */
function discreteCodes(col: ComparedColumn, sides: Side[]): { codes: Record<string, Int32Array>; nLevels: number } {
  const codes: Record<string, Int32Array> = {};
  if (col.type === 'continuous') {
    const edges = quantileEdges(col.values.real);
    let nLevels = edges.length + 2;
    for (const side of sides) {
      const binned = binCodes(col.values[side], edges);
      codes[side] = binned.codes;
      nLevels = binned.nLevels;
    }
    return { codes, nLevels };
  }
  const nLevels = col.levels.length + 1;
  for (const side of sides) {
    const src = col.codes[side];
    const out = new Int32Array(src.length);
    for (let i = 0; i < src.length; i++) {
      const c = src[i] as number;
      out[i] = c < 0 ? col.levels.length : c;
    }
    codes[side] = out;
  }
  return { codes, nLevels };
}

/** 1 − TVD of the joint distribution of two discrete code vectors, real against synthetic. */
function contingencySimilarity(
  a: { codes: Record<string, Int32Array>; nLevels: number },
  b: { codes: Record<string, Int32Array>; nLevels: number },
): number {
  const cells = a.nLevels * b.nLevels;
  const joint = (side: Side): Float64Array => {
    const counts = new Float64Array(cells);
    const ca = a.codes[side] as Int32Array;
    const cb = b.codes[side] as Int32Array;
    for (let i = 0; i < ca.length; i++) {
      const at = (ca[i] as number) * b.nLevels + (cb[i] as number);
      counts[at] = (counts[at] as number) + 1;
    }
    return counts;
  };
  return 1 - totalVariationDistance(joint('real'), joint('synthetic'));
}

/** Which pairs (i < j) to score: all of them, or a seeded random `maxPairs` in index order. */
function choosePairs(nColumns: number, maxPairs: number, seed: number): [number, number][] {
  const all: [number, number][] = [];
  for (let i = 0; i < nColumns; i++) for (let j = i + 1; j < nColumns; j++) all.push([i, j]);
  if (all.length <= maxPairs) return all;
  const picked = new Random(seed).shuffle(all).slice(0, maxPairs);
  return picked.sort((p, q) => p[0] - q[0] || p[1] - q[1]);
}

/**
 * Pair trends between real and synthetic data, for every pair of aligned columns (or a seeded
 * random `maxPairs` of them, default {@link DEFAULT_MAX_PAIRS}, when there are more).
 *
 * @example
 * const trends = pairTrends(alignTables({ real, synthetic }));
 * trends.pairs.find((p) => p.a === 'bill_amt1' && p.b === 'bill_amt2'); // {metric: 'correlation', real: 0.95, …}
 */
export function pairTrends(aligned: AlignedTables, options: PairTrendOptions = {}): PairTrends {
  const { columns } = aligned;
  const pairsChosen = choosePairs(columns.length, options.maxPairs ?? DEFAULT_MAX_PAIRS, options.seed ?? 1);
  const sides: Side[] = ['real', 'synthetic'];
  // Ranks and binned codes are made once per column, lazily, and shared by all its pairs.
  const rankCache = new Map<number, Record<'real' | 'synthetic', Float64Array>>();
  const codeCache = new Map<number, ReturnType<typeof discreteCodes>>();
  const rankOf = (i: number) => {
    let r = rankCache.get(i);
    if (r === undefined) {
      const col = columns[i] as ContinuousColumn;
      r = { real: ranks(col.values.real), synthetic: ranks(col.values.synthetic) };
      rankCache.set(i, r);
    }
    return r;
  };
  const codesOf = (i: number) => {
    let c = codeCache.get(i);
    if (c === undefined) {
      c = discreteCodes(columns[i] as ComparedColumn, sides);
      codeCache.set(i, c);
    }
    return c;
  };
  const pairs: PairTrend[] = [];
  for (const [i, j] of pairsChosen) {
    const a = columns[i] as ComparedColumn;
    const b = columns[j] as ComparedColumn;
    if (a.type === 'continuous' && b.type === 'continuous') {
      const ra = rankOf(i);
      const rb = rankOf(j);
      const real = pearson(ra.real, rb.real);
      const synthetic = pearson(ra.synthetic, rb.synthetic);
      // A constant column has no rank correlation; its joint distribution still says something.
      if (!Number.isNaN(real) && !Number.isNaN(synthetic)) {
        pairs.push({
          a: a.name,
          b: b.name,
          metric: 'correlation',
          real,
          synthetic,
          score: 1 - Math.abs(real - synthetic) / 2,
        });
        continue;
      }
    }
    pairs.push({ a: a.name, b: b.name, metric: 'contingency', score: contingencySimilarity(codesOf(i), codesOf(j)) });
  }
  const pairsTotal = (columns.length * (columns.length - 1)) / 2;
  const score = pairs.length === 0 ? 1 : pairs.reduce((s, p) => s + p.score, 0) / pairs.length;
  return { score, correlation: 'spearman', pairsTotal, pairsEvaluated: pairs.length, pairs };
}

/** Spearman correlation matrix of the numeric columns of one side, for heatmaps (NaN where undefined). */
export function spearmanMatrix(aligned: AlignedTables, side: Side): { names: string[]; values: Float64Array } {
  const cols = aligned.columns.filter((c): c is ContinuousColumn => c.type === 'continuous');
  const rk = cols.map((c) => ranks(c.values[side]));
  const k = cols.length;
  const values = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let j = i; j < k; j++) {
      const v = i === j ? 1 : pearson(rk[i] as Float64Array, rk[j] as Float64Array);
      values[i * k + j] = v;
      values[j * k + i] = v;
    }
  }
  return { names: cols.map((c) => c.name), values };
}
