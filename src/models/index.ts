/**
 * Models: scikit-learn shaped estimators for credit and fraud scoring.
 *
 * - {@link LogisticRegression}: L2 logistic (binary, multinomial) and ridge regression, L-BFGS in plain TypeScript;
 * - {@link MLP}: a feed-forward network on tfjs-core for binary, multiclass and regression tasks;
 * - {@link EnsembleClassifier}: several networks blended with a logistic model on a validation part.
 *
 * {@link createEstimator} builds one by kind; {@link estimatorFromState} rebuilds a fitted one
 * from its `toJSON()` state and `getWeights()` (what a model bundle stores).
 *
 * @example
 * const model = createEstimator('mlp', { task: 'binary', seed: 42 });
 * await model.fit(xTrain, yTrain, { validationData: { x: xVal, y: yVal } });
 * const restored = estimatorFromState(model.toJSON(), model.getWeights());
 */
import { ConfigError } from '../errors.js';
import { EnsembleClassifier, type EnsembleParams } from './ensemble.js';
import type { Estimator, EstimatorState, NamedWeight, Task } from './estimator.js';
import { LogisticRegression, type LogisticRegressionParams } from './logistic.js';
import { MLP, type MLPParams } from './mlp.js';

export { EnsembleClassifier, type EnsembleParams } from './ensemble.js';
export type {
  EpochLogs,
  Estimator,
  EstimatorNetwork,
  EstimatorState,
  FitOptions,
  NamedWeight,
  NetworkEstimator,
  Target,
  Task,
} from './estimator.js';
export { isNetworkEstimator } from './estimator.js';
export type { ClassWeight } from './fit-inputs.js';
export { LogisticRegression, type LogisticRegressionParams } from './logistic.js';
export {
  type Activation,
  type DenseLayerConfig,
  defaultArchitecture,
  type EarlyStoppingConfig,
  MLP,
  type MLPParams,
  mlpNetworkSpec,
  type ResolvedArchitecture,
} from './mlp.js';

/** The model families Vigil trains. */
export type ModelKind = 'logistic' | 'mlp' | 'ensemble';

/** Every {@link ModelKind}, for CLI choices and validation. */
export const MODEL_KINDS: readonly ModelKind[] = ['logistic', 'mlp', 'ensemble'];

/** Hyper-parameters accepted by {@link createEstimator} for a kind chosen at run time. */
export type ModelParams = { task: Task; seed: number } & Record<string, unknown>;

/**
 * Creates an unfitted estimator of the given kind; `params` are kept as given. Unknown keys are
 * ignored by the model that does not use them (a job may pass `epochs` to every kind).
 *
 * @example
 * const lr = createEstimator('logistic', { task: 'binary', c: 0.5 });
 * const net = createEstimator('mlp', { task: 'binary', seed: 7, epochs: 50 });
 */
export function createEstimator(kind: 'logistic', params?: LogisticRegressionParams): LogisticRegression;
export function createEstimator(kind: 'mlp', params: MLPParams): MLP;
export function createEstimator(kind: 'ensemble', params: EnsembleParams): EnsembleClassifier;
export function createEstimator(kind: ModelKind, params: ModelParams): Estimator;
export function createEstimator(
  kind: ModelKind,
  params: LogisticRegressionParams | MLPParams | EnsembleParams | ModelParams = {},
): Estimator {
  switch (kind) {
    case 'logistic':
      return new LogisticRegression(params as LogisticRegressionParams);
    case 'mlp':
      return new MLP(params as MLPParams);
    case 'ensemble':
      return new EnsembleClassifier(params as EnsembleParams);
    default:
      throw new ConfigError('unknown_model', `unknown model kind '${String(kind)}': use ${MODEL_KINDS.join(', ')}`);
  }
}

/**
 * Rebuilds a fitted estimator from `toJSON()` state and `getWeights()`; predictions are
 * bit-identical to the original's.
 */
export function estimatorFromState(state: EstimatorState, weights: NamedWeight[]): Estimator {
  switch (state.kind) {
    case 'logistic':
      return LogisticRegression.fromState(state, weights);
    case 'mlp':
      return MLP.fromState(state, weights);
    case 'ensemble':
      return EnsembleClassifier.fromState(state, weights);
    default:
      throw new ConfigError('unknown_model', `unknown model kind '${state.kind}' in model state`);
  }
}
