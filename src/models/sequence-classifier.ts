import {
  checkWeights,
  initialWeights,
  type LayerSpec,
  type LossConfig,
  type NetworkSpec,
  weightSlots,
} from '../engine/index.js';
import { ConfigError, DataError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { Random } from '../random.js';
import type {
  EpochLogs,
  EstimatorNetwork,
  EstimatorState,
  FitOptions,
  NamedWeight,
  Target,
  Task,
} from './estimator.js';
import {
  type FeatureScaling,
  fitFeatureScaling,
  type StepLayout,
  scaleSteps,
  scalingFromState,
} from './feature-scaling.js';
import { type ClassWeight, checkFitInputs, checkPredictInput, rowWeights } from './fit-inputs.js';
import {
  checkNetworkTrainingParams,
  copyWeights,
  type NetworkTrainingParams,
  resolveEarlyStopping,
  trainEstimatorNetwork,
  trainingPart,
} from './network-training.js';
import { SingleNetworkEstimator } from './single-network-estimator.js';

/** The network over the sequence: a 1-D convolution, an LSTM, or an LSTM with attention. */
export type SequenceArchitecture = 'cnn' | 'lstm' | 'lstm-attention';

/** Every {@link SequenceArchitecture}; each is also a model kind of its own. */
export const SEQUENCE_ARCHITECTURES: readonly SequenceArchitecture[] = ['cnn', 'lstm', 'lstm-attention'];

/**
 * Hyper-parameters of {@link SequenceClassifier}, kept exactly as given. Everything but
 * `architecture` and `seed` has a default sized for fraud sequences of 6 steps × about 15 features.
 */
export interface SequenceClassifierParams extends NetworkTrainingParams {
  architecture: SequenceArchitecture;
  /** Only binary classification (default 'binary'). */
  task?: Task;
  /** Steps per row (previous transactions + the current one): x has `sequenceLength × features` columns (default 6). */
  sequenceLength?: number;
  /** cnn: convolution filters (default 100). */
  filters?: number;
  /** cnn: window of steps each filter sees (default 2). */
  kernelSize?: number;
  /** lstm, lstm-attention: LSTM units (default 64). */
  units?: number;
  /** Units of the ReLU dense layer between the sequence layer and the output (default 100; 0 = none). */
  hiddenUnits?: number;
  /** Dropout after the hidden dense layer, in [0, 1) (default 0.2). */
  dropout?: number;
  /** Give every step one more input, 1 for a real step and 0 for padding (default true). */
  paddingIndicator?: boolean;
  /** 'binary' cross-entropy (default) or 'focal' loss (Lin et al.), both on logits. */
  loss?: 'binary' | 'focal';
  /** Focal loss γ (default 2): how much easy examples are down-weighted. */
  focalGamma?: number;
  /** Focal loss α, the weight of the positive class (default 0.25, the paper's; 1 − α for negatives). */
  focalAlpha?: number;
  /** Class weights: `'balanced'` = n / (2 · count) or explicit `{0: w0, 1: w1}` (default none). */
  classWeight?: ClassWeight;
  /** Maximum epochs (default 100; early stopping usually ends training far sooner). */
  epochs?: number;
  /** Default 256. */
  batchSize?: number;
  /** Early stopping on the validation part (default: monitor 'val_loss', patience 8); `false` trains all `epochs`. */
  earlyStopping?: NetworkTrainingParams['earlyStopping'];
  seed: number;
}

/** The network settings resolved at fit time, stored in the state so a refit default never changes a saved model. */
export interface SequenceNetworkConfig {
  architecture: SequenceArchitecture;
  steps: number;
  /** Features per step in x. */
  features: number;
  paddingIndicator: boolean;
  filters: number;
  kernelSize: number;
  units: number;
  hiddenUnits: number;
  dropout: number;
}

/**
 * Default patience: an epoch here is tens of thousands of sequences, so a short wait suffices.
 * Early stopping watches the validation log loss by default, not the AUC as the mlp does: with
 * about 1 % fraud the validation AUC rests on a hundred-odd positives and jumps from epoch to
 * epoch, so it stopped on lucky early epochs (on the fraud handbook's split, cnn test AP over
 * three seeds 0.55–0.61 stopping on AUC, 0.61–0.63 on the loss).
 */
const DEFAULT_PATIENCE = 8;

interface FittedSequenceClassifier {
  nInputs: number;
  nOutputs: number;
  network: SequenceNetworkConfig;
  scaling: FeatureScaling;
  weights: NamedWeight[];
  bestEpoch: number;
}

/**
 * A binary classifier over sequences of events — for each transaction, the customer's previous
 * transactions and the transaction itself — with a 1-D convolution (`cnn`), an LSTM (`lstm`) or
 * an LSTM with attention (`lstm-attention`) under a small dense head, trained with Adam, early
 * stopping, class weights and an optional focal loss.
 *
 * Input rows are flat: `sequenceLength` steps of `f` features, step-major, the last step the
 * current transaction; earlier steps that do not exist are all zeros (padding). The model
 * standardises each feature itself, with statistics over the real steps only, and keeps padding
 * at exactly zero (plus a 0/1 "real step" input with `paddingIndicator`); pass raw, unscaled
 * features. Every random draw comes from `seed`.
 *
 * @example
 * const lstm = await new SequenceClassifier({ architecture: 'lstm', sequenceLength: 6, seed: 1 }).fit(x, y, {
 *   validationData: { x: xVal, y: yVal },
 * });
 * const pFraud = await lstm.predictProba(xTest); // n × 2, column 1 = P(fraud)
 */
export class SequenceClassifier extends SingleNetworkEstimator<SequenceClassifierParams, FittedSequenceClassifier> {
  private epochLogs: EpochLogs[] = [];
  private threadsUsed = 0;

  constructor(params: SequenceClassifierParams) {
    checkSequenceParams(params);
    super(params);
  }

  /** The model kind: the architecture (`cnn`, `lstm` or `lstm-attention`). */
  get kind(): SequenceArchitecture {
    return this.params.architecture;
  }

  /** One entry per epoch of the last fit: `{ epoch, loss, valLoss?, valAuc? }`. */
  get history(): EpochLogs[] {
    return this.epochLogs;
  }

  /** Epoch (0-based) whose weights the model holds after early stopping. */
  get bestEpoch(): number {
    return this.fitted().bestEpoch;
  }

  /** Replicas the last fit trained with (see `threads`). */
  get trainedThreads(): number {
    return this.threadsUsed;
  }

  /** The network settings and the per-feature scaling the model uses. */
  get config(): { network: SequenceNetworkConfig; scaling: FeatureScaling } {
    const s = this.fitted();
    return { network: { ...s.network }, scaling: { mean: [...s.scaling.mean], std: [...s.scaling.std] } };
  }

  async fit(x: Matrix, y: Target, options: FitOptions = {}): Promise<this> {
    const p = this.params;
    const task: Task = 'binary';
    const nOutputs = checkFitInputs(task, x, y, options.sampleWeight);
    const steps = p.sequenceLength ?? 6;
    const network = resolveNetworkConfig(p, steps, stepFeatures(x.nCols, steps));
    const layout = stepLayout(network);
    const rng = new Random(p.seed);
    const part = trainingPart(task, x, y, options, p.validationSplit, () => rng.childSeed());
    const scaling = fitFeatureScaling(part.x, layout);
    const weights = rowWeights(task, part.y, nOutputs, p.classWeight, part.sampleWeight);
    const spec = sequenceNetworkSpec(network);
    const initial = initialWeights(spec, rng);
    const loss: LossConfig =
      p.loss === 'focal'
        ? { name: 'focal', gamma: p.focalGamma ?? 2, alpha: p.focalAlpha ?? 0.25 }
        : { name: 'binary' };
    const v = part.validation;
    this.epochLogs = [];
    const result = await trainEstimatorNetwork({
      spec,
      initialWeights: initial,
      x: scaleSteps(part.x, layout, scaling, network.paddingIndicator),
      nRows: part.x.nRows,
      y: part.y,
      sampleWeight: weights,
      validation: v && { x: scaleSteps(v.x, layout, scaling, network.paddingIndicator), nRows: v.x.nRows, y: v.y },
      loss,
      l2: p.l2 ?? 0,
      learningRate: p.learningRate ?? 1e-3,
      epochs: p.epochs ?? 100,
      batchSize: Math.min(p.batchSize ?? 256, part.x.nRows),
      seed: rng.childSeed(),
      earlyStopping: resolveEarlyStopping(p.earlyStopping, v !== undefined, {
        monitor: 'val_loss',
        patience: DEFAULT_PATIENCE,
      }),
      threads: p.threads,
      onEpochEnd: (logs) => {
        this.epochLogs.push(logs);
        options.onEpochEnd?.(logs);
      },
    });
    this.disposeRunner();
    this.threadsUsed = result.threads;
    this.state = { nInputs: x.nCols, nOutputs, network, scaling, weights: result.weights, bestEpoch: result.bestEpoch };
    return this;
  }

  /** n × 1 logits of the positive class. */
  async decisionFunction(x: Matrix): Promise<Matrix> {
    const s = this.fitted();
    checkPredictInput(x, s.nInputs);
    const scaled = scaleSteps(x, stepLayout(s.network), s.scaling, s.network.paddingIndicator);
    return { data: await this.runNetwork(scaled, x.nRows), nRows: x.nRows, nCols: 1 };
  }

  /**
   * The network on the model's own input: the standardised steps (each feature `(v − mean) / std`
   * with `config.scaling`, padding steps all zero, plus the 0/1 indicator when enabled), shaped
   * `[steps, features (+1)]`. Exported ONNX files take that input, not the raw columns.
   */
  protected fittedNetwork(s: FittedSequenceClassifier): EstimatorNetwork {
    return {
      name: s.network.architecture.replace('-', '_'),
      spec: sequenceNetworkSpec(s.network),
      weights: copyWeights(s.weights),
    };
  }

  protected extraState(s: FittedSequenceClassifier): Record<string, unknown> {
    return { network: s.network, scaling: s.scaling, bestEpoch: s.bestEpoch };
  }

  getWeights(): NamedWeight[] {
    return copyWeights(this.fitted().weights);
  }

  /** Rebuilds a fitted model from {@link toJSON} and {@link getWeights} output; it predicts bit-identically. */
  static fromState(state: EstimatorState, weights: NamedWeight[]): SequenceClassifier {
    const params = state.params as SequenceClassifierParams;
    const model = new SequenceClassifier(params);
    const extra = state.extra ?? {};
    const network = extra.network as SequenceNetworkConfig | undefined;
    if (
      network === undefined ||
      network.architecture !== params.architecture ||
      network.steps * network.features !== state.nInputs
    ) {
      throw new DataError(
        'bad_state',
        `${params.architecture} state has no network matching its ${state.nInputs} inputs`,
      );
    }
    const spec = sequenceNetworkSpec(network);
    model.state = {
      nInputs: state.nInputs,
      nOutputs: state.nOutputs,
      network: { ...network },
      scaling: scalingFromState(extra.scaling, network.features, params.architecture),
      weights: copyWeights(checkWeights(weightSlots(spec), weights)),
      bestEpoch: Number(extra.bestEpoch ?? -1),
    };
    return model;
  }
}

/** Features per step, or a ConfigError when the columns do not split into `steps` equal steps. */
function stepFeatures(nCols: number, steps: number): number {
  if (nCols % steps !== 0) {
    throw new ConfigError(
      'bad_sequence_length',
      `x has ${nCols} columns, which do not split into sequenceLength ${steps} steps of equal width: ` +
        'pass sequenceLength = the steps per row (previous events + the current one)',
    );
  }
  return nCols / steps;
}

function stepLayout(network: SequenceNetworkConfig): StepLayout {
  return { steps: network.steps, features: network.features, padding: true };
}

function resolveNetworkConfig(p: SequenceClassifierParams, steps: number, features: number): SequenceNetworkConfig {
  const kernelSize = p.kernelSize ?? 2;
  if (p.architecture === 'cnn' && kernelSize > steps) {
    throw new ConfigError('bad_param', `cnn: kernelSize ${kernelSize} is longer than the ${steps} steps`);
  }
  return {
    architecture: p.architecture,
    steps,
    features,
    paddingIndicator: p.paddingIndicator ?? true,
    filters: p.filters ?? 100,
    kernelSize,
    units: p.units ?? 64,
    hiddenUnits: p.hiddenUnits ?? 100,
    dropout: p.dropout ?? 0.2,
  };
}

/**
 * The network of a sequence classifier, on input `[steps, features (+1 indicator)]`:
 *
 * - `cnn`: conv1d (`filters`, `kernelSize`, ReLU) → flatten → head;
 * - `lstm`: lstm (`units`, last state) → head;
 * - `lstm-attention`: lstm (`units`, every state) → attention (query = last state) → head;
 *
 * where the head is dense (`hiddenUnits`, ReLU) → dropout → dense (1 logit). The cnn trains on
 * the engine's direct SIMD path; the LSTMs through the TF.js graph with the fused LSTM.
 */
export function sequenceNetworkSpec(config: SequenceNetworkConfig): NetworkSpec {
  const channels = config.features + (config.paddingIndicator ? 1 : 0);
  const layers: LayerSpec[] = [];
  switch (config.architecture) {
    case 'cnn':
      layers.push(
        { type: 'conv1d', name: 'conv1d', filters: config.filters, kernelSize: config.kernelSize, activation: 'relu' },
        { type: 'flatten', name: 'flatten' },
      );
      break;
    case 'lstm':
      layers.push({ type: 'lstm', name: 'lstm', units: config.units });
      break;
    case 'lstm-attention':
      layers.push(
        { type: 'lstm', name: 'lstm', units: config.units, returnSequences: true },
        { type: 'attention', name: 'attention' },
      );
      break;
  }
  if (config.hiddenUnits > 0) {
    layers.push({ type: 'dense', name: 'hidden', units: config.hiddenUnits, activation: 'relu' });
    if (config.dropout > 0) layers.push({ type: 'dropout', name: 'dropout', rate: config.dropout });
  }
  layers.push({ type: 'dense', name: 'output', units: 1 });
  return { inputShape: [config.steps, channels], layers };
}

function checkSequenceParams(p: SequenceClassifierParams): void {
  const model = String(p?.architecture);
  const bad = (what: string): never => {
    throw new ConfigError('bad_param', `${model}: ${what}`);
  };
  if (!SEQUENCE_ARCHITECTURES.includes(p?.architecture)) {
    bad(`architecture must be one of ${SEQUENCE_ARCHITECTURES.join(', ')}`);
  }
  if (p.task !== undefined && p.task !== 'binary') bad(`only the binary task is supported, got '${p.task}'`);
  checkNetworkTrainingParams(model, p, 'binary');
  const positive = (value: number | undefined, name: string, min = 1): void => {
    if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
      bad(`${name} must be an integer ≥ ${min}, got ${value}`);
    }
  };
  positive(p.sequenceLength, 'sequenceLength');
  positive(p.filters, 'filters');
  positive(p.kernelSize, 'kernelSize');
  positive(p.units, 'units');
  positive(p.hiddenUnits, 'hiddenUnits', 0);
  if (p.dropout !== undefined && !(p.dropout >= 0 && p.dropout < 1)) bad('dropout must be in [0, 1)');
  if (p.loss !== undefined && p.loss !== 'binary' && p.loss !== 'focal') bad("loss must be 'binary' or 'focal'");
  if (p.focalGamma !== undefined && !(p.focalGamma >= 0)) bad('focalGamma must be ≥ 0');
  if (p.focalAlpha !== undefined && !(p.focalAlpha > 0 && p.focalAlpha < 1)) bad('focalAlpha must be in (0, 1)');
}
