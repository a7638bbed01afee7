/**
 * Synthetic tabular data: the `Synthesizer` contract, the gaussian-copula baseline, the registry
 * that creates and restores synthesizers by kind, and SMOTE for minority-class augmentation.
 */
export {
  type ContinuousMarginal,
  type CopulaMarginal,
  type DiscreteMarginal,
  type GaussianCopulaParams,
  GaussianCopulaSynthesizer,
} from './gaussian-copula.js';
export { type LoadedSynthesizer, loadSynthesizer } from './load-synthesizer.js';
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
export {
  formatSampledNumber,
  sampleCsvRows,
  type WriteSampleCsvOptions,
  writeSampleCsv,
} from './write-sample-csv.js';
