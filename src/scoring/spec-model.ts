/**
 * A spec bundle ready to score online rows: its model, preprocessing, decision bands and version.
 * The online feature state is not part of it ({@link OnlineScorer} holds that), so several
 * models trained on one feature spec — a champion and its shadows — score the same rows.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureSpecRecord } from '../bundle/index.js';
import { ConfigError } from '../errors.js';
import { rowRange } from '../matrix.js';
import {
  type FeatureStandardisationState,
  type ModelReplay,
  modelInput,
  type RawSequencesState,
  specPreprocessing,
} from '../training/feature-inputs.js';
import { loadScoringModel, type ScoringEngine, type ScoringModel } from './scoring-model.js';

/** What a score decides: below the review band, in it, or at or above the bundle's threshold. */
export type Decision = 'approve' | 'review' | 'decline';
export const DECISIONS: readonly Decision[] = ['approve', 'review', 'decline'];

/** The score bands of the decisions. */
export interface DecisionBands {
  /** Scores at or above this decline: the bundle's threshold. */
  declineFrom: number;
  /** Scores in [reviewFrom, declineFrom) go to review; below approve. */
  reviewFrom: number;
}

/** Default start of the review band, as a fraction of the bundle's threshold. */
export const DEFAULT_REVIEW_FRACTION = 0.5;

export interface OnlineScorerOptions {
  /** Runtime of network models (default `'onnx'`, see loadScoringModel). */
  engine?: ScoringEngine;
  /**
   * Start of the review band (default: half the bundle's threshold). Must lie in [0, threshold].
   */
  reviewFrom?: number;
}

/** The bundle's decision bands: decline at its threshold, review from `reviewFrom` (default half the threshold). */
export function decisionBands(threshold: number, reviewFrom?: number): DecisionBands {
  const from = reviewFrom ?? threshold * DEFAULT_REVIEW_FRACTION;
  if (!Number.isFinite(from) || from < 0 || from > threshold)
    throw new ConfigError(
      'invalid_option',
      `the review band must start in [0, ${threshold}] (the bundle's threshold), got ${from}`,
    );
  return { declineFrom: threshold, reviewFrom: from };
}

/** The decision of `score` in `bands`; a score that is not a number goes to review, never approve. */
export function decide(score: number, bands: DecisionBands): Decision {
  if (Number.isNaN(score)) return 'review';
  return score >= bands.declineFrom ? 'decline' : score >= bands.reviewFrom ? 'review' : 'approve';
}

/**
 * A verified spec bundle (`vigil train --features`) loaded for online scoring.
 *
 * @example
 * const model = await SpecModel.load('models/fraud-lstm');
 * model.modelVersion; // 'lstm-3f9a0c12b7de'
 */
export class SpecModel {
  /** Model kind and the first 12 hex of the sha256 of the bundle's SHA256SUMS (which covers manifest and weights). */
  readonly modelVersion: string;
  readonly bands: DecisionBands;
  /** @internal the bundle's preprocessing of replayed features into model input */
  readonly preprocessing: FeatureStandardisationState | RawSequencesState;
  /** Model calls under way: a retired model is disposed of once the last one ends. */
  private calls = 0;
  private retired = false;
  /** Rows asked for in this turn of the event loop, scored together by {@link scorePending}. */
  private pending: PendingRows[] = [];

  private constructor(
    readonly model: ScoringModel,
    readonly record: FeatureSpecRecord,
    modelVersion: string,
    options: OnlineScorerOptions,
  ) {
    this.modelVersion = modelVersion;
    this.preprocessing = specPreprocessing(record, model.manifest.preprocessing);
    this.bands = decisionBands(model.manifest.threshold?.value ?? 0.5, options.reviewFrom);
  }

