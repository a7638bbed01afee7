/**
 * Training jobs: from a CSV file to a verified model bundle.
 */

export {
  type AugmentationRecord,
  type AugmentedRows,
  type AugmentOptions,
  augmentFitRows,
  augmentKinds,
  checkAugmentOptions,
  minorityOf,
  synthesizeMinority,
} from './augment.js';
export {
  DEFAULT_PREVIOUS_TRANSACTIONS,
  featureSpecRecord,
  isSequenceModel,
  SEQUENCE_MODEL_KINDS,
  sequenceKeyOf,
  withSequence,
} from './feature-inputs.js';
export { runFeatureTrainJob, trainingSpec } from './feature-train-job.js';
export { type FitAndMeasureInput, type FitAndMeasureResult, fitAndMeasure } from './fit-and-measure.js';
export { type LoadedSynthesizer, loadSynthesizer } from './load-synthesizer.js';
export { runSynthFitJob, type SynthFitJobOptions, type SynthFitJobResult } from './synth-fit-job.js';
export { type EncodedTarget, encodeTarget } from './target.js';
export { type CardPrecisionMetrics, cardPrecisionMetrics, isAnomalyModel, taskMetrics } from './task-metrics.js';
export { parseThresholdPolicy, runTrainJob } from './train-job.js';
export type { FeatureTrainOptions, SplitSpec, TrainJobOptions, TrainJobResult } from './train-job-options.js';
export { VIGIL_VERSION } from './version.js';
