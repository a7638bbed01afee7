import { rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import {
  type BundleKind,
  CHECKSUMS_FILE,
  checkBundleDirectoryTarget,
  checkExtraFileName,
  decodeWeights,
  encodeWeights,
  parseChecksums,
  readChecksummedFiles,
  readOrFail,
  readVerifiedManifest,
  sha256,
  WEIGHTS_FILE,
  writeBundleDirectory,
} from './bundle-files.js';
import { checkFeatureRecord } from './feature-record.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  type BundleManifest,
  FEATURE_BUNDLE_FORMAT_VERSION,
  TABLE_BUNDLE_FORMAT_VERSION,
} from './manifest.js';

const MODEL_BUNDLE: BundleKind = { noun: 'model bundle' };

/** The manifest fields a caller provides; format, weights manifest and checksums are filled in. */
export type BundleContent = Omit<BundleManifest, 'format' | 'formatVersion' | 'weightsManifest' | 'files'>;

/** Options of {@link writeBundle}. */
export interface WriteBundleOptions {
  /**
   * Further files the model needs to score (e.g. an imported `model.onnx`), by file name. Each is
   * listed in the manifest's `files` and in `SHA256SUMS`, so it is verified like the weights.
   */
  files?: Record<string, Uint8Array>;
}

/**
 * Refuses a bundle target that exists and is not a bundle (a non-empty directory without
 * `manifest.json`, or a file): writing a bundle replaces its directory whole, and `--out .` must
 * never wipe a user's working directory. Training jobs call this before they start.
 *
 * @throws ConfigError `out_not_bundle`
 */
export async function checkBundleTarget(dir: string): Promise<void> {
  await checkBundleDirectoryTarget(dir, MODEL_BUNDLE);
}

/**
 * Writes a model bundle directory: `manifest.json`, `weights.bin` (TF.js weights format) and
 * `SHA256SUMS`. Files are written to a temporary sibling and renamed, so an interrupted write
 * never leaves a half bundle under the final name.
 *
 * @example
 * await writeBundle('models/pd-v1', { createdAt, inputSchema, target, preprocessing, model, metrics, data, versions }, weights);
 */
export async function writeBundle(
  dir: string,
  content: BundleContent,
  weights: NamedWeight[],
  options: WriteBundleOptions = {},
): Promise<BundleManifest> {
  const { bytes, specs } = encodeWeights(weights);
  const extra = Object.entries(options.files ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [name] of extra) checkExtraFileName(name);
  const files: Record<string, string> = { [WEIGHTS_FILE]: sha256(bytes) };
  for (const [name, fileBytes] of extra) files[name] = sha256(fileBytes);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    // Only bundles with a feature spec need a reader that knows specs; the rest stay readable by older ones.
    formatVersion: content.features === undefined ? TABLE_BUNDLE_FORMAT_VERSION : FEATURE_BUNDLE_FORMAT_VERSION,
    ...content,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    files,
  };
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  await writeBundleDirectory(dir, manifestBytes, [[WEIGHTS_FILE, bytes], ...extra], MODEL_BUNDLE);
  return manifest;
}

/** A verified bundle: the manifest, its weights in manifest order, and its other files. */
export interface LoadedBundle {
  dir: string;
  manifest: BundleManifest;
  weights: NamedWeight[];
  /**
   * Every other file listed in `SHA256SUMS` (e.g. an imported `model.onnx`), by name, holding the
   * very bytes that were verified, so no one reads a file again after its check.
   */
  files: Record<string, Uint8Array>;
}

/**
 * Reads and verifies a bundle. Every file listed in `SHA256SUMS` must be present with that
 * sha256, every file of the manifest's `files` must be listed there with the same digest, and the
 * weights must have exactly the bytes their specs describe, and a recorded feature spec must match
 * its sha256 and the features and sequences the bundle lists. Anything else is refused with a
 * `BundleError` (`bundle_not_found`, `bundle_corrupted`, `bundle_version`).
 */
export async function readBundle(dir: string): Promise<LoadedBundle> {
  const { sums, manifest: parsed } = await readVerifiedManifest(dir, MODEL_BUNDLE);
  const manifest = parsed as BundleManifest;
  if (manifest.format !== BUNDLE_FORMAT) {
    throw new BundleError('bundle_corrupted', `${dir} is not a Vigil model bundle (format ${String(manifest.format)})`);
  }
  if (manifest.formatVersion > BUNDLE_FORMAT_VERSION) {
    throw new BundleError(
      'bundle_version',
      `model bundle ${dir} has format version ${manifest.formatVersion}; this Vigil reads up to ${BUNDLE_FORMAT_VERSION}`,
    );
  }

  checkFeatureRecord(dir, manifest);

  // Every checksummed file, verified once; the manifest's files must be among them with the same digest.
  const manifestFiles = manifest.files ?? {};
  const verified = await readChecksummedFiles(dir, sums, manifestFiles, MODEL_BUNDLE);
  const { weights, weightFiles } = decodeWeights(
    dir,
    manifest.weightsManifest ?? [],
    manifestFiles,
    verified,
    MODEL_BUNDLE,
  );

  const files: Record<string, Uint8Array> = {};
  for (const [file, bytes] of verified) {
    if (!weightFiles.has(file)) files[file] = new Uint8Array(bytes);
  }
  return { dir, manifest, weights, files };
}

/**
 * Adds a derived file (e.g. `vigil export`'s `model.onnx`) to an existing, verified bundle and
 * lists it in `SHA256SUMS`, so `sha256sum -c SHA256SUMS` and {@link readBundle} check it like
 * every other file. The manifest stays byte-identical: the file is an artefact made from the
 * model, not part of what the model needs to score. Writing the same name again replaces it.
 *
 * @throws BundleError as {@link readBundle} when the bundle does not verify, or `bundle_invalid`
 *   for a name that is not a plain file name or that belongs to the model itself.
 */
export async function addBundleFile(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  checkExtraFileName(name);
  const { manifest } = await readBundle(dir);
  if (manifest.files?.[name] !== undefined) {
    throw new BundleError('bundle_invalid', `${name} is part of the model in bundle ${dir}; choose another name`);
  }
  const sumsPath = join(dir, CHECKSUMS_FILE);
  const sums = parseChecksums((await readOrFail(sumsPath, CHECKSUMS_FILE, MODEL_BUNDLE)).toString('utf8'));
  sums.set(name, sha256(bytes));
  let text = '';
  for (const [file, digest] of sums) text += `${digest}  ${file}\n`;
  // Each file appears under its final name only when complete (write, then rename).
  const suffix = `.tmp-${process.pid}`;
  await writeFile(join(dir, name + suffix), bytes);
  await writeFile(sumsPath + suffix, text);
  await rename(join(dir, name + suffix), join(dir, name));
  await rename(sumsPath + suffix, sumsPath);
}
