/**
 * What a training job takes and gives (`vigil train`, `runTrainJob`): in a module of their own so
 * the two jobs (table columns, and transactions through a feature spec) share them without
 * importing each other.
 */
import type { BundleManifest } from '../bundle/index.js';
import type { ThresholdPolicy } from '../evaluation/index.js';
import type { FeatureSpec } from '../features/index.js';
import type { EpochLogs, Task } from '../models/estimator.js';
import type { ModelKind } from '../models/index.js';
import type { AugmentationRecord, AugmentOptions } from './augment.js';

/** How rows are divided into training and test parts. */
export type SplitSpec =
  | { kind: 'column'; column: string }
  | { kind: 'random'; testFraction: number }
  | { kind: 'time'; column: string; testFrom: string };

export interface TrainJobOptions {
  dataPath: string;
  target: string;
  positive?: string;
  task?: Task;
  model: ModelKind;
  split: SplitSpec;
  seed: number;
  epochs?: number;
  /** Training threads for network models (mlp, ensemble); default: the data-size rule of the engine. */
  threads?: number;
  outDir: string;
  /** CSV delimiter; detected when omitted. */
  delimiter?: string;
  /** JSON schema file overriding inferred column kinds. */
  schemaPath?: string;
  thresholdPolicy?: ThresholdPolicy;
  /** Share of the training part held out for early stopping and threshold choice (default 0.15). */
  validationFraction?: number;
  /** Extra model hyper-parameters (merged over the defaults). */
  modelParams?: Record<string, unknown>;
  onEpochEnd?: (logs: EpochLogs) => void;
  onStage?: (stage: string) => void;
  /**
   * Train on raw transactions replayed through a feature spec instead of the file's columns
   * (see `runFeatureTrainJob`); needed by the sequence models.
   */
  features?: FeatureTrainOptions;
  /**
   * Binary tasks: add synthetic minority rows (SMOTE or a synthesizer fitted on the minority rows)
   * to the rows the model is fitted on, after the validation slice is taken out.
   */
  augment?: AugmentOptions;
}

/** How `--features` training reads and shapes transactions. */
export interface FeatureTrainOptions {
  spec: FeatureSpec;
  /** Sequence models: whose transactions (an entity key or the column the spec maps to one); default the spec's, else the customer. */
  sequenceKey?: string;
  /** Sequence models: previous transactions per row; default the spec's, else 5. */
  sequenceLength?: number;
  /** k of the test part's Card Precision@k (default 100). */
  cardK?: number;
}

export interface TrainJobResult {
  bundleDir: string;
  manifest: BundleManifest;
  /** Metrics on the test part (empty object when the split left no test rows). */
  metrics: Record<string, unknown>;
  validationMetrics: Record<string, unknown>;
  warnings: string[];
  timingsMs: Record<string, number>;
  nFeatures: number;
  epochs: number;
  /** With `augment`: what was added to the fitted rows. */
  augmentation?: AugmentationRecord;
}
