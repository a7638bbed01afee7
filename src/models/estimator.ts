import type { NetworkRunnerFactory, NetworkSpec, NetworkWeight } from '../engine/index.js';
import type { Matrix } from '../matrix.js';

/** What a model predicts. */
export type Task = 'binary' | 'multiclass' | 'regression';

/**
 * Targets, encoded: binary 0/1, multiclass class index 0..k-1, regression the value.
 * Always a Float32Array of length nRows.
 */
export type Target = Float32Array;

/** One named weight tensor, as stored in the bundle's TF.js weights file. */
export type NamedWeight = NetworkWeight;

/** A network inside a fitted estimator, for export and alternative runtimes (see `networks()`). */
export interface EstimatorNetwork {
  /** Unique within the estimator, e.g. `mlp`; used to name exported files. */
  name: string;
  spec: NetworkSpec;
  weights: NetworkWeight[];
}

/** Per-epoch record, Keras-style. */
export interface EpochLogs {
  /** 0-based, as in Keras callbacks. */
  epoch: number;
  loss: number;
  valLoss?: number;
  valAuc?: number;
  [metric: string]: number | undefined;
}

export interface FitOptions {
  /** Held-out data for early stopping and history. Takes precedence over `validationSplit`. */
  validationData?: { x: Matrix; y: Target };
  /** Called after each epoch (progress bars, logging). */
  onEpochEnd?: (logs: EpochLogs) => void;
  /** Per-row weights (e.g. class weights expanded by the caller). */
  sampleWeight?: Float32Array;
}

/**
 * The scikit-learn shape every Vigil model follows. Hyper-parameters are a plain object given
 * to the constructor and kept as given (`params`); learned state exists only after `fit`.
 */
export interface Estimator<P = unknown> {
  readonly kind: string;
  readonly params: P;
  readonly task: Task;
  /** Number of classes (binary 2, multiclass k, regression 1); set by fit. */
  readonly nOutputs: number;
  fit(x: Matrix, y: Target, options?: FitOptions): Promise<this>;
  /** Classification: n × k probabilities (binary k = 2, column 1 = positive). Regression: n × 1 predictions. */
  predictProba(x: Matrix): Promise<Matrix>;
  /** Classification: class index (binary at 0.5); regression: the prediction. */
  predict(x: Matrix): Promise<Float32Array>;
  /** Training history (one entry per epoch), empty for closed-form models. */
  readonly history: EpochLogs[];
  /** Serialisable state: config and fitted scalars; tensors go to `getWeights`. */
  toJSON(): EstimatorState;
  getWeights(): NamedWeight[];
}

/** An estimator that runs one or more networks, which can be exported or scored by another runtime. */
export interface NetworkEstimator extends Estimator {
  /** The fitted networks with their weights. */
  networks(): EstimatorNetwork[];
  /** Scores through runners from `factory` from now on (TF.js is the default). */
  useNetworkRunners(factory: NetworkRunnerFactory): Promise<void>;
}

/** Whether `estimator` runs networks (mlp, ensemble) rather than plain arithmetic (logistic). */
export function isNetworkEstimator(estimator: Estimator): estimator is NetworkEstimator {
  const candidate = estimator as Partial<NetworkEstimator>;
  return typeof candidate.networks === 'function' && typeof candidate.useNetworkRunners === 'function';
}

export interface EstimatorState {
  kind: string;
  task: Task;
  params: unknown;
  nInputs: number;
  nOutputs: number;
  /** Anything else needed to rebuild (e.g. ensemble blend weights). */
  extra?: Record<string, unknown>;
}
