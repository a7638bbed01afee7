import type { ColumnKind, Schema } from '../data/table.js';
import type { EntityKey, FeatureSpec } from '../features/index.js';
import type { EstimatorState, Task } from '../models/estimator.js';

/**
 * The newest format this Vigil reads and writes. Bumped when a bundle written by this version
 * could not be read correctly by an older reader: version 2 bundles carry a feature spec
 * (`features`), which a version 1 reader would ignore and then misread the raw events. Bundles
 * without a spec are still written as version 1.
 */
export const BUNDLE_FORMAT_VERSION = 2;
/** The format version of bundles that record a feature spec. */
export const FEATURE_BUNDLE_FORMAT_VERSION = 2;
/** The format version of bundles without one (tabular models on table columns). */
export const TABLE_BUNDLE_FORMAT_VERSION = 1;
export const BUNDLE_FORMAT = 'vigil-model-bundle';

/** One weight tensor's entry in the TF.js weights manifest. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

/** How the scoring threshold was chosen (see evaluation's threshold policies). */
export interface ThresholdRecord {
  value: number;
  policy: Record<string, unknown>;
}

/** What the model predicts and how raw target values map to model outputs. */
export interface TargetRecord {
  column: string;
  /** How the target column was read in training; evaluation reads it the same way. */
  kind: ColumnKind;
  task: Task;
  /** Class labels in output order (binary: [negative, positive]); empty for regression. */
  classes: string[];
  /** Binary only: the label treated as positive (e.g. `bad`, `1`). */
  positive?: string;
}

/** Provenance of the training data. */
export interface DataRecord {
  /** sha256 (hex) of the training file's bytes. */
  fingerprint: string;
  file: string;
  nRows: number;
  trainRows: number;
  testRows: number;
  split: Record<string, unknown>;
  /**
   * Synthetic minority rows added to the rows the model was fitted on (`--augment`): kind, ratio,
   * rows added and what they were made from. The validation slice and the test part are real.
   */
  augmentation?: Record<string, unknown>;
}

/** The sequences a sequence model reads, as the training replay built them. */
export interface SequenceRecord {
  /** Whose previous transactions form each row's sequence. */
  key: EntityKey;
  /** Previous transactions per row; a row holds `previous + 1` steps, the current transaction last. */
  previous: number;
  /** `previous + 1`: the model's `sequenceLength`. */
  steps: number;
  /** Features per step, in order. */
  features: string[];
}

/**
 * The feature spec a bundle was trained with: scoring reads raw transactions through `spec`'s
 * column mapping and replays them through the same executor as training did, so batch scoring,
 * the online service and training compute the same features. Verified on load
 * (`specSha256`, the feature names and the sequence settings must match the spec).
 */
export interface FeatureSpecRecord {
  /** The resolved spec the training replay ran: label mapped to the target, sequence as used. */
  spec: FeatureSpec;
  /** `featureSpecSha256(spec)`: also what the executor's state snapshots carry. */
  specSha256: string;
  /** The spec's features, in order (the per-transaction feature vector). */
  featureNames: string[];
  /** What the model reads: each transaction's feature vector, or sequences of them. */
  input: 'features' | 'sequences';
  /** Sequence models only. */
  sequence?: SequenceRecord;
}

/**
 * `manifest.json`: everything needed to score, apart from the weight bytes. Scoring code reads
 * only this and `weights.bin`, so a bundle is portable between the CLI, the service and tests.
 */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  createdAt: string;
  /** Raw input columns (name and kind) the bundle needs to score (for a spec bundle, the columns the spec maps). */
  inputSchema: Schema;
  /** Bundles trained on replayed transaction features: the spec and how the model reads it. */
  features?: FeatureSpecRecord;
  /** Column echoed in prediction output, when the data has an identifier. */
  idColumn?: string;
  target: TargetRecord;
  preprocessing: unknown;
  model: EstimatorState;
  threshold?: ThresholdRecord;
  metrics: Record<string, unknown>;
  data: DataRecord;
  versions: Record<string, string>;
  /** TF.js weights manifest: which tensors live in which file, in order. */
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  /** sha256 (hex) of every other file of the bundle. */
  files: Record<string, string>;
}
