/**
 * Preprocessing: the fitted transform from a raw Table to the Float32 matrix models take. It is
 * learned on the training rows only and saved (as plain JSON) in the model bundle, so training,
 * batch scoring and the online service encode identically.
 */
export type { BooleanStepState } from './boolean-step.js';
export {
  type CategoricalStepState,
  MISSING_LEVEL,
  OTHER_LEVEL,
  UNKNOWN_LEVEL,
} from './categorical-step.js';
export { MISSING_SUFFIX } from './column-step.js';
export {
  LOG_SKEWNESS_THRESHOLD,
  LOG_SPREAD_RATIO,
  type MissingIndicatorStepState,
  type NumericStepState,
} from './numeric-step.js';
export {
  type ColumnStepState,
  defaultRareCategoryMinCount,
  TabularPipeline,
  type TabularPipelineParams,
  type TabularPipelineState,
} from './tabular-pipeline.js';
