/**
 * Turning scores into decisions: choose the cut-off `t` (flag a row when `score >= t`) by a
 * stated policy, from one sorted sweep over the distinct scores.
 */
import { ConfigError } from '../errors.js';
import type { Confusion } from './confusion.js';
import { checkBinary, requireBothClasses, type Scores } from './input-checks.js';
import { type ScoreSweep, sweepScores } from './score-sweep.js';

/**
 * How to choose a threshold.
 * - `max-f1`: the threshold with the highest f1 (the highest such threshold on ties).
 * - `recall`: the highest threshold whose recall is at least `target` (catch ≥ 80 % of bads
 *   while flagging as few rows as possible).
 * - `cost`: the threshold minimising `falsePositiveCost·fp + falseNegativeCost·fn` (the highest
 *   such threshold on ties); it may flag nothing when missing a positive is cheap enough.
 * - `fixed`: a threshold chosen elsewhere, e.g. on validation data, applied as given.
 */
export type ThresholdPolicy =
  | { kind: 'max-f1' }
  | { kind: 'recall'; target: number }
  | { kind: 'cost'; falsePositiveCost: number; falseNegativeCost: number }
  | { kind: 'fixed'; threshold: number };

/** A chosen threshold, the policy that chose it, and the confusion matrix it gives. */
export interface ThresholdChoice {
  threshold: number;
  policy: ThresholdPolicy;
  confusion: Confusion;
}

/**
 * Chooses a threshold by `policy` in O(n log n). Throws `DataError` `single_class` when yTrue
 * holds one class only (no policy is meaningful then) and `ConfigError` `invalid_threshold_policy`
 * for a malformed policy.
 *
 * @example
 * const { threshold, confusion } = chooseThreshold(y, pd, { kind: 'recall', target: 0.8 });
 */
export function chooseThreshold(yTrue: Float32Array, score: Scores, policy: ThresholdPolicy): ThresholdChoice {
  checkPolicy(policy);
  const positives = checkBinary('chooseThreshold', yTrue, score);
  requireBothClasses('chooseThreshold', positives, yTrue.length);
  return chooseFromSweep(sweepScores(yTrue, score, positives), policy);
}

/** Throws `ConfigError` `invalid_threshold_policy` unless the policy is well formed. */
export function checkPolicy(policy: ThresholdPolicy): void {
  const fail = (why: string): never => {
    throw new ConfigError('invalid_threshold_policy', `threshold policy ${JSON.stringify(policy)}: ${why}`);
  };
  switch (policy?.kind) {
    case 'max-f1':
      return;
    case 'recall':
      if (!(policy.target > 0 && policy.target <= 1)) fail('target recall must be in (0, 1]');
      return;
    case 'cost': {
      const { falsePositiveCost: a, falseNegativeCost: b } = policy;
      if (!(Number.isFinite(a) && Number.isFinite(b) && a >= 0 && b >= 0)) fail('costs must be finite and ≥ 0');
      return;
    }
    case 'fixed':
      if (Number.isNaN(policy.threshold) || typeof policy.threshold !== 'number') fail('threshold must be a number');
      return;
    default:
      fail("kind must be 'max-f1', 'recall', 'cost' or 'fixed'");
  }
}

/** Applies a (checked) policy to a sweep that holds both classes. */
export function chooseFromSweep(sweep: ScoreSweep, policy: ThresholdPolicy): ThresholdChoice {
  const { thresholds, tps, fps, positives: p, negatives: n } = sweep;
  const confusionAtIndex = (k: number): Confusion => {
    // k = -1 stands for "above every score": nothing flagged.
    const tp = k < 0 ? 0 : (tps[k] as number);
    const fp = k < 0 ? 0 : (fps[k] as number);
    return { tp, fp, tn: n - fp, fn: p - tp };
  };
  const m = thresholds.length;
  let best = 0;

  switch (policy.kind) {
    case 'max-f1': {
      let bestF1 = -1;
      for (let k = 0; k < m; k++) {
        const tp = tps[k] as number;
        // f1 = 2tp / (2tp + fp + fn) and fn = p - tp, so the denominator is tp + fp + p.
        const f1 = (2 * tp) / (tp + (fps[k] as number) + p);
        if (f1 > bestF1) {
          bestF1 = f1;
          best = k;
        }
      }
      break;
    }
    case 'recall': {
      // Recall only grows as the threshold falls, so the first index reaching the target is the
      // highest threshold that does. Compare counts, not ratios, to dodge rounding at the target.
      const needed = policy.target * p;
      best = m - 1;
      for (let k = 0; k < m; k++) {
        if ((tps[k] as number) >= needed - 1e-9 * p) {
          best = k;
          break;
        }
      }
      break;
    }
    case 'cost': {
      const { falsePositiveCost: cFp, falseNegativeCost: cFn } = policy;
      const top = thresholds[0] as number;
      // Flagging nothing is a real option under costs; it needs a threshold above every score.
      best = top === Number.POSITIVE_INFINITY ? 0 : -1;
      let bestCost = best < 0 ? cFn * p : cFp * (fps[0] as number) + cFn * (p - (tps[0] as number));
      for (let k = best + 1; k < m; k++) {
        const cost = cFp * (fps[k] as number) + cFn * (p - (tps[k] as number));
        if (cost < bestCost) {
          bestCost = cost;
          best = k;
        }
      }
      if (best < 0) return { threshold: justAbove(top), policy, confusion: confusionAtIndex(-1) };
      break;
    }
    case 'fixed': {
      // Last index whose threshold is still ≥ the given one (thresholds decrease).
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((thresholds[mid] as number) >= policy.threshold) lo = mid + 1;
        else hi = mid;
      }
      return { threshold: policy.threshold, policy, confusion: confusionAtIndex(lo - 1) };
    }
  }
  return { threshold: thresholds[best] as number, policy, confusion: confusionAtIndex(best) };
}

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/**
 * The smallest float32 strictly above `v`. Float32 rather than float64 so the threshold still
 * flags nothing after a model stores it in, or compares it against, a Float32Array.
 */
function justAbove(v: number): number {
  f32[0] = v;
  const f = f32[0] as number;
  if (f > v) return f;
  if (f === 0) return 1.401298464324817e-45;
  f32Bits[0] = (f32Bits[0] as number) + (f > 0 ? 1 : -1);
  return f32[0] as number;
}
