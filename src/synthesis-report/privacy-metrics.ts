/**
 * Privacy: does the synthetic data sit closer to the real rows than genuinely new rows would?
 * Distance to the closest real record (DCR) of synthetic rows is set beside the DCR of holdout rows
 * (real rows the synthesizer never saw), and rows copied whole are counted.
 */

import { sortedFinite } from '../evaluation/index.js';
import { rowRange } from '../matrix.js';
import { Random } from '../random.js';
import type { AlignedTables, Side } from './aligned-tables.js';

/** Synthetic (and holdout) rows whose closest real row is searched, at most; a seeded subsample beyond. */
export const DEFAULT_DCR_MAX_ROWS = 5000;
/** Real rows searched for the closest one, at most; a seeded subsample beyond (very large files). */
export const DEFAULT_DCR_MAX_REFERENCE_ROWS = 100_000;

/** Summary of one DCR distribution. */
export interface DcrSummary {
  /** Rows whose DCR was measured. */
  rows: number;
  min: number;
  p05: number;
  median: number;
  mean: number;
}

/** DCR of synthetic rows against holdout rows, both to the same real reference rows. */
export interface DcrResult {
  synthetic: DcrSummary;
  holdout: DcrSummary;
  /** median synthetic DCR / median holdout DCR (≈ 1 or more: no closer than new real data). */
  ratio: number;
  /** Share of synthetic rows closer to a real row than 95 % of holdout rows are (≈ 0.05 expected). */
  shareBelowHoldoutP05: number;
  /** Real rows searched (all of them up to the cap). */
  referenceRows: number;
  /** The per-row distances, for plots. */
  syntheticDistances: Float32Array;
  holdoutDistances: Float32Array;
}

/**
 * How DCR measures a row pair: numeric (and datetime) differences divided by the real column's
 * robust spread, category mismatch 0/1, averaged over the columns.
 */
interface DcrEncoding {
  /** Continuous dimensions (scaled values and missing flags), then discrete codes. */
  nContinuous: number;
  nDiscrete: number;
  nColumns: number;
  encode(side: Side, rows: ArrayLike<number>): Float32Array;
}

/**
 * Robust spread of the real values: IQR / 1.349 (the standard deviation for normal data), falling
 * back to the mean absolute deviation from the median, then 1, for columns mostly at one value.
 */
export function robustSpread(values: Float64Array): number {
  const s = sortedFinite(values);
  if (s.length === 0) return 1;
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))] as number;
  const iqr = q(0.75) - q(0.25);
  if (iqr > 0) return iqr / 1.349;
  const median = q(0.5);
  let mad = 0;
  for (let i = 0; i < s.length; i++) mad += Math.abs((s[i] as number) - median);
  mad /= s.length;
  return mad > 0 ? mad : 1;
}

function dcrEncoding(aligned: AlignedTables): DcrEncoding {
  const continuous = aligned.columns.flatMap((c) => (c.type === 'continuous' ? [c] : []));
  const discrete = aligned.columns.flatMap((c) => (c.type === 'discrete' ? [c] : []));
  const scales = continuous.map((c) => robustSpread(c.values.real));
  const medians = continuous.map((c) => {
    const s = sortedFinite(c.values.real);
    return s.length === 0 ? 0 : (s[Math.floor((s.length - 1) / 2)] as number);
  });
  // A missing flag dimension only for columns with missing values somewhere.
  const hasMissing = continuous.map((c) =>
    (['real', 'synthetic', 'holdout'] as Side[]).some((side) => c.values[side].some((v) => Number.isNaN(v))),
  );
  const nFlags = hasMissing.filter(Boolean).length;
  const nContinuous = continuous.length + nFlags;
  const nDiscrete = discrete.length;
  const dim = nContinuous + nDiscrete;
  return {
    nContinuous,
    nDiscrete,
    nColumns: aligned.columns.length,
    encode(side, rows) {
      const out = new Float32Array(rows.length * dim);
      for (let i = 0; i < rows.length; i++) {
        const r = rows[i] as number;
        const base = i * dim;
        let f = continuous.length;
        for (let j = 0; j < continuous.length; j++) {
          const v = (continuous[j] as (typeof continuous)[number]).values[side][r] as number;
          const missing = Number.isNaN(v);
          // A missing value sits at the median and one unit away along its flag: a row missing a
          // value is never a near-copy of one that has it.
          out[base + j] = ((missing ? (medians[j] as number) : v) - (medians[j] as number)) / (scales[j] as number);
          if (hasMissing[j]) out[base + f++] = missing ? 1 : 0;
        }
        for (let j = 0; j < discrete.length; j++) {
          out[base + nContinuous + j] = (discrete[j] as (typeof discrete)[number]).codes[side][r] as number;
        }
      }
      return out;
    },
  };
}

