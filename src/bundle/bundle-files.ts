import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BundleError, ConfigError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import type { WeightSpec } from './manifest.js';

/**
 * The directory format model and synthesizer bundles share: `manifest.json`, `weights.bin` in the
 * TF.js weights layout, further files, and `SHA256SUMS` over all of them; written to a staging
 * sibling and renamed, read back only after every checksum verifies. The two bundle kinds differ
 * only in their manifests.
 */

export const MANIFEST_FILE = 'manifest.json';
export const WEIGHTS_FILE = 'weights.bin';
/** Covers manifest.json too, which cannot hold its own hash. Same format as `sha256sum`. */
export const CHECKSUMS_FILE = 'SHA256SUMS';

/** Names the bundle format itself uses. */
const RESERVED_FILES = new Set([MANIFEST_FILE, WEIGHTS_FILE, CHECKSUMS_FILE]);

/** sha256 (hex) of some bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * A plain file name inside the bundle directory: no path separators or `..`, so neither a writer
 * nor a crafted SHA256SUMS line can reach outside the bundle.
 */
export function isBundleFileName(name: string): boolean {
  return /^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name) && !name.includes('..');
}

/** @throws BundleError `bundle_invalid` for a name a bundle cannot hold as an extra file. */
export function checkExtraFileName(name: string): void {
  if (!isBundleFileName(name) || RESERVED_FILES.has(name) || name.includes('.tmp-')) {
    throw new BundleError('bundle_invalid', `'${name}' cannot be a bundle file name`);
  }
}

/** Weights as one little-endian float32 buffer and their TF.js weight specs, in order. */
export function encodeWeights(weights: NamedWeight[]): { bytes: Uint8Array; specs: WeightSpec[] } {
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

/** What a bundle kind calls itself in messages and which manifest format it may replace. */
export interface BundleKind {
  /** e.g. `model bundle`, `synthesizer bundle`. */
  noun: string;
  /** The manifest `format` of this kind; an existing bundle of another format is not replaced. */
  format?: string;
}

/**
 * Refuses a bundle target that exists and is not a bundle (a non-empty directory without
 * `manifest.json`, or a file; with `kind.format`, also a bundle of another format): writing a
 * bundle replaces its directory whole, and `--out .` must never wipe a user's working directory.
 * Jobs call this before they start.
 *
 * @throws ConfigError `out_not_bundle`
 */
export async function checkBundleDirectoryTarget(dir: string, kind: BundleKind): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined) return;
  const entries = info.isDirectory() ? await readdir(dir) : ['(a file)'];
  if (entries.length === 0) return;
  const refuse = () =>
    new ConfigError('out_not_bundle', `${dir} exists and is not a ${kind.noun}; choose a new --out directory`);
  if (!entries.includes(MANIFEST_FILE)) throw refuse();
  if (kind.format !== undefined) {
    const format = await readFile(join(dir, MANIFEST_FILE), 'utf8')
      .then((text) => (JSON.parse(text) as { format?: unknown }).format)
      .catch(() => undefined);
    if (format !== kind.format) throw refuse();
  }
}

/**
 * Writes a bundle directory: the files (the weights first, as listed), then `manifest.json` and
 * `SHA256SUMS` (the manifest's line first, then the files in order). Everything goes to a
 * temporary sibling that is renamed over `dir`, so an interrupted write never leaves a half bundle
 * under the final name.
 */
export async function writeBundleDirectory(
  dir: string,
  manifestBytes: Uint8Array,
  files: [name: string, bytes: Uint8Array][],
  kind: BundleKind,
): Promise<void> {
  let sums = `${sha256(manifestBytes)}  ${MANIFEST_FILE}\n`;
  for (const [name, bytes] of files) sums += `${sha256(bytes)}  ${name}\n`;
  await checkBundleDirectoryTarget(dir, kind);
  const staging = `${dir.replace(/\/+$/, '')}.tmp-${process.pid}`;
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { recursive: true });
  for (const [name, bytes] of files) await writeFile(join(staging, name), bytes);
  await writeFile(join(staging, MANIFEST_FILE), manifestBytes);
  await writeFile(join(staging, CHECKSUMS_FILE), sums);
  await rm(dir, { recursive: true, force: true });
  await rename(staging, dir);
}

