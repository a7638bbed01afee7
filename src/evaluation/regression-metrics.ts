/**
 * Regression metrics (loss given default, exposure, amount models): mean squared and absolute
 * error and the coefficient of determination, accumulated in float64 in O(n).
 */
import { checkFinite, checkSameLength, type Scores } from './input-checks.js';

/** Everything `regressionMetrics` reports. */
export interface RegressionMetrics {
  mse: number;
  rmse: number;
  mae: number;
  r2: number;
  /** Mean of yTrue, the prediction r2 compares against. */
  meanTarget: number;
  nRows: number;
}

function check(what: string, yTrue: Float32Array, yPred: Scores): void {
  checkSameLength(what, yTrue, yPred);
  checkFinite(what, 'yTrue', yTrue);
  checkFinite(what, 'prediction', yPred);
}

function sumSquaredError(yTrue: Float32Array, yPred: Scores): number {
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = (yTrue[i] as number) - (yPred[i] as number);
    sum += d * d;
  }
  return sum;
}

function mean(v: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < v.length; i++) sum += v[i] as number;
  return sum / v.length;
}

function r2FromSums(sse: number, yTrue: Float32Array, meanTarget: number): number {
  let sst = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const d = (yTrue[i] as number) - meanTarget;
    sst += d * d;
  }
  // scikit-learn's `force_finite`: a constant target gives 1 for a perfect fit, else 0, not ±Inf/NaN.
  if (sst === 0) return sse === 0 ? 1 : 0;
  return 1 - sse / sst;
}

/** Mean squared error. */
export function mse(yTrue: Float32Array, yPred: Scores): number {
  check('mse', yTrue, yPred);
  return sumSquaredError(yTrue, yPred) / yTrue.length;
}

/** Mean absolute error. */
export function mae(yTrue: Float32Array, yPred: Scores): number {
  check('mae', yTrue, yPred);
  let sum = 0;
  for (let i = 0; i < yTrue.length; i++) sum += Math.abs((yTrue[i] as number) - (yPred[i] as number));
  return sum / yTrue.length;
}

/**
 * Coefficient of determination as scikit-learn's `r2_score`: 1 − SSE/SST; negative when worse
 * than predicting the mean; for a constant target 1 if the fit is perfect and 0 otherwise.
 */
export function r2(yTrue: Float32Array, yPred: Scores): number {
  check('r2', yTrue, yPred);
  return r2FromSums(sumSquaredError(yTrue, yPred), yTrue, mean(yTrue));
}

/**
 * All regression metrics at once.
 *
 * @example
 * const { rmse, r2 } = regressionMetrics(yTest, model.predict(xTest).data);
 */
export function regressionMetrics(yTrue: Float32Array, yPred: Scores): RegressionMetrics {
  check('regressionMetrics', yTrue, yPred);
  const sse = sumSquaredError(yTrue, yPred);
  const meanTarget = mean(yTrue);
  let absSum = 0;
  for (let i = 0; i < yTrue.length; i++) absSum += Math.abs((yTrue[i] as number) - (yPred[i] as number));
  const mseValue = sse / yTrue.length;
  return {
    mse: mseValue,
    rmse: Math.sqrt(mseValue),
    mae: absSum / yTrue.length,
    r2: r2FromSums(sse, yTrue, meanTarget),
    meanTarget,
    nRows: yTrue.length,
  };
}
