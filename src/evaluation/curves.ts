/**
 * Curves for plotting and diagnosis: ROC, precision–recall, KS (the two score CDFs), calibration
 * and score histograms. Each is computed exactly from the full data, then thinned to at most
 * `maxPoints` points that are all exact points of the full curve, so a chart of a million rows
 * stays a few kilobytes without drawing anything that is not there.
 */
import { ConfigError } from '../errors.js';
import { checkBinary, checkProbabilities, requireBothClasses, type Scores } from './input-checks.js';
import { apFromSweep, aucFromSweep } from './metrics.js';
import { type ScoreSweep, sweepScores } from './score-sweep.js';

/** Default number of points a curve is thinned to. */
export const CURVE_POINTS = 200;

/** ROC curve from (0, 0) to (1, 1), thresholds decreasing (the first one is +Infinity). */
export interface RocCurve {
  fpr: Float64Array;
  tpr: Float64Array;
  thresholds: Float64Array;
  /** Exact AUC of the full curve. */
  auc: number;
}

/** Precision–recall curve from recall 0 (precision 1, threshold +Infinity) to recall 1. */
export interface PrCurve {
  recall: Float64Array;
  precision: Float64Array;
  thresholds: Float64Array;
  /** Exact average precision of the full curve. */
  ap: number;
  /** Share of positives: the precision of a random ranking, the PR curve's baseline. */
  baseRate: number;
}

/**
 * The empirical CDFs of the score for positives and for negatives, by increasing score. The first
 * point sits at the lowest score with both CDFs at 0 so a step plot rises from the axis.
 */
export interface KsCurve {
  score: Float64Array;
  cdfPositive: Float64Array;
  cdfNegative: Float64Array;
  /** Largest |cdfPositive − cdfNegative|, exactly `ks()`. */
  ks: number;
  /** Score at which that gap is reached, with both CDF values there (to mark the gap). */
  ksScore: number;
  ksCdfPositive: number;
  ksCdfNegative: number;
}

/** Calibration (reliability) curve over the non-empty bins, as scikit-learn's `calibration_curve`. */
export interface CalibrationCurve {
  /** Mean predicted probability per non-empty bin. */
  meanPredicted: Float64Array;
  /** Observed share of positives per non-empty bin. */
  observedRate: Float64Array;
  /** Rows per non-empty bin. */
  counts: Float64Array;
  /** All `nBins + 1` bin edges, including those of empty bins. */
  edges: Float64Array;
  strategy: CalibrationStrategy;
}

/** Equal-width bins over [0, 1], or bins holding equal numbers of rows. */
export type CalibrationStrategy = 'uniform' | 'quantile';

/** Counts per equal-width bin; `edges` has one more entry than `counts`. */
export interface Histogram {
  edges: Float64Array;
  counts: Float64Array;
}

/** Per-class histograms of the score over shared bins. */
export interface ScoreHistogram {
  edges: Float64Array;
  positives: Float64Array;
  negatives: Float64Array;
}

function sweepFor(what: string, yTrue: Float32Array, score: Scores): ScoreSweep {
  const positives = checkBinary(what, yTrue, score);
  requireBothClasses(what, positives, yTrue.length);
  return sweepScores(yTrue, score, positives);
}

function checkMaxPoints(maxPoints: number): void {
  if (!(Number.isInteger(maxPoints) && maxPoints >= 3)) {
    throw new ConfigError('invalid_max_points', `maxPoints must be an integer ≥ 3, got ${maxPoints}`);
  }
}

/**
 * Indices of at most `maxPoints` points spread evenly along the curve's length (each coordinate
 * scaled to [0, 1]), always keeping the first, the last and `keep`. Spacing by length rather than
 * by index keeps detail where the curve bends and drops the long runs where it barely moves.
 */
