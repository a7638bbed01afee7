import { stratifiedSplit } from '../data/index.js';
import { ConfigError } from '../errors.js';
import { chooseThreshold, type ThresholdPolicy } from '../evaluation/index.js';
import { column, type Matrix, takeValues } from '../matrix.js';
import type { EpochLogs, Estimator, Task } from '../models/estimator.js';
import { createEstimator, type ModelKind } from '../models/index.js';
import type { AugmentationRecord, AugmentedRows } from './augment.js';
import { isAnomalyModel, taskMetrics } from './task-metrics.js';

/** What both train paths (table columns, replayed transactions) hand to the shared fitting step. */
export interface FitAndMeasureInput {
  model: ModelKind;
  task: Task;
  /** Class labels in output order (binary: [negative, positive]); empty for regression. */
  classes: string[];
  /** Encoded target of every row (NaN where missing). */
  y: Float32Array;
  trainRows: Int32Array;
  testRows: Int32Array;
  /** The model input of the given rows. */
  inputs: (rows: Int32Array) => Matrix;
  seed: number;
  epochs?: number;
  threads?: number;
  /** Hyper-parameters the input fixes (e.g. a sequence model's `sequenceLength`). */
  inputParams?: Record<string, unknown>;
  modelParams?: Record<string, unknown>;
  thresholdPolicy?: ThresholdPolicy;
  /** Share of the training rows held out for early stopping and the threshold (default 0.15). */
  validationFraction?: number;
  onEpochEnd?: (logs: EpochLogs) => void;
  /**
   * Binary tasks: synthetic rows to add to the rows the model is fitted on, made from those rows
   * (the training part less the validation slice). The validation slice and the test part stay real.
   */
  augment?: (fitRows: Int32Array) => Promise<AugmentedRows>;
}

/** The fitted model with its threshold and metrics, for the train job to write into a bundle. */
export interface FitAndMeasureResult {
  estimator: Estimator;
  threshold?: { value: number; policy: ThresholdPolicy };
  /** Test-part metrics (empty when there are no test rows). */
  metrics: Record<string, unknown>;
  validationMetrics: Record<string, unknown>;
  validationFraction: number;
  /** Positive-class score of each test row (binary tasks). */
  testScores?: Float32Array;
  /** What was added to the fitted rows, when `augment` was given. */
  augmentation?: AugmentationRecord;
  /** Rows the model was fitted on: real fitted rows plus synthetic ones. */
  fitRowCount: number;
  warnings: string[];
}

function appendRows(a: Matrix, b: Matrix): Matrix {
  if (a.nCols !== b.nCols)
    throw new ConfigError('augment_shape', `synthetic rows have ${b.nCols} inputs, real ${a.nCols}`);
  const data = new Float32Array((a.nRows + b.nRows) * a.nCols);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { data, nRows: a.nRows + b.nRows, nCols: a.nCols };
}

/**
 * Fits the model on the training rows less a stratified validation slice, which serves early
 * stopping and the choice of the decision threshold, and measures the test rows at that
 * threshold, so no choice is ever made on the rows measured.
 *
 * The autoencoder fits without labels (it learns what ordinary rows look like), but its anomaly
 * score gets its threshold from the labelled validation slice like any other score, and its
 * metrics leave out the probability ones (brier, logLoss).
 */
export async function fitAndMeasure(input: FitAndMeasureInput): Promise<FitAndMeasureResult> {
  const { task, y, model } = input;
  if (isAnomalyModel(model) && task !== 'binary')
    throw new ConfigError('invalid_flag', `--model ${model} scores anomalies: it needs --task binary, not ${task}`);
  const warnings: string[] = [];
  const validationFraction = input.validationFraction ?? 0.15;
  const trainY = takeValues(y, input.trainRows);
  const inner = stratifiedSplit(
    task === 'regression' ? new Float32Array(trainY.length) : trainY,
    validationFraction,
    input.seed + 1,
  );
  const fitRows = takeValues(input.trainRows, inner.trainRows);
  const validationRows = takeValues(input.trainRows, inner.testRows);

  const estimator = createEstimator(model, {
    task,
    seed: input.seed,
    ...input.inputParams,
    ...(input.epochs !== undefined ? { epochs: input.epochs } : {}),
    ...(input.threads !== undefined && model !== 'logistic' ? { threads: input.threads } : {}),
    ...input.modelParams,
  });
  const xValidation = input.inputs(validationRows);
  const yValidation = takeValues(y, validationRows);
  let xFit = input.inputs(fitRows);
  let yFit = takeValues(y, fitRows);
  let augmentation: AugmentationRecord | undefined;
  if (input.augment !== undefined) {
    if (task !== 'binary')
      throw new ConfigError('invalid_flag', `--augment adds minority-class rows: it needs --task binary, not ${task}`);
    // The autoencoder learns what ordinary rows look like; synthetic minority rows would teach it the anomalies.
    if (isAnomalyModel(model))
      throw new ConfigError('invalid_flag', `--augment does not apply to --model ${model}, which fits without labels`);
    const extra = await input.augment(fitRows);
    xFit = appendRows(xFit, extra.x);
    const ys = new Float32Array(yFit.length + extra.y.length);
    ys.set(yFit);
    ys.set(extra.y, yFit.length);
    yFit = ys;
    augmentation = extra.record;
  }
  await estimator.fit(xFit, yFit, {
    validationData: { x: xValidation, y: yValidation },
    onEpochEnd: input.onEpochEnd,
  });

  const anomaly = isAnomalyModel(model);
  let threshold: FitAndMeasureResult['threshold'];
  const validationProba = await estimator.predictProba(xValidation);
  if (task === 'binary') {
    const policy = input.thresholdPolicy ?? { kind: 'max-f1' };
    // Column 1 of a binary model's n × 2 output is the positive class's probability (or anomaly score).
    threshold = { value: chooseThreshold(yValidation, column(validationProba, 1), policy).threshold, policy };
  }
  const validationMetrics = taskMetrics(task, yValidation, validationProba, input.classes, threshold?.value, {
    anomaly,
  });
  let metrics: Record<string, unknown> = {};
  let testScores: Float32Array | undefined;
  if (input.testRows.length > 0) {
    const testProba = await estimator.predictProba(input.inputs(input.testRows));
    metrics = taskMetrics(task, takeValues(y, input.testRows), testProba, input.classes, threshold?.value, {
      anomaly,
    });
    if (task === 'binary') testScores = column(testProba, 1);
  } else {
    warnings.push('the split left no test rows; metrics are reported on the validation slice only');
  }
  return {
    estimator,
    ...(threshold ? { threshold } : {}),
    metrics,
    validationMetrics,
    validationFraction,
    ...(testScores ? { testScores } : {}),
    ...(augmentation ? { augmentation } : {}),
    fitRowCount: xFit.nRows,
    warnings,
  };
}
