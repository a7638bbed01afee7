import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleError, ConfigError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import { checkFeatureRecord } from './feature-record.js';
import {
  BUNDLE_FORMAT,
  BUNDLE_FORMAT_VERSION,
  type BundleManifest,
  FEATURE_BUNDLE_FORMAT_VERSION,
  TABLE_BUNDLE_FORMAT_VERSION,
  type WeightSpec,
} from './manifest.js';

const MANIFEST_FILE = 'manifest.json';
const WEIGHTS_FILE = 'weights.bin';
/** Covers manifest.json too, which cannot hold its own hash. Same format as `sha256sum`. */
const CHECKSUMS_FILE = 'SHA256SUMS';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

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

/** Names the bundle format itself uses. */
const RESERVED_FILES = new Set([MANIFEST_FILE, WEIGHTS_FILE, CHECKSUMS_FILE]);

/**
 * A plain file name inside the bundle directory: no path separators or `..`, so neither a writer
 * nor a crafted SHA256SUMS line can reach outside the bundle.
 */
function isBundleFileName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) && !name.includes('..');
}

function checkExtraFileName(name: string): void {
  if (!isBundleFileName(name) || RESERVED_FILES.has(name) || name.includes('.tmp-')) {
    throw new BundleError('bundle_invalid', `'${name}' cannot be a bundle file name`);
  }
}

function encodeWeights(weights: NamedWeight[]): { bytes: Uint8Array; specs: WeightSpec[] } {
  const total = weights.reduce((n, w) => n + w.values.length, 0);
  const all = new Float32Array(total);
  const specs: WeightSpec[] = [];
  let offset = 0;
  for (const w of weights) {
    const expected = w.shape.reduce((a, b) => a * b, 1);
    if (expected !== w.values.length) {
      throw new BundleError('bundle_invalid', `weight ${w.name} has ${w.values.length} values for shape [${w.shape}]`);
    }
    all.set(w.values, offset);
    offset += w.values.length;
    specs.push({ name: w.name, shape: [...w.shape], dtype: 'float32' });
  }
  // TF.js weight files are little-endian float32, which is what every platform Node runs on uses.
  return { bytes: new Uint8Array(all.buffer), specs };
}

/**
 * Refuses a bundle target that exists and is not a bundle (a non-empty directory without
 * `manifest.json`, or a file): writing a bundle replaces its directory whole, and `--out .` must
 * never wipe a user's working directory. Training jobs call this before they start.
 *
 * @throws ConfigError `out_not_bundle`
 */
export async function checkBundleTarget(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return;
  const entries = info.isDirectory() ? await readdir(dir) : ['(a file)'];
  if (entries.length > 0 && !entries.includes(MANIFEST_FILE)) {
    throw new ConfigError('out_not_bundle', `${dir} exists and is not a model bundle; choose a new --out directory`);
  }
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
  let sums = `${sha256(manifestBytes)}  ${MANIFEST_FILE}\n`;
  for (const [name, digest] of Object.entries(files)) sums += `${digest}  ${name}\n`;

  await checkBundleTarget(dir);
  const staging = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, WEIGHTS_FILE), bytes);
  for (const [name, fileBytes] of extra) await writeFile(join(staging, name), fileBytes);
  await writeFile(join(staging, MANIFEST_FILE), manifestBytes);
  await writeFile(join(staging, CHECKSUMS_FILE), sums);
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
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

async function readOrFail(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new BundleError('bundle_corrupted', `model bundle is missing ${what} (${path})`, { cause });
  }
}

function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const match = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    if (!match || !isBundleFileName(match[2] as string)) {
      throw new BundleError('bundle_corrupted', `SHA256SUMS has a malformed line: ${JSON.stringify(line)}`);
    }
    sums.set(match[2] as string, match[1] as string);
  }
  return sums;
}

/**
 * Reads and verifies a bundle. Every file listed in `SHA256SUMS` must be present with that
 * sha256, every file of the manifest's `files` must be listed there with the same digest, and the
 * weights must have exactly the bytes their specs describe, and a recorded feature spec must match
 * its sha256 and the features and sequences the bundle lists. Anything else is refused with a
 * `BundleError` (`bundle_not_found`, `bundle_corrupted`, `bundle_version`).
 */
export async function readBundle(dir: string): Promise<LoadedBundle> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new BundleError('bundle_not_found', `no model bundle at ${dir}`);

  const sums = parseChecksums((await readOrFail(join(dir, CHECKSUMS_FILE), CHECKSUMS_FILE)).toString('utf8'));
  const manifestBytes = await readOrFail(join(dir, MANIFEST_FILE), MANIFEST_FILE);
  if (sums.get(MANIFEST_FILE) !== sha256(manifestBytes)) {
    throw new BundleError(
      'bundle_corrupted',
      `model bundle ${dir}: manifest.json does not match its checksum (altered?)`,
    );
  }
  let manifest: BundleManifest;
  try {
    manifest = JSON.parse(manifestBytes.toString('utf8')) as BundleManifest;
  } catch (cause) {
    throw new BundleError('bundle_corrupted', `model bundle ${dir}: manifest.json is not valid JSON`, { cause });
  }
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
  const verified = new Map<string, Buffer>();
  for (const [file, digest] of sums) {
    if (file === MANIFEST_FILE) continue;
    const bytes = await readOrFail(join(dir, file), file);
    if (sha256(bytes) !== digest) {
      throw new BundleError('bundle_corrupted', `model bundle ${dir}: ${file} does not match its checksum (altered?)`);
    }
    verified.set(file, bytes);
  }
  for (const [file, digest] of Object.entries(manifest.files ?? {})) {
    if (sums.get(file) !== digest) {
      throw new BundleError(
        'bundle_corrupted',
        `model bundle ${dir}: ${file} is not covered by SHA256SUMS as the manifest says (altered?)`,
      );
    }
  }

  const weights: NamedWeight[] = [];
  const weightFiles = new Set<string>();
  for (const group of manifest.weightsManifest ?? []) {
    const chunks: Buffer[] = [];
    for (const file of group.paths) {
      const bytes = verified.get(file);
      if (bytes === undefined || manifest.files?.[file] === undefined) {
        throw new BundleError('bundle_corrupted', `model bundle ${dir}: weights file ${file} has no checksum`);
      }
      weightFiles.add(file);
      chunks.push(bytes);
    }
    const all = Buffer.concat(chunks);
    const expectedBytes = group.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    if (all.byteLength !== expectedBytes) {
      throw new BundleError(
        'bundle_corrupted',
        `model bundle ${dir}: weights hold ${all.byteLength} bytes, expected ${expectedBytes}`,
      );
    }
    // Copy into an aligned buffer: Buffer pooling can leave the bytes at an unaligned offset.
    const floats = new Float32Array(new Uint8Array(all).buffer);
    let offset = 0;
    for (const spec of group.weights) {
      const size = spec.shape.reduce((a, b) => a * b, 1);
      weights.push({ name: spec.name, shape: spec.shape, values: floats.slice(offset, offset + size) });
      offset += size;
    }
  }

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
  const sums = parseChecksums((await readOrFail(sumsPath, CHECKSUMS_FILE)).toString('utf8'));
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