/** Reads a bundle file; a missing or unreadable one makes the bundle `bundle_corrupted` (incomplete). */
export async function readOrFail(path: string, what: string, kind: BundleKind): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (cause) {
    throw new BundleError('bundle_corrupted', `${kind.noun} is missing ${what} (${path})`, { cause });
  }
}

/** Parses a `SHA256SUMS` file: file name → digest. */
export function parseChecksums(text: string): Map<string, string> {
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
 * Reads a bundle's `SHA256SUMS` and `manifest.json`, checks the manifest against its checksum
 * and parses it. The caller checks the format before {@link readChecksummedFiles}.
 *
 * @throws BundleError `bundle_not_found`, `bundle_corrupted`
 */
export async function readVerifiedManifest(
  dir: string,
  kind: BundleKind,
): Promise<{ sums: Map<string, string>; manifest: unknown }> {
  const info = await stat(dir).catch(() => undefined);
  if (!info?.isDirectory()) throw new BundleError('bundle_not_found', `no ${kind.noun} at ${dir}`);
  const sums = parseChecksums((await readOrFail(join(dir, CHECKSUMS_FILE), CHECKSUMS_FILE, kind)).toString('utf8'));
  const manifestBytes = await readOrFail(join(dir, MANIFEST_FILE), MANIFEST_FILE, kind);
  if (sums.get(MANIFEST_FILE) !== sha256(manifestBytes)) {
    throw new BundleError(
      'bundle_corrupted',
      `${kind.noun} ${dir}: manifest.json does not match its checksum (altered?)`,
    );
  }
  try {
    return { sums, manifest: JSON.parse(manifestBytes.toString('utf8')) };
  } catch (cause) {
    throw new BundleError('bundle_corrupted', `${kind.noun} ${dir}: manifest.json is not valid JSON`, { cause });
  }
}

/**
 * Reads every file `SHA256SUMS` lists (but the manifest) and checks its digest, and checks that
 * every file of the manifest's `files` is listed there with the same digest. Returns the verified
 * bytes, so no one reads a file again after its check.
 *
 * @throws BundleError `bundle_corrupted`
 */
export async function readChecksummedFiles(
  dir: string,
  sums: Map<string, string>,
  manifestFiles: Record<string, string>,
  kind: BundleKind,
): Promise<Map<string, Buffer>> {
  const verified = new Map<string, Buffer>();
  for (const [file, digest] of sums) {
    if (file === MANIFEST_FILE) continue;
    const bytes = await readOrFail(join(dir, file), file, kind);
    if (sha256(bytes) !== digest) {
      throw new BundleError('bundle_corrupted', `${kind.noun} ${dir}: ${file} does not match its checksum (altered?)`);
    }
    verified.set(file, bytes);
  }
  for (const [file, digest] of Object.entries(manifestFiles)) {
    if (sums.get(file) !== digest) {
      throw new BundleError(
        'bundle_corrupted',
        `${kind.noun} ${dir}: ${file} is not covered by SHA256SUMS as the manifest says (altered?)`,
      );
    }
  }
  return verified;
}

/**
 * Decodes the weights of a TF.js weights manifest from verified files; every weights file must be
 * verified and listed in the manifest's `files`, and hold exactly the bytes its specs describe.
 *
 * @throws BundleError `bundle_corrupted`
 */
export function decodeWeights(
  dir: string,
  weightsManifest: { paths: string[]; weights: WeightSpec[] }[],
  manifestFiles: Record<string, string>,
  verified: Map<string, Buffer>,
  kind: BundleKind,
): { weights: NamedWeight[]; weightFiles: Set<string> } {
  const weights: NamedWeight[] = [];
  const weightFiles = new Set<string>();
  for (const group of weightsManifest) {
    const chunks: Buffer[] = [];
    for (const file of group.paths) {
      const bytes = verified.get(file);
      if (bytes === undefined || manifestFiles[file] === undefined) {
        throw new BundleError('bundle_corrupted', `${kind.noun} ${dir}: weights file ${file} has no checksum`);
      }
      weightFiles.add(file);
      chunks.push(bytes);
    }
    const all = Buffer.concat(chunks);
    const expectedBytes = group.weights.reduce((n, w) => n + 4 * w.shape.reduce((a, b) => a * b, 1), 0);
    if (all.byteLength !== expectedBytes) {
      throw new BundleError(
        'bundle_corrupted',
        `${kind.noun} ${dir}: weights hold ${all.byteLength} bytes, expected ${expectedBytes}`,
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
  return { weights, weightFiles };
}
