import { rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { addBundleFile, type BundleManifest, readBundle } from '../bundle/index.js';
import { ConfigError, DataError } from '../errors.js';
import { estimatorFromState, isNetworkEstimator } from '../models/index.js';
import { networkToOnnx } from '../onnx/index.js';
import { VIGIL_VERSION } from '../training/version.js';
import { IMPORTED_MODEL_KIND } from './imported-onnx-model.js';

/** The default export file inside the bundle. */
export const DEFAULT_ONNX_FILE = 'model.onnx';

export interface ExportJobOptions {
  modelDir: string;
  format: 'onnx';
  /** Output file (default `<modelDir>/model.onnx`). With several networks, `-<network>` is added before the extension. */
  outPath?: string;
}

export interface ExportedFile {
  /** The network's name in the estimator (`mlp`, `mlp_0`, …). */
  network: string;
  path: string;
  bytes: number;
  /** Written inside the bundle and listed in its SHA256SUMS. */
  checksummed: boolean;
  inputShape: number[];
}

export interface ExportJobResult {
  files: ExportedFile[];
  /** What a consumer of the files must know (how to turn outputs into scores, what is not exported). */
  notes: string[];
}

/** How to read the network's raw output, per task, for the file's metadata and the notes. */
function outputNote(manifest: BundleManifest): string {
  switch (manifest.target.task) {
    case 'binary':
      return `output is the logit of P(${manifest.target.column} = ${manifest.target.positive ?? manifest.target.classes[1]}): apply sigmoid`;
    case 'multiclass':
      return `output holds one logit per class (${manifest.target.classes.join(', ')}): apply softmax`;
    case 'regression':
      return 'output is the standardised prediction: multiply by vigil.target_std and add vigil.target_mean';
  }
}

/** Regression networks learn a standardised target; the scale lives in the model state, not the network. */
function targetScale(manifest: BundleManifest, network: string): Record<string, string> {
  const extra = manifest.model.extra ?? {};
  let state: Record<string, unknown> | undefined = extra;
  const member = /^mlp_(\d+)$/.exec(network);
  if (member && Array.isArray(extra.members)) {
    state = (extra.members[Number(member[1])] as { extra?: Record<string, unknown> } | undefined)?.extra;
  }
  const mean = state?.targetMean;
  const std = state?.targetStd;
  return typeof mean === 'number' && typeof std === 'number'
    ? { 'vigil.target_mean': String(mean), 'vigil.target_std': String(std) }
    : {};
}

async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const info = await stat(dirname(path)).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new ConfigError('unwritable_file', `${path}: the directory ${dirname(path)} does not exist`);
  }
  const partial = `${path}.partial-${process.pid}`;
  await writeFile(partial, bytes);
  await rename(partial, path);
}

/**
 * Exports the networks of an `mlp` or `ensemble` bundle as ONNX files (one per network). The
 * files take the preprocessed feature matrix (the bundle's `featureNames`, recorded in each
 * file's metadata) and return the raw network outputs; see `notes` for the link function.
 * A file written inside the bundle directory is added to its SHA256SUMS (see addBundleFile), so
 * the bundle still verifies and the file is checked with it.
 *
 * @throws DataError `not_a_network` for logistic and imported bundles; BundleError when the bundle does not verify.
 * @example
 * const { files } = await runExportJob({ modelDir: 'models/pd', format: 'onnx' }); // models/pd/model.onnx
 */
export async function runExportJob(options: ExportJobOptions): Promise<ExportJobResult> {
  if (options.format !== 'onnx') {
    throw new ConfigError('invalid_flag', `--format must be onnx, got ${JSON.stringify(options.format)}`);
  }
  const dir = options.modelDir;
  const { manifest, weights } = await readBundle(dir);
  if (manifest.model.kind === IMPORTED_MODEL_KIND) {
    const file = String((manifest.model.params as { file?: unknown }).file);
    throw new DataError('not_a_network', `model bundle ${dir} already wraps an ONNX model: ${join(dir, file)}`);
  }
  const estimator = estimatorFromState(manifest.model, weights);
  if (!isNetworkEstimator(estimator)) {
    throw new DataError(
      'not_a_network',
      `model bundle ${dir} holds a ${manifest.model.kind} model; export applies to network models (mlp, ensemble)`,
    );
  }
  const networks = estimator.networks();
  const base = options.outPath ?? join(dir, DEFAULT_ONNX_FILE);
  const featureNames = (manifest.preprocessing as { featureNames?: unknown }).featureNames;
  const files: ExportedFile[] = [];
  for (const network of networks) {
    const ext = extname(base);
    const path = networks.length === 1 ? base : `${base.slice(0, base.length - ext.length)}-${network.name}${ext}`;
    const bytes = networkToOnnx(network.spec, network.weights, {
      graphName: network.name,
      producerVersion: VIGIL_VERSION,
      docString: `Vigil ${manifest.model.kind} network '${network.name}' for ${manifest.target.column} (${manifest.target.task}); ${outputNote(manifest)}.`,
      metadata: {
        'vigil.model': manifest.model.kind,
        'vigil.network_name': network.name,
        'vigil.task': manifest.target.task,
        'vigil.target': manifest.target.column,
        'vigil.classes': JSON.stringify(manifest.target.classes),
        'vigil.output': outputNote(manifest),
        ...(Array.isArray(featureNames) ? { 'vigil.feature_names': JSON.stringify(featureNames) } : {}),
        ...(manifest.threshold ? { 'vigil.threshold': String(manifest.threshold.value) } : {}),
        ...targetScale(manifest, network.name),
      },
    });
    const inside = resolve(dirname(path)) === resolve(dir);
    if (inside) await addBundleFile(dir, basename(path), bytes);
    else await writeAtomically(path, bytes);
    files.push({
      network: network.name,
      path,
      bytes: bytes.length,
      checksummed: inside,
      inputShape: network.spec.inputShape,
    });
  }
  const notes = [
    'inputs are the preprocessed features (vigil.feature_names in the file metadata), not the raw columns',
    outputNote(manifest),
  ];
  if (manifest.model.kind === 'ensemble') {
    notes.push(
      'an ensemble blends these networks with a logistic model (weights in the bundle manifest); the files hold the networks only',
    );
  }
  return { files, notes };
}