/** Projections used by the nearest-neighbour search: one to sort by, the others as cheap filters. */
const SEARCH_DIRECTIONS = 4;

/**
 * Directions along which the reference rows spread most (the leading principal components of the
 * continuous dimensions, by power iteration with deflation on up to 4,000 rows), each scaled so its
 * largest entry is ±1. With every |u_j| ≤ 1, |⟨q − r, u⟩| ≤ Σ_j |q_j − r_j|: each projection gap is
 * a lower bound of the distance, which lets the search skip references without computing it.
 */
function spreadDirections(references: Float32Array, dim: number, nContinuous: number, k: number): Float64Array[] {
  const nr = dim === 0 ? 0 : references.length / dim;
  if (nContinuous === 0 || nr === 0) return [];
  const step = Math.max(1, Math.floor(nr / 4000));
  const sample: Float64Array[] = [];
  const mean = new Float64Array(nContinuous);
  for (let r = 0; r < nr; r += step) {
    const row = Float64Array.from(references.subarray(r * dim, r * dim + nContinuous));
    for (let j = 0; j < nContinuous; j++) mean[j] = (mean[j] as number) + (row[j] as number);
    sample.push(row);
  }
  for (let j = 0; j < nContinuous; j++) mean[j] = (mean[j] as number) / sample.length;
  for (const row of sample) for (let j = 0; j < nContinuous; j++) row[j] = (row[j] as number) - (mean[j] as number);
  const directions: Float64Array[] = [];
  const found: Float64Array[] = [];
  const next = new Float64Array(nContinuous);
  for (let c = 0; c < Math.min(k, nContinuous); c++) {
    const u = new Float64Array(nContinuous);
    for (let j = 0; j < nContinuous; j++) u[j] = 1 + ((j * 7 + c * 3) % 5) / 10;
    for (let iter = 0; iter < 30; iter++) {
      next.fill(0);
      for (const row of sample) {
        let dot = 0;
        for (let j = 0; j < nContinuous; j++) dot += (row[j] as number) * (u[j] as number);
        for (let j = 0; j < nContinuous; j++) next[j] = (next[j] as number) + dot * (row[j] as number);
      }
      // Deflation: stay orthogonal to the components already found.
      for (const v of found) {
        let dot = 0;
        for (let j = 0; j < nContinuous; j++) dot += (next[j] as number) * (v[j] as number);
        for (let j = 0; j < nContinuous; j++) next[j] = (next[j] as number) - dot * (v[j] as number);
      }
      let norm = 0;
      for (let j = 0; j < nContinuous; j++) norm += (next[j] as number) ** 2;
      norm = Math.sqrt(norm);
      if (!(norm > 1e-12)) break;
      for (let j = 0; j < nContinuous; j++) u[j] = (next[j] as number) / norm;
    }
    found.push(Float64Array.from(u));
    let largest = 0;
    for (let j = 0; j < nContinuous; j++) largest = Math.max(largest, Math.abs(u[j] as number));
    if (!(largest > 0)) break;
    for (let j = 0; j < nContinuous; j++) u[j] = (u[j] as number) / largest;
    directions.push(u);
  }
  return directions;
}

