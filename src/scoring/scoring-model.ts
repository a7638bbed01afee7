import { type BundleManifest, type FeatureSpecRecord, type LoadedBundle, readBundle } from '../bundle/index.js';
import type { Table } from '../data/table.js';
import { createTfjsRunner, type NetworkRunner, type NetworkRunnerFactory } from '../engine/index.js';
import { BundleError, ConfigError, type VigilError } from '../errors.js';
import type { TransactionColumns } from '../features/index.js';
import type { Matrix } from '../matrix.js';
import type { Estimator } from '../models/estimator.js';
import { estimatorFromState, isNetworkEstimator } from '../models/index.js';
import { onnxRunnerFactory } from '../onnx/index.js';
import { TabularPipeline } from '../preprocessing/index.js';
import { modelInput, replayForModel, specPreprocessing } from '../training/feature-inputs.js';
import { IMPORTED_MODEL_KIND, type LoadedImportedModel, loadImportedModel } from './imported-onnx-model.js';

/** The runtimes a network model can score with. */
export type ScoringEngine = 'onnx' | 'tfjs';
export const SCORING_ENGINES: readonly ScoringEngine[] = ['onnx', 'tfjs'];

export interface LoadScoringModelOptions {
  /**
   * Runtime for the network(s) of `mlp` and `ensemble` bundles: `'onnx'` (default; onnxruntime on
   * the CPU, several times faster per call) or `'tfjs'` (TensorFlow.js on wasm, the runtime that
   * trained the model). Both agree within 1e-5. Models without a network (logistic) ignore it;
   * imported ONNX models take only `'onnx'`.
   */
  engine?: ScoringEngine;
  /** onnxruntime threads per operator (default 1, best for single rows and concurrent requests). */
  intraOpNumThreads?: number;
}

/**
 * A loaded, verified bundle ready to score: raw table in, model outputs out, through the same
 * preprocessing state that training fitted.
 */
export interface ScoringModel {
  dir: string;
  manifest: BundleManifest;
  /** The runtime scoring the network(s); undefined for a model without one (logistic). */
  engine: ScoringEngine | undefined;
  /** Raw table → model input matrix (the fitted tabular pipeline, or an imported model's passthrough). */
  pipeline: { transform(table: Table): Matrix };
  /** The rebuilt Vigil estimator; undefined for an imported ONNX model. */
  estimator: Estimator | undefined;
  /** Classification: n × k probabilities; regression: n × 1 predictions. */
  scoreTable(table: Table): Promise<Matrix>;
  /** The feature spec the model was trained with, for a bundle trained on transactions (`train --features`). */
  features: FeatureSpecRecord | undefined;
  /**
   * Spec bundles: replays transactions (in time order, read with `transactionsFromCsv` and the
   * recorded spec) through the feature executor from an empty state, as training did, and scores
   * `rows` (ascending; default every row): n × 2 probabilities. Every row is history for the
   * windows of later ones, so give the rows of interest with enough history before them.
   */
  scoreTransactions(tx: TransactionColumns, rows?: Int32Array): Promise<Matrix>;
  /** Frees the runtime's native or wasm memory; the model cannot score afterwards. */
  dispose(): void;
}

function rebuildError(dir: string, cause: unknown): VigilError {
  // onnxruntime and data errors already say what is wrong; name the bundle in front.
  const message = cause instanceof Error ? cause.message : String(cause);
  return new BundleError('bundle_invalid', `model bundle ${dir} could not be rebuilt: ${message}`, { cause });
}

function checkOptions(options: LoadScoringModelOptions): void {
  if (options.engine !== undefined && !SCORING_ENGINES.includes(options.engine)) {
    throw new ConfigError(
      'bad_option',
      `engine must be one of ${SCORING_ENGINES.join(', ')}, got ${JSON.stringify(options.engine)}`,
    );
  }
}

/**
 * Loads a bundle for scoring. Refuses a bundle whose checksums do not verify (see readBundle)
 * or whose preprocessing or model state cannot be rebuilt. Network models score through
 * onnxruntime unless `engine: 'tfjs'` is asked for.
 *
 * @throws ConfigError `unsupported_engine` for `engine: 'tfjs'` on an imported ONNX model.
 * @example
 * const model = await loadScoringModel('models/pd-v1', { engine: 'onnx' });
 * const proba = await model.scoreTable(table);
 * model.dispose();
 */
