import {
  type ResolvedEarlyStopping,
  TrainingDivergedError,
  type TrainNetworkOptions,
  type TrainNetworkResult,
  trainNetwork,
} from '../engine/index.js';
import { ConfigError, DataError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { FitOptions, NamedWeight, Target, Task } from './estimator.js';
import { checkFitInputs, holdOutValidation } from './fit-inputs.js';

/*
 * What every estimator that trains one network with the engine shares (mlp, the sequence
 * classifiers, the autoencoder): the training settings and their checks, the validation part,
 * early stopping, and turning a diverged run into a user-facing error.
 */

/** Keras `EarlyStopping` callback settings. */
export interface EarlyStoppingConfig {
  /** Default 'val_auc' for binary, 'val_loss' otherwise ('val_auc' for multiclass = macro one-vs-rest). */
  monitor?: 'val_auc' | 'val_loss';
  /** Epochs without improvement before stopping (default: the model's). */
  patience?: number;
  /** Minimum change that counts as an improvement (default 0). */
  minDelta?: number;
  /** Put back the weights of the best epoch when training ends (default true). */
  restoreBestWeights?: boolean;
}

/** Training settings shared by the network estimators, Keras-style. */
export interface NetworkTrainingParams {
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Maximum epochs (early stopping usually ends training sooner). */
  epochs?: number;
  batchSize?: number;
  /** L2 penalty on kernels, Keras `regularizers.l2(l2)`: adds `l2 · Σ w²` to the mean loss. */
  l2?: number;
  /** Fraction held out for early stopping when `validationData` is not passed to fit (default 0.2; 0 = none). */
  validationSplit?: number;
  /** Early stopping on the validation part; `false` trains all `epochs`. */
  earlyStopping?: EarlyStoppingConfig | false;
  /**
   * Training threads, as scikit-learn's `n_jobs`: data-parallel replicas in worker threads
   * (default: both cores for 16,384+ rows and batches of 256+, else 1; see `defaultThreads`).
   * The same seed and thread count give the same model.
   */
  threads?: number;
  seed: number;
}

/** Throws a {@link ConfigError} (`bad_param`, message prefixed with `model`) for the first bad shared setting. */
export function checkNetworkTrainingParams(model: string, p: NetworkTrainingParams, task: Task): void {
  const bad = (what: string): never => {
    throw new ConfigError('bad_param', `${model}: ${what}`);
  };
  if (!Number.isInteger(p.seed)) bad(`seed must be an integer, got ${p.seed}`);
  if (p.l2 !== undefined && !(p.l2 >= 0)) bad('l2 must be ≥ 0');
  if (p.threads !== undefined && !(Number.isInteger(p.threads) && p.threads >= 1)) {
    bad(`threads must be a positive integer, got ${p.threads}`);
  }
  if (p.learningRate !== undefined && !(p.learningRate > 0)) bad('learningRate must be > 0');
  if (p.epochs !== undefined && !(Number.isInteger(p.epochs) && p.epochs >= 1))
    bad('epochs must be a positive integer');
  if (p.batchSize !== undefined && !(Number.isInteger(p.batchSize) && p.batchSize >= 1)) {
    bad('batchSize must be a positive integer');
  }
  if (p.validationSplit !== undefined && !(p.validationSplit >= 0 && p.validationSplit < 1)) {
    bad('validationSplit must be in [0, 1)');
  }
  if (p.earlyStopping) {
    const e = p.earlyStopping;
    if (e.monitor !== undefined && e.monitor !== 'val_auc' && e.monitor !== 'val_loss') {
      bad("earlyStopping.monitor must be 'val_auc' or 'val_loss'");
    }
    if (e.monitor === 'val_auc' && task === 'regression') bad("earlyStopping.monitor 'val_auc' needs classification");
    if (e.patience !== undefined && !(Number.isInteger(e.patience) && e.patience >= 1)) {
      bad('earlyStopping.patience must be a positive integer');
    }
  }
}

/** The rows a network trains on and, when there is one, the part that drives early stopping. */
export interface TrainingPart {
  x: Matrix;
  y: Target;
  sampleWeight: Float32Array | undefined;
  validation: { x: Matrix; y: Target } | undefined;
}

/**
 * The training rows and the validation part: `options.validationData` when given (checked against
 * `x`), else a stratified split of `validationSplit` (default 0.2) seeded by `nextSeed()`, which is
 * called only when a split is made; 0 means no validation part.
 */
export function trainingPart(
  task: Task,
  x: Matrix,
  y: Target,
  options: FitOptions,
  validationSplit: number | undefined,
  nextSeed: () => number,
): TrainingPart {
  if (options.validationData !== undefined) {
    const v = options.validationData;
    checkFitInputs(task, v.x, v.y);
    if (v.x.nCols !== x.nCols) {
      throw new DataError('bad_shape', `validationData has ${v.x.nCols} columns, x has ${x.nCols}`);
    }
    return { x, y, sampleWeight: options.sampleWeight, validation: v };
  }
  const fraction = validationSplit ?? 0.2;
  if (fraction > 0) return holdOutValidation(task, x, y, options.sampleWeight, fraction, nextSeed());
  return { x, y, sampleWeight: options.sampleWeight, validation: undefined };
}

/**
 * The engine's early-stopping settings, or undefined when disabled or there is no validation part.
 * `restoreBestWeights` defaults to true, `minDelta` to 0.
 */
export function resolveEarlyStopping(
  config: EarlyStoppingConfig | false | undefined,
  hasValidation: boolean,
  defaults: { monitor: 'val_auc' | 'val_loss'; patience: number },
): ResolvedEarlyStopping | undefined {
  if (config === false || !hasValidation) return undefined;
  const e = config ?? {};
  return {
    monitor: e.monitor ?? defaults.monitor,
    patience: e.patience ?? defaults.patience,
    minDelta: e.minDelta ?? 0,
    restoreBestWeights: e.restoreBestWeights ?? true,
  };
}

/** {@link trainNetwork}, with a diverged run reported as a {@link ConfigError} `diverged` (lower the learning rate). */
export async function trainEstimatorNetwork(options: TrainNetworkOptions): Promise<TrainNetworkResult> {
  try {
    return await trainNetwork(options);
  } catch (error) {
    if (error instanceof TrainingDivergedError) throw new ConfigError('diverged', error.message, { cause: error });
    throw error;
  }
}

/** Deep copies, so neither the caller nor the model can change the other's weights. */
export function copyWeights(weights: NamedWeight[]): NamedWeight[] {
  return weights.map((w) => ({ name: w.name, shape: [...w.shape], values: Float32Array.from(w.values) }));
}