function thinCurve(coords: Float64Array[], maxPoints: number, keep = -1): Int32Array {
  const n = coords[0]?.length ?? 0;
  if (n <= maxPoints) return Int32Array.from({ length: n }, (_, i) => i);
  const scales = coords.map((c) => {
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of c) {
      if (Number.isFinite(v)) {
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
      }
    }
    return hi > lo ? 1 / (hi - lo) : 0;
  });
  const length = new Float64Array(n);
  for (let i = 1; i < n; i++) {
    let d = 0;
    for (let c = 0; c < coords.length; c++) {
      const step = Math.abs((coords[c]![i] as number) - (coords[c]![i - 1] as number)) * (scales[c] as number);
      if (Number.isFinite(step)) d += step;
    }
    length[i] = (length[i - 1] as number) + d;
  }
  // Reserve one slot for the last point and one for `keep`, so the total never exceeds maxPoints.
  const step = (length[n - 1] as number) / (maxPoints - 3);
  const out: number[] = [0];
  let last = 0;
  for (let i = 1; i < n - 1; i++) {
    if (i === keep || (step > 0 && (length[i] as number) - (length[last] as number) >= step)) {
      out.push(i);
      last = i;
    }
  }
  out.push(n - 1);
  return Int32Array.from(out);
}

function pick(values: Float64Array, idx: Int32Array): Float64Array {
  const out = new Float64Array(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i] as number] as number;
  return out;
}

/**
 * ROC curve (false positive rate vs true positive rate), thinned to `maxPoints`. Tied scores form
 * one diagonal step, which is what makes the area equal `auc()`.
 */
export function rocCurve(yTrue: Float32Array, score: Scores, maxPoints = CURVE_POINTS): RocCurve {
  checkMaxPoints(maxPoints);
  const s = sweepFor('rocCurve', yTrue, score);
  const m = s.thresholds.length + 1;
  const fpr = new Float64Array(m);
  const tpr = new Float64Array(m);
  const thresholds = new Float64Array(m);
  thresholds[0] = Number.POSITIVE_INFINITY;
  for (let k = 0; k < s.thresholds.length; k++) {
    fpr[k + 1] = (s.fps[k] as number) / s.negatives;
    tpr[k + 1] = (s.tps[k] as number) / s.positives;
    thresholds[k + 1] = s.thresholds[k] as number;
  }
  const idx = thinCurve([fpr, tpr], maxPoints);
  return { fpr: pick(fpr, idx), tpr: pick(tpr, idx), thresholds: pick(thresholds, idx), auc: aucFromSweep(s) };
}

/** Precision–recall curve, thinned to `maxPoints`; plot it as a step curve (that is what AP integrates). */
export function prCurve(yTrue: Float32Array, score: Scores, maxPoints = CURVE_POINTS): PrCurve {
  checkMaxPoints(maxPoints);
  const s = sweepFor('prCurve', yTrue, score);
  const m = s.thresholds.length + 1;
  const recall = new Float64Array(m);
  const precision = new Float64Array(m);
  const thresholds = new Float64Array(m);
  precision[0] = 1;
  thresholds[0] = Number.POSITIVE_INFINITY;
  for (let k = 0; k < s.thresholds.length; k++) {
    const tp = s.tps[k] as number;
    recall[k + 1] = tp / s.positives;
    precision[k + 1] = tp / (tp + (s.fps[k] as number));
    thresholds[k + 1] = s.thresholds[k] as number;
  }
  const idx = thinCurve([recall, precision], maxPoints);
  return {
    recall: pick(recall, idx),
    precision: pick(precision, idx),
    thresholds: pick(thresholds, idx),
    ap: apFromSweep(s),
    baseRate: s.positives / yTrue.length,
  };
}

