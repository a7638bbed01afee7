/**
 * Synthetic tabular data: synthesizers that learn a table (numeric, categorical and boolean
 * columns, missing values kept as missing) and generate new rows, with exact conditional
 * sampling ("50,000 rows with target = 1") by construction.
 */
export { type CtganParams, CtganSynthesizer } from './ctgan.js';
export { DataTransformer, type DataTransformerOptions, type DataTransformerState } from './data-transformer.js';
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