export async function loadScoringModel(dir: string, options: LoadScoringModelOptions = {}): Promise<ScoringModel> {
  checkOptions(options);
  const bundle = await readBundle(dir);
  const scorer =
    bundle.manifest.model.kind === IMPORTED_MODEL_KIND
      ? await importedScorer(bundle, options)
      : await estimatorScorer(bundle, options);
  const { predictProba, ...parts } = scorer;
  const record = bundle.manifest.features;
  return {
    dir,
    manifest: bundle.manifest,
    ...parts,
    features: record,
    scoreTable: (table) => predictProba(parts.pipeline.transform(table)),
    scoreTransactions: async (tx, rows) => {
      if (record === undefined)
        throw new ConfigError(
          'no_feature_spec',
          `model bundle ${dir} was trained on table columns, not on transaction features: score it with scoreTable`,
        );
      const selected = rows ?? Int32Array.from({ length: tx.nRows }, (_, i) => i);
      const replay = replayForModel(record, tx, selected);
      const preprocessing = specPreprocessing(record, bundle.manifest.preprocessing);
      // Model inputs a chunk at a time: a sequence row is (previous + 1) × features wide.
      const out = new Float32Array(selected.length * 2);
      for (let start = 0; start < selected.length; start += SCORE_CHUNK_ROWS) {
        const chunk = selected.subarray(start, Math.min(selected.length, start + SCORE_CHUNK_ROWS));
        const proba = await predictProba(modelInput(record, preprocessing, replay, chunk));
        out.set(proba.data, start * 2);
      }
      return { data: out, nRows: selected.length, nCols: 2 };
    },
  };
}

/** Rows per model call when scoring replayed transactions. */
const SCORE_CHUNK_ROWS = 8192;

/** The pipeline of a spec bundle: its inputs come from replayed transactions, never from table columns. */
function transactionsOnlyPipeline(dir: string, record: FeatureSpecRecord): { transform(table: Table): Matrix } {
  return {
    transform: () => {
      throw new ConfigError(
        'needs_transactions',
        `model bundle ${dir} scores raw transactions through its feature spec '${record.spec.name}': read them with transactionsFromCsv and use scoreTransactions`,
      );
    },
  };
}

/** What each kind of bundle provides; {@link loadScoringModel} composes the rest the same way for both. */
type Scorer = Pick<ScoringModel, 'engine' | 'pipeline' | 'estimator' | 'dispose'> & {
  predictProba(x: Matrix): Promise<Matrix>;
};

async function importedScorer(
  { dir, manifest, files }: LoadedBundle,
  options: LoadScoringModelOptions,
): Promise<Scorer> {
  if (options.engine === 'tfjs') {
    throw new ConfigError(
      'unsupported_engine',
      `model bundle ${dir} wraps an external ONNX model; only the onnx engine can score it`,
    );
  }
  let imported: LoadedImportedModel;
  try {
    imported = await loadImportedModel(dir, manifest, files, { intraOpNumThreads: options.intraOpNumThreads });
  } catch (cause) {
    throw cause instanceof BundleError ? cause : rebuildError(dir, cause);
  }
  return {
    engine: 'onnx',
    pipeline: imported.pipeline,
    estimator: undefined,
    predictProba: (x) => imported.predictProba(x),
    dispose: () => imported.runner.dispose(),
  };
}

async function estimatorScorer(
  { dir, manifest, weights }: LoadedBundle,
  options: LoadScoringModelOptions,
): Promise<Scorer> {
  let pipeline: { transform(table: Table): Matrix };
  let estimator: Estimator;
  try {
    if (manifest.features !== undefined) {
      specPreprocessing(manifest.features, manifest.preprocessing);
      pipeline = transactionsOnlyPipeline(dir, manifest.features);
    } else pipeline = TabularPipeline.fromJSON(manifest.preprocessing as never);
    estimator = estimatorFromState(manifest.model, weights);
  } catch (cause) {
    throw rebuildError(dir, cause);
  }

  let engine: ScoringEngine | undefined;
  const runners: NetworkRunner[] = [];
  if (isNetworkEstimator(estimator)) {
    engine = options.engine ?? 'onnx';
    const base: NetworkRunnerFactory =
      engine === 'onnx' ? onnxRunnerFactory({ intraOpNumThreads: options.intraOpNumThreads }) : createTfjsRunner;
    // Keep every runner made, so dispose() frees them whatever the estimator does with them.
    const factory: NetworkRunnerFactory = async (spec, networkWeights) => {
      const runner = await base(spec, networkWeights);
      runners.push(runner);
      return runner;
    };
    try {
      await estimator.useNetworkRunners(factory);
    } catch (cause) {
      for (const r of runners) r.dispose();
      throw rebuildError(dir, cause);
    }
  }
  // The mlp also frees the runner it holds (the ensemble's members are freed through `runners`).
  const holder = estimator as { disposeRunner?: () => void };
  return {
    engine,
    pipeline,
    estimator,
    predictProba: (x) => estimator.predictProba(x),
    dispose: () => {
      holder.disposeRunner?.();
      for (const r of runners) r.dispose();
    },
  };
}