  /**
   * Loads and verifies a spec bundle.
   *
   * @throws BundleError for a bundle that does not verify; ConfigError `no_feature_spec` for a
   *   bundle trained on table columns, `unsupported_task`, `invalid_option` for a review band
   *   outside [0, threshold]
   */
  static async load(dir: string, options: OnlineScorerOptions = {}): Promise<SpecModel> {
    const model = await loadScoringModel(dir, options.engine === undefined ? {} : { engine: options.engine });
    try {
      const record = model.features;
      if (record === undefined || model.estimator === undefined)
        throw new ConfigError(
          'no_feature_spec',
          `model bundle ${dir} was trained on table columns, not on transaction features: online scoring needs a bundle from vigil train --features`,
        );
      if (model.manifest.target.task !== 'binary')
        throw new ConfigError('unsupported_task', `model bundle ${dir} is ${model.manifest.target.task}, not binary`);
      const sums = await readFile(join(dir, 'SHA256SUMS'));
      const version = `${model.manifest.model.kind}-${createHash('sha256').update(sums).digest('hex').slice(0, 12)}`;
      return new SpecModel(model, record, version, options);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  /** The model family (`logistic`, `lstm`, …). */
  get kind(): string {
    return this.model.manifest.model.kind;
  }

  /** sha256 of the feature spec the model was trained on: models of one online state share it. */
  get specSha256(): string {
    return this.record.specSha256;
  }

  /** The bundle directory it was loaded from. */
  get dir(): string {
    return this.model.dir;
  }

  /**
   * Probability of fraud for `rows` of replayed features (and sequences). Calls made in one turn
   * of the event loop share one model call: the service takes concurrent requests one by one, and
   * a model call costs far more than a row (onnxruntime: ~40 µs a call, ~1 µs a row of an mlp), so
   * scoring them together is most of the cost of scoring them apart. `share`, when given, gets
   * this call's share of the shared model call's time (`callMs`, in proportion to its rows): what
   * scoring these rows cost, without the wait for the turn's call.
   */
  scoreRows(replay: ModelReplay, rows: Int32Array, share?: ModelCallShare): Promise<Float64Array> {
    if (this.retired) return Promise.reject(new ConfigError('model_retired', `model ${this.modelVersion} was retired`));
    this.calls++;
    return new Promise((resolve, reject) => {
      if (this.pending.length === 0) setImmediate(() => this.scorePending());
      this.pending.push({ replay, rows, resolve, reject, share });
    });
  }

  /** Scores every pending call's rows with one model call and hands each its own. */
  private async scorePending(): Promise<void> {
    const calls = this.pending;
    this.pending = [];
    try {
      const startedMs = performance.now();
      const { replay, rows } = calls.length === 1 ? (calls[0] as PendingRows) : mergeReplays(calls);
      const proba = await (this.model.estimator as NonNullable<ScoringModel['estimator']>).predictProba(
        modelInput(this.record, this.preprocessing, replay, rows),
      );
      const msPerRow = (performance.now() - startedMs) / rows.length;
      let offset = 0;
      for (const call of calls) {
        const n = call.rows.length;
        if (call.share !== undefined) call.share.callMs = msPerRow * n;
        const scores = new Float64Array(n);
        for (let i = 0; i < n; i++) scores[i] = proba.data[(offset + i) * 2 + 1] as number;
        call.resolve(scores);
        offset += n;
      }
    } catch (error) {
      for (const call of calls) call.reject(error);
    } finally {
      this.calls -= calls.length;
      if (this.retired && this.calls === 0) this.model.dispose();
    }
  }

  /**
   * Takes the model out of service: its runtime is freed once the calls under way (events in
   * flight when a champion was replaced or a shadow removed) have finished.
   */
  retire(): void {
    if (this.retired) return;
    this.retired = true;
    if (this.calls === 0) this.model.dispose();
  }

  /** Frees the model's runtime; it cannot score afterwards. */
  dispose(): void {
    this.retire();
  }
}

/** A call's share of the model call that scored its rows with others' (see {@link SpecModel.scoreRows}). */
export interface ModelCallShare {
  callMs: number;
}

/** A call of {@link SpecModel.scoreRows} waiting for the turn's model call. */
interface PendingRows {
  replay: ModelReplay;
  rows: Int32Array;
  resolve: (scores: Float64Array) => void;
  reject: (error: unknown) => void;
  share: ModelCallShare | undefined;
}

/** The rows of several calls as one replay holding just those rows, in call order. */
function mergeReplays(calls: readonly PendingRows[]): { replay: ModelReplay; rows: Int32Array } {
  const first = calls[0] as PendingRows;
  const nFeatures = first.replay.featureNames.length;
  const width = first.replay.sequenceWidth;
  const total = calls.reduce((n, c) => n + c.rows.length, 0);
  const features = new Float64Array(total * nFeatures);
  const withSequences = first.replay.sequences !== undefined;
  const sequences = withSequences ? new Float32Array(total * width) : undefined;
  let at = 0;
  for (const { replay, rows } of calls) {
    for (const r of rows) {
      features.set(replay.features.subarray(r * nFeatures, (r + 1) * nFeatures), at * nFeatures);
      if (sequences !== undefined) {
        const slot = replay.sequenceSlot?.[r] ?? -1;
        if (slot < 0 || replay.sequences === undefined) throw new ConfigError('bad_rows', `row ${r} has no sequence`);
        sequences.set(replay.sequences.subarray(slot * width, (slot + 1) * width), at * width);
      }
      at++;
    }
  }
  const rows = rowRange(total);
  return {
    replay: {
      featureNames: first.replay.featureNames,
      features,
      sequenceWidth: width,
      ...(sequences === undefined ? {} : { sequences, sequenceSlot: rows }),
    },
    rows,
  };
}
