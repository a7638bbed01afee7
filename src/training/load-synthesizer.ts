import { type LoadedSynthesizerBundle, readSynthesizerBundle } from '../bundle/synthesizer-bundle.js';
import { BundleError, ConfigError } from '../errors.js';
import { restoreSynthesizer } from '../synthesis/registry.js';
import type { Synthesizer } from '../synthesis/synthesizer.js';

/** A verified synthesizer bundle and the synthesizer rebuilt from it, ready to sample. */
export interface LoadedSynthesizer {
  bundle: LoadedSynthesizerBundle;
  synthesizer: Synthesizer;
}

/**
 * Reads a synthesizer bundle (every checksum verified) and restores its synthesizer.
 *
 * @throws BundleError as `readSynthesizerBundle`, or `bundle_unsupported` for a synthesizer kind
 *   this build does not have, `bundle_corrupted` for a state that does not restore
 */
export async function loadSynthesizer(dir: string): Promise<LoadedSynthesizer> {
  const bundle = await readSynthesizerBundle(dir);
  try {
    return { bundle, synthesizer: await restoreSynthesizer(bundle.manifest.synthesizer, bundle.weights) };
  } catch (error) {
    if (error instanceof ConfigError && error.code === 'unknown_synthesizer')
      throw new BundleError('bundle_unsupported', `synthesizer bundle ${dir}: ${error.message}`, { cause: error });
    if (error instanceof ConfigError)
      throw new BundleError('bundle_corrupted', `synthesizer bundle ${dir}: ${error.message}`, { cause: error });
    throw error;
  }
}
