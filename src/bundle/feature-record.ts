import { BundleError, VigilError } from '../errors.js';
import { featureSpecSha256, parseFeatureSpec } from '../features/index.js';
import type { BundleManifest } from './manifest.js';

/**
 * Checks a bundle's feature spec record against the spec it holds: the spec must still be a valid
 * spec, hash to `specSha256`, list `featureNames` in order and, for a sequence model, have the
 * recorded sequence settings, which must fit the model's inputs. The manifest is covered by
 * `SHA256SUMS` already; this catches a spec edited with the checksums redone, or a record and spec
 * that disagree, before any event is scored with features the model never saw.
 *
 * @throws BundleError `bundle_corrupted`
 */
export function checkFeatureRecord(dir: string, manifest: BundleManifest): void {
  const record = manifest.features;
  if (record === undefined) return;
  const refuse: (why: string, cause?: unknown) => never = (why, cause) => {
    throw new BundleError('bundle_corrupted', `model bundle ${dir}: the recorded feature spec ${why}`, { cause });
  };
  if (typeof record !== 'object' || record === null || typeof record.spec !== 'object') refuse('is missing');
  try {
    parseFeatureSpec(record.spec);
  } catch (cause) {
    refuse(`is not a valid spec: ${cause instanceof VigilError ? cause.message : String(cause)}`, cause);
  }
  if (featureSpecSha256(record.spec) !== record.specSha256)
    refuse(`does not match its sha256 ${String(record.specSha256)} (altered?)`);
  const names = record.spec.features.map((f) => f.name);
  if (!Array.isArray(record.featureNames) || names.join('\u0000') !== record.featureNames.join('\u0000'))
    refuse('has other features than the bundle lists');
  if (record.input === 'features') {
    if (record.sequence !== undefined) refuse('has sequence settings for a model of single transactions');
    return;
  }
  if (record.input !== 'sequences') refuse(`has an unknown input '${String(record.input)}'`);
  const s = record.sequence;
  const specSequence = record.spec.sequence;
  if (s === undefined || specSequence === undefined) refuse('has no sequence for a sequence model');
  const stepFeatures = specSequence.features ?? names;
  if (
    (specSequence.key ?? 'customerId') !== s.key ||
    specSequence.length !== s.previous ||
    s.steps !== s.previous + 1 ||
    stepFeatures.join('\u0000') !== s.features.join('\u0000')
  )
    refuse('has other sequence settings than the bundle lists');
  if (manifest.model.nInputs !== s.steps * s.features.length)
    refuse(`gives ${s.steps} × ${s.features.length} sequence inputs, the model takes ${manifest.model.nInputs}`);
}
