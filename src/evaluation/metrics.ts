/**
 * Binary classification metrics: ranking quality (`auc`, `ks`, `gini`, `ap`), probability
 * quality (`brier`, `logLoss`) and the decision at a chosen threshold (`binaryMetrics`).
 *
 * Undefined cases throw rather than return NaN: a rank metric on data holding one class throws
 * `DataError` with code `single_class`, so a NaN can never slip into a model bundle or a report.
 * Every function is O(n log n) or better.
 */
import { type Confusion, confusionRates } from './confusion.js';
import { checkBinary, checkProbabilities, requireBothClasses, type Scores } from './input-checks.js';
import { type ScoreSweep, sweepScores } from './score-sweep.js';
import { checkPolicy, chooseFromSweep, type ThresholdPolicy } from './threshold.js';

/** Probabilities are clipped to [LOG_LOSS_EPS, 1 − LOG_LOSS_EPS] so one confident miss is finite. */
export const LOG_LOSS_EPS = 1e-15;

/** Checks labels and scores, requires both classes, and sweeps: the common start of rank metrics. */
function sweepFor(what: string, yTrue: Float32Array, score: Scores): ScoreSweep {
  const positives = checkBinary(what, yTrue, score);
  requireBothClasses(what, positives, yTrue.length);
  return sweepScores(yTrue, score, positives);
}

/** ROC AUC of a sweep: trapezoids between distinct thresholds, so tied scores count half. */
export function aucFromSweep(s: ScoreSweep): number {
  let twiceArea = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let k = 0; k < s.thresholds.length; k++) {
    const tp = s.tps[k] as number;
    const fp = s.fps[k] as number;
    // Counts are integers, so this sum is exact in float64 far beyond a million rows.
    twiceArea += (fp - prevFp) * (tp + prevTp);
    prevTp = tp;
    prevFp = fp;
  }
  return twiceArea / (2 * s.positives * s.negatives);
}

/** KS of a sweep with the threshold where the gap between TPR and FPR is widest. */
function ksFromSweep(s: ScoreSweep): { ks: number; threshold: number } {
  let ks = 0;
  let threshold = s.thresholds[0] as number;
  for (let k = 0; k < s.thresholds.length; k++) {
    const gap = Math.abs((s.tps[k] as number) / s.positives - (s.fps[k] as number) / s.negatives);
    if (gap > ks) {
      ks = gap;
      threshold = s.thresholds[k] as number;
    }
  }
  return { ks, threshold };
}

/** Average precision of a sweep: Σ (R_k − R_{k−1})·P_k over distinct thresholds. */
export function apFromSweep(s: ScoreSweep): number {
  let ap = 0;
  let prevTp = 0;
  for (let k = 0; k < s.thresholds.length; k++) {
    const tp = s.tps[k] as number;
    if (tp !== prevTp) ap += ((tp - prevTp) / s.positives) * (tp / (tp + (s.fps[k] as number)));
    prevTp = tp;
  }
  return ap;
}

/**
 * Area under the ROC curve: the probability that a random positive outscores a random negative,
 * ties counting one half (as scikit-learn's `roc_auc_score`).
 *
 * @example
 * auc(new Float32Array([0, 0, 1, 1]), new Float32Array([0.1, 0.4, 0.35, 0.8])); // → 0.75
 */
export function auc(yTrue: Float32Array, score: Scores): number {
  return aucFromSweep(sweepFor('auc', yTrue, score));
}

/**
 * Kolmogorov–Smirnov statistic: the largest gap between the score distributions of positives and
 * negatives, max over thresholds of |TPR − FPR| (equal to scipy's `ks_2samp` statistic).
 */
export function ks(yTrue: Float32Array, score: Scores): number {
  return ksFromSweep(sweepFor('ks', yTrue, score)).ks;
}

/** Gini coefficient (accuracy ratio) as used in credit scoring: 2·auc − 1. */
export function gini(yTrue: Float32Array, score: Scores): number {
  return 2 * auc(yTrue, score) - 1;
}

/**
 * Average precision as scikit-learn defines it: Σ (R_n − R_{n−1})·P_n over distinct thresholds,
 * a step-wise area under the precision–recall curve without interpolation.
 */
export function averagePrecision(yTrue: Float32Array, score: Scores): number {
  return apFromSweep(sweepFor('averagePrecision', yTrue, score));
}

/**
 * Brier score: mean squared difference between predicted probability and outcome. Defined for a
 * single class too. Throws `invalid_probability` for values outside [0, 1].
 */
export function brier(yTrue: Float32Array, p: Scores): number {
  checkBinary('brier', yTrue, p);
  checkProbabilities('brier', p);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const d = (p[i] as number) - (yTrue[i] as number);
    sum += d * d;
  }
  return sum / p.length;
}

/**
 * Mean binary cross-entropy with probabilities clipped to [1e−15, 1 − 1e−15]. Throws
 * `single_class` like scikit-learn's `log_loss` (which cannot infer the label set then) and
 * `invalid_probability` for values outside [0, 1].
 */
export function logLoss(yTrue: Float32Array, p: Scores): number {
  const positives = checkBinary('logLoss', yTrue, p);
  requireBothClasses('logLoss', positives, yTrue.length);
  checkProbabilities('logLoss', p);
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const q = Math.min(Math.max(p[i] as number, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
    sum -= yTrue[i] === 1 ? Math.log(q) : Math.log1p(-q);
  }
  return sum / p.length;
}

/** Everything `binaryMetrics` reports; plain numbers so it serialises into a bundle as is. */
export interface BinaryMetrics {
  auc: number;
  ks: number;
  gini: number;
  ap: number;
  brier: number;
  logLoss: number;
  threshold: number;
  thresholdPolicy: ThresholdPolicy;
  precision: number;
  recall: number;
  f1: number;
  accuracy: number;
  confusion: Confusion;
  positives: number;
  negatives: number;
  nRows: number;
}

/**
 * All binary metrics at once from a single sort, with the threshold chosen by `policy` (use
 * `{ kind: 'fixed', threshold }` to apply one chosen on validation data). Scores must be
 * probabilities (for brier and log loss); throws `single_class` when one class is missing.
 *
 * @example
 * const m = binaryMetrics(yTest, pd, { kind: 'recall', target: 0.8 });
 * console.log(m.auc, m.ks, m.threshold, m.confusion);
 */
export function binaryMetrics(
  yTrue: Float32Array,
  p: Scores,
  policy: ThresholdPolicy = { kind: 'max-f1' },
): BinaryMetrics {
  checkPolicy(policy);
  const sweep = sweepFor('binaryMetrics', yTrue, p);
  const choice = chooseFromSweep(sweep, policy);
  const a = aucFromSweep(sweep);
  const rates = confusionRates(choice.confusion);
  return {
    auc: a,
    ks: ksFromSweep(sweep).ks,
    gini: 2 * a - 1,
    ap: apFromSweep(sweep),
    brier: brier(yTrue, p),
    logLoss: logLoss(yTrue, p),
    threshold: choice.threshold,
    thresholdPolicy: policy,
    precision: rates.precision,
    recall: rates.recall,
    f1: rates.f1,
    accuracy: rates.accuracy,
    confusion: choice.confusion,
    positives: sweep.positives,
    negatives: sweep.negatives,
    nRows: yTrue.length,
  };
}
