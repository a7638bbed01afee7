/**
 * Models: scikit-learn shaped estimators for credit and fraud scoring.
 *
 * - {@link LogisticRegression}: L2 logistic (binary, multinomial) and ridge regression, L-BFGS in plain TypeScript;
 * - {@link MLP}: a feed-forward network on tfjs-core for binary, multiclass and regression tasks;
 * - {@link EnsembleClassifier}: several networks blended with a logistic model on a validation part;
 * - {@link SequenceClassifier} (kinds `cnn`, `lstm`, `lstm-attention`): fraud classifiers over each
 *   transaction with the customer's previous ones;
 * - {@link Autoencoder}: reconstruction error as an unsupervised anomaly score.
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
import { Autoencoder, type AutoencoderParams } from './autoencoder.js';
import { EnsembleClassifier, type EnsembleParams } from './ensemble.js';
import type { Estimator, EstimatorState, NamedWeight, Task } from './estimator.js';
import { LogisticRegression, type LogisticRegressionParams } from './logistic.js';
import { MLP, type MLPParams } from './mlp.js';
import { SequenceClassifier, type SequenceClassifierParams } from './sequence-classifier.js';

export {
  Autoencoder,
  type AutoencoderActivation,
  type AutoencoderNetworkConfig,
  type AutoencoderParams,
  appendAnomalyScore,
  autoencoderNetworkSpec,
} from './autoencoder.js';
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
  MLP,
  type MLPParams,
  mlpNetworkSpec,
  type ResolvedArchitecture,
} from './mlp.js';
export type { EarlyStoppingConfig, NetworkTrainingParams } from './network-training.js';
export {
  SEQUENCE_ARCHITECTURES,
  type SequenceArchitecture,
  SequenceClassifier,
  type SequenceClassifierParams,
  type SequenceNetworkConfig,
  sequenceNetworkSpec,
} from './sequence-classifier.js';

/** The model families Vigil trains. */
export type ModelKind = 'logistic' | 'mlp' | 'ensemble' | 'cnn' | 'lstm' | 'lstm-attention' | 'autoencoder';

/** Every {@link ModelKind}, for CLI choices and validation. */
export const MODEL_KINDS: readonly ModelKind[] = [
  'logistic',
  'mlp',
  'ensemble',
  'cnn',
  'lstm',
  'lstm-attention',
  'autoencoder',
];

/** Hyper-parameters accepted by {@link createEstimator} for a kind chosen at run time. */
export type ModelParams = { task: Task; seed: number } & Record<string, unknown>;

/**
 * Creates an unfitted estimator of the given kind; `params` are kept as given. Unknown keys are
 * ignored by the model that does not use them (a job may pass `epochs` to every kind).
 *
 * @example
 * const lr = createEstimator('logistic', { task: 'binary', c: 0.5 });
 * const net = createEstimator('mlp', { task: 'binary', seed: 7, epochs: 50 });
 * const lstm = createEstimator('lstm', { seed: 7, sequenceLength: 6 });
 */
export function createEstimator(kind: 'logistic', params?: LogisticRegressionParams): LogisticRegression;
export function createEstimator(kind: 'mlp', params: MLPParams): MLP;
export function createEstimator(kind: 'ensemble', params: EnsembleParams): EnsembleClassifier;
export function createEstimator(
  kind: 'cnn' | 'lstm' | 'lstm-attention',
  params: Omit<SequenceClassifierParams, 'architecture'>,
): SequenceClassifier;
export function createEstimator(kind: 'autoencoder', params: AutoencoderParams): Autoencoder;
export function createEstimator(kind: ModelKind, params: ModelParams): Estimator;
export function createEstimator(
  kind: ModelKind,
  params:
    | LogisticRegressionParams
    | MLPParams
    | EnsembleParams
    | Omit<SequenceClassifierParams, 'architecture'>
    | AutoencoderParams
    | ModelParams = {},
): Estimator {
  switch (kind) {
    case 'logistic':
      return new LogisticRegression(params as LogisticRegressionParams);
    case 'mlp':
      return new MLP(params as MLPParams);
    case 'ensemble':
      return new EnsembleClassifier(params as EnsembleParams);
    case 'cnn':
    case 'lstm':
    case 'lstm-attention':
      return new SequenceClassifier({ ...(params as SequenceClassifierParams), architecture: kind });
    case 'autoencoder':
      return new Autoencoder(params as AutoencoderParams);
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
    case 'cnn':
    case 'lstm':
    case 'lstm-attention':
      return SequenceClassifier.fromState(state, weights);
    case 'autoencoder':
      return Autoencoder.fromState(state, weights);
    default:
      throw new ConfigError('unknown_model', `unknown model kind '${state.kind}' in model state`);
  }
}
