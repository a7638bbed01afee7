import { stratifiedSplit } from '../data/index.js';
import { ConfigError, DataError, type Issue } from '../errors.js';
import { type Matrix, takeRows, takeValues } from '../matrix.js';
import type { Target, Task } from './estimator.js';

/** Keras/scikit-learn style class weights: `'balanced'` = n / (k · count), or explicit per class index. */
export type ClassWeight = 'balanced' | Record<number, number>;

/** Throws a {@link DataError} listing every problem with `x`, `y` and `sampleWeight` for `task`. Returns nOutputs. */
export function checkFitInputs(task: Task, x: Matrix, y: Target, sampleWeight?: Float32Array): number {
  const issues: Issue[] = [];
  if (x.data.length !== x.nRows * x.nCols) {
    issues.push({ code: 'bad_shape', path: ['x'], message: `x has ${x.data.length} values, expected nRows·nCols` });
  }
  if (x.nRows < 2) issues.push({ code: 'too_few_rows', path: ['x'], message: 'at least two rows are needed to fit' });
  if (x.nCols < 1) issues.push({ code: 'no_columns', path: ['x'], message: 'x has no columns' });
  if (y.length !== x.nRows) {
    issues.push({ code: 'bad_shape', path: ['y'], message: `y has ${y.length} values, x has ${x.nRows} rows` });
  }
  if (sampleWeight !== undefined && sampleWeight.length !== x.nRows) {
    issues.push({ code: 'bad_shape', path: ['sampleWeight'], message: 'sampleWeight must have one value per row' });
  }
  if (issues.length === 0) {
    checkFinite(x, 'x', issues);
    let nOutputs = task === 'multiclass' ? 0 : task === 'binary' ? 2 : 1;
    for (let i = 0; i < y.length; i++) {
      const v = y[i] as number;
      const bad =
        task === 'binary'
          ? v !== 0 && v !== 1
          : task === 'multiclass'
            ? !Number.isInteger(v) || v < 0
            : !Number.isFinite(v);
      if (bad) {
        const want = task === 'binary' ? '0 or 1' : task === 'multiclass' ? 'a class index ≥ 0' : 'finite';
        issues.push({ code: 'bad_target', path: ['y', i], message: `target ${v} at row ${i} is not ${want}` });
        break;
      }
      if (task === 'multiclass') nOutputs = Math.max(nOutputs, v + 1);
    }
    if (sampleWeight !== undefined) {
      for (let i = 0; i < sampleWeight.length; i++) {
        const w = sampleWeight[i] as number;
        if (!(w >= 0) || !Number.isFinite(w)) {
          issues.push({ code: 'bad_weight', path: ['sampleWeight', i], message: `weight ${w} is not finite ≥ 0` });
          break;
        }
      }
    }
    if (task === 'multiclass' && nOutputs < 2 && issues.length === 0) {
      issues.push({ code: 'one_class', path: ['y'], message: 'multiclass targets need at least two classes' });
    }
    if (issues.length === 0) return nOutputs;
  }
  throw new DataError('invalid_fit_input', `cannot fit: ${issues[0]?.message}`, { issues });
}

/** Throws a {@link DataError} when `x` does not have the fitted column count or holds NaN/∞. */
export function checkPredictInput(x: Matrix, nInputs: number): void {
  const issues: Issue[] = [];
  if (x.nCols !== nInputs) {
    issues.push({
      code: 'bad_shape',
      path: ['x'],
      message: `x has ${x.nCols} columns, the model was fitted on ${nInputs}`,
    });
  } else if (x.data.length !== x.nRows * x.nCols) {
    issues.push({ code: 'bad_shape', path: ['x'], message: `x has ${x.data.length} values, expected nRows·nCols` });
  } else {
    checkFinite(x, 'x', issues);
  }
  if (issues.length > 0)
    throw new DataError('invalid_predict_input', `cannot predict: ${issues[0]?.message}`, { issues });
}

function checkFinite(x: Matrix, name: string, issues: Issue[]): void {
  for (let i = 0; i < x.data.length; i++) {
    if (!Number.isFinite(x.data[i] as number)) {
      const row = Math.floor(i / x.nCols);
      const col = i % x.nCols;
      issues.push({
        code: 'not_finite',
        path: [name, row, col],
        message: `${name}[${row}, ${col}] is ${x.data[i]}: models need imputed, finite inputs`,
      });
      return;
    }
  }
}

/**
 * Per-row training weights: class weights (classification only) times `sampleWeight`.
 * Returns undefined when every weight would be 1.
 */
export function rowWeights(
  task: Task,
  y: Target,
  nOutputs: number,
  classWeight: ClassWeight | undefined,
  sampleWeight: Float32Array | undefined,
): Float32Array | undefined {
  if (classWeight === undefined || task === 'regression') return sampleWeight;
  const perClass = new Float64Array(nOutputs).fill(1);
  if (classWeight === 'balanced') {
    const counts = new Float64Array(nOutputs);
    for (let i = 0; i < y.length; i++) counts[y[i] as number]! += 1;
    let present = 0;
    for (const c of counts) if (c > 0) present++;
    for (let k = 0; k < nOutputs; k++) {
      const c = counts[k] as number;
      perClass[k] = c > 0 ? y.length / (present * c) : 0;
    }
  } else {
    for (const [key, w] of Object.entries(classWeight)) {
      const k = Number(key);
      if (!Number.isInteger(k) || k < 0 || !(w >= 0)) {
        throw new ConfigError('bad_class_weight', `classWeight[${key}] = ${w}: keys are class indices, weights ≥ 0`);
      }
      if (k < nOutputs) perClass[k] = w;
    }
  }
  const out = new Float32Array(y.length);
  for (let i = 0; i < y.length; i++) out[i] = (perClass[y[i] as number] as number) * (sampleWeight?.[i] ?? 1);
  return out;
}

/** Throws a {@link ConfigError} unless `task` is one of the three Vigil tasks. */
export function checkTask(task: unknown): asserts task is Task {
  if (task !== 'binary' && task !== 'multiclass' && task !== 'regression') {
    throw new ConfigError('bad_task', `task must be 'binary', 'multiclass' or 'regression', got ${String(task)}`);
  }
}

/** The rows a model trains on and the part it holds out for validation. */
export interface HeldOutFit {
  x: Matrix;
  y: Target;
  sampleWeight: Float32Array | undefined;
  validation: { x: Matrix; y: Target };
}

/**
 * Holds out `fraction` of the rows for validation, stratified by class; regression has one
 * stratum (every row is labelled 0 for the split).
 */
export function holdOutValidation(
  task: Task,
  x: Matrix,
  y: Target,
  sampleWeight: Float32Array | undefined,
  fraction: number,
  seed: number,
): HeldOutFit {
  const split = stratifiedSplit(task === 'regression' ? new Float32Array(y.length) : y, fraction, seed);
  return {
    x: takeRows(x, split.trainRows),
    y: takeValues(y, split.trainRows),
    sampleWeight: sampleWeight && takeValues(sampleWeight, split.trainRows),
    validation: { x: takeRows(x, split.testRows), y: takeValues(y, split.testRows) },
  };
}