/** The two class-conditional score CDFs and where they are furthest apart, thinned to `maxPoints`. */
export function ksCurve(yTrue: Float32Array, score: Scores, maxPoints = CURVE_POINTS): KsCurve {
  checkMaxPoints(maxPoints);
  const s = sweepFor('ksCurve', yTrue, score);
  const m = s.thresholds.length;
  const xs = new Float64Array(m + 1);
  const cdfP = new Float64Array(m + 1);
  const cdfN = new Float64Array(m + 1);
  xs[0] = s.thresholds[m - 1] as number;
  let best = 0;
  let ks = 0;
  for (let j = 1; j <= m; j++) {
    const k = m - j;
    // Rows with score ≤ thresholds[k] are all rows minus those strictly above it, which are the
    // cumulative counts at the next higher threshold (k − 1).
    xs[j] = s.thresholds[k] as number;
    cdfP[j] = k === 0 ? 1 : 1 - (s.tps[k - 1] as number) / s.positives;
    cdfN[j] = k === 0 ? 1 : 1 - (s.fps[k - 1] as number) / s.negatives;
    // The same expression as ks() uses, so the marked gap equals it to the last bit.
    const gap = k === 0 ? 0 : Math.abs((s.tps[k - 1] as number) / s.positives - (s.fps[k - 1] as number) / s.negatives);
    if (gap > ks) {
      ks = gap;
      best = j;
    }
  }
  const idx = thinCurve([xs, cdfP, cdfN], maxPoints, best);
  return {
    score: pick(xs, idx),
    cdfPositive: pick(cdfP, idx),
    cdfNegative: pick(cdfN, idx),
    ks,
    ksScore: xs[best] as number,
    ksCdfPositive: cdfP[best] as number,
    ksCdfNegative: cdfN[best] as number,
  };
}

function checkBins(nBins: number): void {
  if (!(Number.isInteger(nBins) && nBins >= 1)) {
    throw new ConfigError('invalid_bins', `nBins must be a positive integer, got ${nBins}`);
  }
}

/** numpy's `percentile` (linear method), reproduced operation for operation so bin edges match. */
function quantileEdges(p: Scores, nBins: number): Float64Array {
  const sorted = Float64Array.from(p).sort();
  const n = sorted.length;
  const edges = new Float64Array(nBins + 1);
  const unit = 1 / nBins;
  for (let i = 0; i <= nBins; i++) {
    const q = i === nBins ? 1 : (i * unit * 100) / 100;
    const at = (n - 1) * q;
    const lo = Math.floor(at);
    const hi = Math.min(lo + 1, n - 1);
    const t = at - lo;
    const a = sorted[lo] as number;
    const b = sorted[hi] as number;
    const diff = b - a;
    edges[i] = t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  }
  return edges;
}

/** How many of `edges[from..to)` are strictly below `v` (numpy's `searchsorted`, side left). */
function countBelow(edges: Float64Array, from: number, to: number, v: number): number {
  let lo = from;
  let hi = to;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((edges[mid] as number) < v) lo = mid + 1;
    else hi = mid;
  }
  return lo - from;
}

/**
 * Calibration curve: per bin of predicted probability, the mean prediction and the observed rate
 * of positives, as scikit-learn's `calibration_curve` (a probability on an inner edge falls in the
 * lower bin; empty bins are left out). `quantile` bins hold about equal numbers of rows, which
 * suits the skewed PDs of credit and fraud models better than `uniform` (the default).
 */
