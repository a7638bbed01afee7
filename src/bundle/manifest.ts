import type { ColumnKind, Schema } from '../data/table.js';
import type { EstimatorState, Task } from '../models/estimator.js';

/** Bumped when a bundle written by this version could not be read correctly by an older reader. */
export const BUNDLE_FORMAT_VERSION = 1;
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
}

/**
 * `manifest.json`: everything needed to score, apart from the weight bytes. Scoring code reads
 * only this and `weights.bin`, so a bundle is portable between the CLI, the service and tests.
 */
export interface BundleManifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  createdAt: string;
  /** Raw input columns (name and kind) the bundle needs to score. */
  inputSchema: Schema;
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
