/**
 * Training jobs: from a CSV file to a verified model bundle.
 */
export { type EncodedTarget, encodeTarget } from './target.js';
export { taskMetrics } from './task-metrics.js';
export {
  parseThresholdPolicy,
  runTrainJob,
  type SplitSpec,
  type TrainJobOptions,
  type TrainJobResult,
} from './train-job.js';
export { VIGIL_VERSION } from './version.js';