/** `rows × directions` projections, row-major. */
function project(rows: Float32Array, dim: number, directions: Float64Array[]): Float64Array {
  const n = dim === 0 ? 0 : rows.length / dim;
  const k = directions.length;
  const out = new Float64Array(n * k);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < k; c++) {
      const u = directions[c] as Float64Array;
      let p = 0;
      for (let j = 0; j < u.length; j++) p += (rows[r * dim + j] as number) * (u[j] as number);
      out[r * k + c] = p;
    }
  }
  return out;
}

/**
 * Distance of each query row to its nearest reference row: Σ |Δ| over the continuous dimensions
 * plus the count of mismatched discrete codes, divided by `nColumns`. Exact, not approximate:
 * references are sorted by their projection on the direction of widest spread and scanned outward
 * from the query's own projection, nearest projections first, until that projection gap alone
 * exceeds the best distance found (it is a lower bound); three more projections filter references
 * before their distance is summed, and each sum stops once it passes the best so far. See
 * bench/synth-report-dcr.ts for its speed on the Taiwan data.
 */
export function nearestDistances(
  queries: Float32Array,
  references: Float32Array,
  nContinuous: number,
  nDiscrete: number,
  nColumns: number,
): Float32Array {
  const dim = nContinuous + nDiscrete;
  const nq = dim === 0 ? 0 : queries.length / dim;
  const nr = dim === 0 ? 0 : references.length / dim;
  const out = new Float32Array(nq);
  if (nr === 0) return out.fill(Number.NaN);
  const directions = spreadDirections(references, dim, nContinuous, SEARCH_DIRECTIONS);
  const k = directions.length;
  const refProjection = project(references, dim, directions);
  const order = Int32Array.from({ length: nr }, (_, i) => i);
  if (k > 0) order.sort((a, b) => (refProjection[a * k] as number) - (refProjection[b * k] as number));
  // References laid out in projection order, so the scan walks memory forwards and backwards.
  const refs = new Float32Array(nr * dim);
  const proj = new Float64Array(nr * k);
  for (let i = 0; i < nr; i++) {
    const r = order[i] as number;
    refs.set(references.subarray(r * dim, (r + 1) * dim), i * dim);
    proj.set(refProjection.subarray(r * k, (r + 1) * k), i * k);
  }
  const queryProjection = project(queries, dim, directions);

  const distance = (qb: number, rb: number, best: number): number => {
    let d = 0;
    let j = 0;
    // Blocks of four dimensions between bound checks: the check costs less than the work it saves.
    for (; j + 4 <= nContinuous; j += 4) {
      d +=
        Math.abs((queries[qb + j] as number) - (refs[rb + j] as number)) +
        Math.abs((queries[qb + j + 1] as number) - (refs[rb + j + 1] as number)) +
        Math.abs((queries[qb + j + 2] as number) - (refs[rb + j + 2] as number)) +
        Math.abs((queries[qb + j + 3] as number) - (refs[rb + j + 3] as number));
      if (d >= best) return d;
    }
    for (; j < nContinuous; j++) d += Math.abs((queries[qb + j] as number) - (refs[rb + j] as number));
    if (d >= best) return d;
    for (let c = nContinuous; c < dim; c++) {
      if (queries[qb + c] !== refs[rb + c]) {
        d += 1;
        if (d >= best) return d;
      }
    }
    return d;
  };

  // Float rounding of the projections is far below this slack, so no true neighbour is skipped.
  const slack = (best: number) => best * (1 + 1e-6) + 1e-9;
  for (let q = 0; q < nq; q++) {
    const qb = q * dim;
    if (k === 0) {
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < nr && best > 0; r++) best = Math.min(best, distance(qb, r * dim, best));
      out[q] = nColumns === 0 ? 0 : best / nColumns;
      continue;
    }
    const pq = queryProjection[q * k] as number;
    // First reference with projection ≥ the query's.
    let lo = 0;
    let hi = nr;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((proj[mid * k] as number) < pq) lo = mid + 1;
      else hi = mid;
    }
    let down = lo - 1;
    let up = lo;
    let best = Number.POSITIVE_INFINITY;
    while (best > 0) {
      const gapDown = down >= 0 ? pq - (proj[down * k] as number) : Number.POSITIVE_INFINITY;
      const gapUp = up < nr ? (proj[up * k] as number) - pq : Number.POSITIVE_INFINITY;
      const bound = slack(best);
      if (Math.min(gapDown, gapUp) > bound) break;
      let r: number;
      if (gapDown <= gapUp) r = down--;
      else r = up++;
      let skip = false;
      for (let c = 1; c < k; c++) {
        if (Math.abs((queryProjection[q * k + c] as number) - (proj[r * k + c] as number)) > bound) {
          skip = true;
          break;
        }
      }
      if (skip) continue;
      const d = distance(qb, r * dim, best);
      if (d < best) best = d;
    }
    out[q] = nColumns === 0 ? 0 : best / nColumns;
  }
  return out;
}

