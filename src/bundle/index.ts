/**
 * Model and synthesizer bundles: one directory holding everything needed to score (manifest.json with schema,
 * preprocessing state, model config, threshold, metrics, data fingerprint and versions; the
 * TF.js weights; SHA256SUMS). Loading verifies every checksum and refuses altered bundles.
 */
export {
  addBundleFile,
  type BundleContent,
  checkBundleTarget,
  type LoadedBundle,
  readBundle,
  type WriteBundleOptions,
  writeBundle,
} from './bundle.js';
export { checkFeatureRecord } from './feature-record.js';
export {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  type BundleManifest,
  type DataRecord,
  FEATURE_BUNDLE_FORMAT_VERSION,
  type FeatureSpecRecord,
  type SequenceRecord,
  TABLE_BUNDLE_FORMAT_VERSION,
  type TargetRecord,
  type ThresholdRecord,
  type WeightSpec,
} from './manifest.js';
export {
  checkSynthesizerBundleTarget,
  type LoadedSynthesizerBundle,
  readSynthesizerBundle,
  SYNTHESIZER_BUNDLE_FORMAT,
  SYNTHESIZER_BUNDLE_FORMAT_VERSION,
  type SynthesizerBundleContent,
  type SynthesizerBundleManifest,
  type SynthesizerDataRecord,
  writeSynthesizerBundle,
} from './synthesizer-bundle.js';
