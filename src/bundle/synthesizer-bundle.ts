import type { Schema } from '../data/table.js';
import { BundleError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import type { SynthesizerState } from '../synthesis/synthesizer.js';
import {
  type BundleKind,
  checkBundleDirectoryTarget,
  decodeWeights,
  encodeWeights,
  readChecksummedFiles,
  readVerifiedManifest,
  sha256,
  WEIGHTS_FILE,
  writeBundleDirectory,
} from './bundle-files.js';
import type { WeightSpec } from './manifest.js';

export const SYNTHESIZER_BUNDLE_FORMAT = 'vigil-synthesizer-bundle';
/** The newest synthesizer bundle format this Vigil reads and writes. */
export const SYNTHESIZER_BUNDLE_FORMAT_VERSION = 1;

const SYNTHESIZER_BUNDLE: BundleKind = { noun: 'synthesizer bundle', format: SYNTHESIZER_BUNDLE_FORMAT };

/** Where a synthesizer's training data came from and what of it was left out. */
export interface SynthesizerDataRecord {
  /** sha256 (hex) of the training file's bytes. */
  fingerprint: string;
  file: string;
  nRows: number;
  /** Columns of the file the synthesizer does not generate, with the reason (identifier, datetime, --drop). */
  droppedColumns: { name: string; reason: string }[];
}

/**
 * `manifest.json` of a synthesizer bundle: everything needed to sample apart from the weight
 * bytes (which are in `weights.bin`, TF.js layout), with the same checksum rules as model bundles.
 */
export interface SynthesizerBundleManifest {
  format: typeof SYNTHESIZER_BUNDLE_FORMAT;
  formatVersion: number;
  createdAt: string;
  /** The synthesizer's state: kind, params, fitted schema, fitted transforms. */
  synthesizer: SynthesizerState;
  /** The columns the synthesizer was fitted on and generates (name and kind), in order. */
  inputSchema: Schema;
  /** How sampled values are written back to CSV, e.g. the data's own spelling of booleans. */
  output?: { booleans?: Record<string, { true: string; false: string }> };
  data: SynthesizerDataRecord;
  /** Training record: epochs run (0 for closed-form synthesizers), fit time, per-epoch losses. */
  training: { epochs: number; fitMs: number; history: Record<string, number>[] };
  versions: Record<string, string>;
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[];
  files: Record<string, string>;
}

/** The manifest fields a caller provides. */
export type SynthesizerBundleContent = Omit<
  SynthesizerBundleManifest,
  'format' | 'formatVersion' | 'weightsManifest' | 'files'
>;

/**
 * Refuses a `--out` that exists and is neither empty nor a synthesizer bundle (a model bundle is
 * not replaced by a synthesizer either). Call before fitting.
 *
 * @throws ConfigError `out_not_bundle`
 */
export async function checkSynthesizerBundleTarget(dir: string): Promise<void> {
  await checkBundleDirectoryTarget(dir, SYNTHESIZER_BUNDLE);
}

/**
 * Writes a synthesizer bundle (`manifest.json`, `weights.bin`, `SHA256SUMS`) atomically, like a
 * model bundle.
 *
 * @example
 * await writeSynthesizerBundle('synth/taiwan', { createdAt, synthesizer: copula.toJSON(), inputSchema, data, training, versions }, copula.getWeights());
 */
export async function writeSynthesizerBundle(
  dir: string,
  content: SynthesizerBundleContent,
  weights: NamedWeight[],
): Promise<SynthesizerBundleManifest> {
  const { bytes, specs } = encodeWeights(weights);
  const manifest: SynthesizerBundleManifest = {
    format: SYNTHESIZER_BUNDLE_FORMAT,
    formatVersion: SYNTHESIZER_BUNDLE_FORMAT_VERSION,
    ...content,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    files: { [WEIGHTS_FILE]: sha256(bytes) },
  };
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeBundleDirectory(dir, manifestBytes, [[WEIGHTS_FILE, bytes]], SYNTHESIZER_BUNDLE);
  return manifest;
}

/** A verified synthesizer bundle. */
export interface LoadedSynthesizerBundle {
  dir: string;
  manifest: SynthesizerBundleManifest;
  weights: NamedWeight[];
}

/**
 * Reads and verifies a synthesizer bundle: every file listed in `SHA256SUMS` must be there with
 * its sha256, the weights must have the bytes their specs describe, and the format must be a
 * synthesizer bundle this Vigil reads.
 *
 * @throws BundleError `bundle_not_found`, `bundle_corrupted` (altered, incomplete, or another
 *   format such as a model bundle), `bundle_version`
 */
export async function readSynthesizerBundle(dir: string): Promise<LoadedSynthesizerBundle> {
  const { sums, manifest: parsed } = await readVerifiedManifest(dir, SYNTHESIZER_BUNDLE);
  const manifest = parsed as SynthesizerBundleManifest;
  if (manifest.format !== SYNTHESIZER_BUNDLE_FORMAT) {
    throw new BundleError(
      'bundle_corrupted',
      `${dir} is not a Vigil synthesizer bundle (format ${String(manifest.format)})`,
    );
  }
  if (!(manifest.formatVersion <= SYNTHESIZER_BUNDLE_FORMAT_VERSION)) {
    throw new BundleError(
      'bundle_version',
      `synthesizer bundle ${dir} has format version ${manifest.formatVersion}; this Vigil reads up to ${SYNTHESIZER_BUNDLE_FORMAT_VERSION}`,
    );
  }
  if (manifest.synthesizer === undefined || manifest.files?.[WEIGHTS_FILE] === undefined) {
    throw new BundleError('bundle_corrupted', `synthesizer bundle ${dir}: the manifest has no synthesizer or weights`);
  }
  const verified = await readChecksummedFiles(dir, sums, manifest.files, SYNTHESIZER_BUNDLE);
  const { weights } = decodeWeights(dir, manifest.weightsManifest ?? [], manifest.files, verified, SYNTHESIZER_BUNDLE);
  return { dir, manifest, weights };
}