function summarise(d: Float32Array): DcrSummary {
  const s = Float64Array.from(d).sort();
  const at = (p: number) => (s.length === 0 ? Number.NaN : (s[Math.floor(p * (s.length - 1))] as number));
  const n = s.length;
  const median =
    n === 0
      ? Number.NaN
      : n % 2 === 1
        ? (s[(n - 1) / 2] as number)
        : ((s[n / 2 - 1] as number) + (s[n / 2] as number)) / 2;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += s[i] as number;
  return { rows: n, min: at(0), p05: at(0.05), median, mean: n === 0 ? Number.NaN : sum / n };
}

/** Up to `max` of `rows`, a seeded random subset in ascending order when there are more. */
export function subsample(rows: Int32Array, max: number, seed: number): Int32Array {
  if (rows.length <= max) return rows;
  return new Random(seed).shuffle(Int32Array.from(rows)).subarray(0, max).sort();
}

/** Options of {@link distanceToClosestRecord}. */
export interface DcrOptions {
  /** Real rows to search (default all); the holdout split of the real file leaves its rows out. */
  referenceRows: Int32Array;
  /** Holdout rows: from the holdout side, or from the real side when the real file was split. */
  holdout: { side: Side; rows: Int32Array };
  /** Synthetic and holdout rows measured at most (default {@link DEFAULT_DCR_MAX_ROWS}). */
  maxRows?: number;
  /**
   * Real reference rows searched at most (default {@link DEFAULT_DCR_MAX_REFERENCE_ROWS}); beyond,
   * a seeded subsample, the same for synthetic and holdout rows so their ratio stays fair.
   */
  maxReferenceRows?: number;
  seed?: number;
}

/**
 * DCR of synthetic rows and of holdout rows against the same real reference rows, with the ratio of
 * their medians. Synthetic rows are subsampled to `maxRows` (seeded), holdout rows likewise.
 */
