/**
 * Synthetic tabular data: synthesizers that learn a table (numeric, categorical and boolean
 * columns, missing values kept as missing) and generate new rows with exact conditional sampling
 * ("50,000 rows with target = 1") by construction — ctgan, tvae and the gaussian-copula baseline —,
 * the registry that creates and restores them by kind, and SMOTE for minority-class augmentation.
 */
export { type CtganParams, CtganSynthesizer } from './ctgan.js';
export { DataTransformer, type DataTransformerOptions, type DataTransformerState } from './data-transformer.js';
export {
  type ContinuousMarginal,
  type CopulaMarginal,
  type DiscreteMarginal,
  type GaussianCopulaParams,
  GaussianCopulaSynthesizer,
} from './gaussian-copula.js';
export { cholesky, normalCdf, normalQuantile } from './normal-distribution.js';
export {
  availableSynthesizerKinds,
  createSynthesizer,
  restoreSynthesizer,
  type SynthesizerParams,
} from './registry.js';
export { minorityNeighbours, type SmoteOptions, smote } from './smote.js';
export {
  type SampleConditions,
  type SampleOptions,
  SYNTHESIZER_KINDS,
  type SynthEpochLogs,
  type Synthesizer,
  type SynthesizerKind,
  type SynthesizerState,
  type SynthFitOptions,
} from './synthesizer.js';
export { type TvaeParams, TvaeSynthesizer } from './tvae.js';
export {
  formatSampledNumber,
  sampleCsvRows,
  type WriteSampleCsvOptions,
  writeSampleCsv,
} from './write-sample-csv.js';