export function calibrationCurve(
  yTrue: Float32Array,
  p: Scores,
  nBins = 10,
  strategy: CalibrationStrategy = 'uniform',
): CalibrationCurve {
  checkBins(nBins);
  checkBinary('calibrationCurve', yTrue, p);
  checkProbabilities('calibrationCurve', p);
  let edges: Float64Array;
  if (strategy === 'quantile') edges = quantileEdges(p, nBins);
  else if (strategy === 'uniform') {
    edges = new Float64Array(nBins + 1);
    const unit = 1 / nBins;
    for (let i = 0; i < nBins; i++) edges[i] = i * unit;
    edges[nBins] = 1;
  } else {
    throw new ConfigError('invalid_strategy', `calibration strategy must be 'uniform' or 'quantile', got ${strategy}`);
  }
  const sums = new Float64Array(nBins);
  const hits = new Float64Array(nBins);
  const counts = new Float64Array(nBins);
  for (let i = 0; i < p.length; i++) {
    const v = p[i] as number;
    const bin = countBelow(edges, 1, nBins, v);
    sums[bin] = (sums[bin] as number) + v;
    hits[bin] = (hits[bin] as number) + (yTrue[i] as number);
    counts[bin] = (counts[bin] as number) + 1;
  }
  const kept: number[] = [];
  for (let b = 0; b < nBins; b++) if ((counts[b] as number) > 0) kept.push(b);
  return {
    meanPredicted: Float64Array.from(kept, (b) => (sums[b] as number) / (counts[b] as number)),
    observedRate: Float64Array.from(kept, (b) => (hits[b] as number) / (counts[b] as number)),
    counts: Float64Array.from(kept, (b) => counts[b] as number),
    edges,
    strategy,
  };
}

/** Equal-width edges over [lo, hi] as numpy's `histogram_bin_edges` (widened by ±0.5 if lo = hi). */
function histogramEdges(values: Scores, nBins: number, range?: readonly [number, number]): Float64Array {
  let lo = range?.[0] ?? Number.POSITIVE_INFINITY;
  let hi = range?.[1] ?? Number.NEGATIVE_INFINITY;
  if (range === undefined) {
    for (const v of values) {
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo <= hi)) {
    throw new ConfigError('invalid_range', `histogram range must be finite with lo ≤ hi, got [${lo}, ${hi}]`);
  }
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const edges = new Float64Array(nBins + 1);
  const step = (hi - lo) / nBins;
  for (let i = 0; i < nBins; i++) edges[i] = lo + i * step;
  edges[nBins] = hi;
  return edges;
}

/**
 * Bin of `v` among equal-width `edges`, or −1 outside them; the last bin includes its right
 * edge (numpy's convention). The arithmetic guess is corrected against the edges themselves so
 * rounding never puts a value on the wrong side of an edge.
 */
function binOf(edges: Float64Array, v: number): number {
  const nBins = edges.length - 1;
  const lo = edges[0] as number;
  const hi = edges[nBins] as number;
  if (!(v >= lo && v <= hi)) return -1;
  let b = Math.min(Math.floor(((v - lo) / (hi - lo)) * nBins), nBins - 1);
  if (v < (edges[b] as number)) b--;
  else if (b < nBins - 1 && v >= (edges[b + 1] as number)) b++;
  return b;
}

/**
 * Equal-width histogram of `values` (NaN ignored), over `range` or the values' own min and max.
 * O(n).
 */
export function histogram(values: Scores, nBins = 20, range?: readonly [number, number]): Histogram {
  checkBins(nBins);
  if (values.length === 0) throw new ConfigError('empty_input', 'histogram: no values');
  const edges = histogramEdges(values, nBins, range);
  const counts = new Float64Array(nBins);
  for (const v of values) {
    const b = binOf(edges, v);
    if (b >= 0) counts[b] = (counts[b] as number) + 1;
  }
  return { edges, counts };
}

/**
 * Histograms of the score for positives and negatives over the same equal-width bins (spanning
 * all scores, or `range`), to see how well the classes separate. Works with one class too.
 */
export function scoreHistogram(
  yTrue: Float32Array,
  score: Scores,
  nBins = 20,
  range?: readonly [number, number],
): ScoreHistogram {
  checkBins(nBins);
  checkBinary('scoreHistogram', yTrue, score);
  const edges = histogramEdges(score, nBins, range);
  const positives = new Float64Array(nBins);
  const negatives = new Float64Array(nBins);
  for (let i = 0; i < score.length; i++) {
    const b = binOf(edges, score[i] as number);
    if (b < 0) continue;
    if (yTrue[i] === 1) positives[b] = (positives[b] as number) + 1;
    else negatives[b] = (negatives[b] as number) + 1;
  }
  return { edges, positives, negatives };
}