export function distanceToClosestRecord(aligned: AlignedTables, options: DcrOptions): DcrResult {
  const seed = options.seed ?? 1;
  const maxRows = options.maxRows ?? DEFAULT_DCR_MAX_ROWS;
  const enc = dcrEncoding(aligned);
  const referenceRows = subsample(
    options.referenceRows,
    options.maxReferenceRows ?? DEFAULT_DCR_MAX_REFERENCE_ROWS,
    seed + 2,
  );
  const reference = enc.encode('real', referenceRows);
  const syntheticRows = subsample(rowRange(aligned.nRows.synthetic), maxRows, seed);
  const holdoutRows = subsample(options.holdout.rows, maxRows, seed + 1);
  const syntheticDistances = nearestDistances(
    enc.encode('synthetic', syntheticRows),
    reference,
    enc.nContinuous,
    enc.nDiscrete,
    enc.nColumns,
  );
  const holdoutDistances = nearestDistances(
    enc.encode(options.holdout.side, holdoutRows),
    reference,
    enc.nContinuous,
    enc.nDiscrete,
    enc.nColumns,
  );
  const synthetic = summarise(syntheticDistances);
  const holdout = summarise(holdoutDistances);
  let below = 0;
  for (let i = 0; i < syntheticDistances.length; i++) if ((syntheticDistances[i] as number) < holdout.p05) below++;
  // Both medians 0 (e.g. data made of a few repeated rows): synthetic rows are no closer than new ones.
  const ratio =
    holdout.median > 0 ? synthetic.median / holdout.median : synthetic.median > 0 ? Number.POSITIVE_INFINITY : 1;
  return {
    synthetic,
    holdout,
    ratio,
    shareBelowHoldoutP05: syntheticDistances.length === 0 ? 0 : below / syntheticDistances.length,
    referenceRows: referenceRows.length,
    syntheticDistances,
    holdoutDistances,
  };
}

/**
 * 32-bit hash of one row over every aligned column, for exact-copy lookups (collisions are
 * resolved by comparing the rows).
 */
function rowHash(aligned: AlignedTables, side: Side, r: number, scratch: Float64Array): number {
  let h = 0x811c9dc5 | 0;
  const bits = new Int32Array(scratch.buffer);
  for (const col of aligned.columns) {
    // NaN has many bit patterns; missing hashes as one value.
    const v = col.type === 'continuous' ? (col.values[side][r] as number) : (col.codes[side][r] as number);
    scratch[0] = Number.isNaN(v) ? Number.NaN : v === 0 ? 0 : v;
    h = Math.imul(h ^ (bits[0] as number), 0x01000193);
    h = Math.imul(h ^ (bits[1] as number), 0x01000193);
  }
  return h;
}

function sameRow(aligned: AlignedTables, a: Side, ra: number, b: Side, rb: number): boolean {
  for (const col of aligned.columns) {
    if (col.type === 'continuous') {
      const x = col.values[a][ra] as number;
      const y = col.values[b][rb] as number;
      if (x !== y && !(Number.isNaN(x) && Number.isNaN(y))) return false;
    } else if (col.codes[a][ra] !== col.codes[b][rb]) return false;
  }
  return true;
}

/** Exact copies: rows of `side` equal to some real row in every aligned column (missing equals missing). */
export interface ExactCopies {
  count: number;
  share: number;
  /** Row indices of the copies in `side` (at most 1,000). */
  rows: number[];
}

/**
 * Counts rows of `side` (default synthetic; `options.rows` of it, default all) that equal a real
 * row (of `options.realRows`, default all) in every aligned column, identifiers and excluded
 * columns aside. Real rows are hashed once; each row is one lookup.
 */
export function exactCopies(
  aligned: AlignedTables,
  side: Side = 'synthetic',
  options: { rows?: Int32Array; realRows?: Int32Array } = {},
): ExactCopies {
  const scratch = new Float64Array(1);
  const buckets = new Map<number, number[]>();
  const reals = options.realRows ?? rowRange(aligned.nRows.real);
  for (let i = 0; i < reals.length; i++) {
    const r = reals[i] as number;
    const h = rowHash(aligned, 'real', r, scratch);
    const list = buckets.get(h);
    if (list === undefined) buckets.set(h, [r]);
    else list.push(r);
  }
  const queries = options.rows ?? rowRange(aligned.nRows[side]);
  const n = queries.length;
  let count = 0;
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    const r = queries[i] as number;
    const list = buckets.get(rowHash(aligned, side, r, scratch));
    if (list === undefined) continue;
    if (list.some((q) => sameRow(aligned, side, r, 'real', q))) {
      count++;
      if (rows.length < 1000) rows.push(r);
    }
  }
  return { count, share: n === 0 ? 0 : count / n, rows };
}
