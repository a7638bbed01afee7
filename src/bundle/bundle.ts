import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, type BundleManifest, type WeightSpec } from './manifest.js';

const MANIFEST_FILE = 'manifest.json';
const WEIGHTS_FILE = 'weights.bin';
/** Covers manifest.json too, which cannot hold its own hash. Same format as `sha256sum`. */
const CHECKSUMS_FILE = 'SHA256SUMS';

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The manifest fields a caller provides; format, weights manifest and checksums are filled in. */
export type BundleContent = Omit<BundleManifest, 'format' | 'formatVersion' | 'weightsManifest' | 'files'>;

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
): Promise<BundleManifest> {
  const { bytes, specs } = encodeWeights(weights);
  const manifest: BundleManifest = {
    format: BUNDLE_FORMAT,
    formatVersion: BUNDLE_FORMAT_VERSION,
    ...content,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: specs }],
    files: { [WEIGHTS_FILE]: sha256(bytes) },
  };
  const manifestBytes = new TextEncoder().encode(`${JSON.stringify(manifest, null, 2)}\n`);
  const sums = `${sha256(manifestBytes)}  ${MANIFEST_FILE}\n${sha256(bytes)}  ${WEIGHTS_FILE}\n`;

  const staging = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  await writeFile(join(staging, WEIGHTS_FILE), bytes);
  await writeFile(join(staging, MANIFEST_FILE), manifestBytes);
  await writeFile(join(staging, CHECKSUMS_FILE), sums);
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
  return manifest;
}

/** A verified bundle: the manifest and its weights, in manifest order. */
export interface LoadedBundle {
  dir: string;
  manifest: BundleManifest;
  weights: NamedWeight[];
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
    if (!match) throw new BundleError('bundle_corrupted', `SHA256SUMS has a malformed line: ${JSON.stringify(line)}`);
    sums.set(match[2] as string, match[1] as string);
  }
  return sums;
}

/**
 * Reads and verifies a bundle. Every file's sha256 must match `SHA256SUMS` and the manifest's
 * own `files` entries; the weights must have exactly the bytes their specs describe. Anything
 * else is refused with a `BundleError` (`bundle_not_found`, `bundle_corrupted`, `bundle_version`).
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

  const weights: NamedWeight[] = [];
  for (const group of manifest.weightsManifest ?? []) {
    const chunks: Buffer[] = [];
    for (const file of group.paths) {
      const bytes = await readOrFail(join(dir, file), file);
      const digest = sha256(bytes);
      if (sums.get(file) !== digest || manifest.files?.[file] !== digest) {
        throw new BundleError(
          'bundle_corrupted',
          `model bundle ${dir}: ${file} does not match its checksum (altered?)`,
        );
      }
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

  // A file listed in the checksums but gone, or a checksum for a file the manifest doesn't know, is damage too.
  const present = new Set(await readdir(dir));
  for (const file of sums.keys()) {
    if (!present.has(file)) throw new BundleError('bundle_corrupted', `model bundle ${dir}: ${file} is missing`);
  }
  return { dir, manifest, weights };
}
