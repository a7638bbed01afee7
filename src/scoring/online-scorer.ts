/**
 * Online scoring of single transactions with a spec bundle (`vigil train --features`): the same
 * feature executor, preprocessing state and model that batch scoring (`vigil predict`) uses, fed
 * one event at a time, so an event scores as it would in a replay of the same stream.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FeatureSpecRecord } from '../bundle/index.js';
import { ConfigError, DataError, type Issue } from '../errors.js';
import { type EntityKey, FeatureExecutor, type LabelTarget, type TransactionEvent } from '../features/index.js';
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

/** |z| from which a standardised feature is named as a reason for a review or decline. */
const REASON_Z = 3;
/** At most this many feature reasons per event. */
const MAX_FEATURE_REASONS = 3;

export interface OnlineScorerOptions {
  /** Runtime of network models (default `'onnx'`, see loadScoringModel). */
  engine?: ScoringEngine;
  /**
   * Start of the review band (default: half the bundle's threshold). Must lie in [0, threshold].
   */
  reviewFrom?: number;
  /**
   * How much earlier than the latest event scored an event may be and still be taken (default 0:
   * time order strictly). Events from many terminals over many connections arrive slightly out of
   * order; a late event within this tolerance is processed as of the latest time, as if it had
   * just happened (its own timestamp is kept in its result and record), so windows never run
   * backwards. Later than that it is refused as out of order.
   */
  maxLatenessSeconds?: number;
}

/** Where {@link OnlineScorer.scoreEvents} reports its time: the online features, then preprocessing and the model. */
export interface ScoringTimings {
  featuresMs: number;
  modelMs: number;
}

/** One event's result. */
export interface EventScore {
  /** Probability of fraud (column 1 of the model's output). */
  score: number;
  decision: Decision;
  /** Why the event was not approved: its band, and standardised features far from training's mean. */
  reasons: string[];
  /** The event's online features (raw, before preprocessing), by name; NaN where a feature has no value. */
  features: Record<string, number>;
  /** The event's ordinal in this scorer's executor: with its keys, what {@link OnlineScorer.applyLabel} needs. */
  ordinal: number;
  /** The time the online state took the event at: its own, or the latest event's when it came late (see `maxLatenessSeconds`). */
  processedAtSeconds: number;
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
 * Scores transactions one at a time (or a few together) as they arrive. It holds the bundle's
 * model and one {@link FeatureExecutor} for the recorded spec, starting from an empty state:
 * each event updates the online features (and, for sequence models, the entity's ring of previous
 * transactions), goes through the bundle's preprocessing with the batch path's `modelInput`, and
 * is scored. Events must come in time order (equal times allowed); late labels go to
 * {@link applyLabel}, where a replay would have read them from the file.
 *
 * @example
 * const scorer = await OnlineScorer.load('models/fraud-lstm');
 * const { score, decision } = await scorer.scoreEvent({
 *   id: 't1', timestampSeconds: Date.parse('2026-12-03T08:00:00Z') / 1000,
 *   customerId: 'c1', terminalId: 'm7', amount: 42.5,
 * });
 * scorer.applyLabel({ ordinal: 0, timestampSeconds, customerId: 'c1', terminalId: 'm7' }, 1);
 * scorer.dispose();
 */
export class OnlineScorer {
  /** The bundle's version as the service reports it: model kind and the first 12 hex of its SHA256SUMS' sha256. */
  readonly modelVersion: string;
  readonly bands: DecisionBands;
  readonly featureNames: readonly string[];
  private readonly executor: FeatureExecutor;
  private readonly preprocessing: FeatureStandardisationState | RawSequencesState;
  private latestSeconds = Number.NEGATIVE_INFINITY;
  readonly maxLatenessSeconds: number;

  private constructor(
    readonly model: ScoringModel,
    readonly record: FeatureSpecRecord,
    modelVersion: string,
    options: OnlineScorerOptions,
  ) {
    this.modelVersion = modelVersion;
    this.preprocessing = specPreprocessing(record, model.manifest.preprocessing);
    this.executor = new FeatureExecutor(record.spec);
    this.featureNames = this.executor.featureNames;
    this.bands = decisionBands(model.manifest.threshold?.value ?? 0.5, options.reviewFrom);
    this.maxLatenessSeconds = options.maxLatenessSeconds ?? 0;
  }

  /**
   * Loads and verifies a spec bundle for online scoring.
   *
   * @throws BundleError for a bundle that does not verify; ConfigError `no_feature_spec` for a
   *   bundle trained on table columns, `invalid_option` for a review band outside [0, threshold]
   */
  static async load(dir: string, options: OnlineScorerOptions = {}): Promise<OnlineScorer> {
    const lateness = options.maxLatenessSeconds;
    if (lateness !== undefined && !(Number.isFinite(lateness) && lateness >= 0))
      throw new ConfigError('invalid_option', `maxLatenessSeconds must be 0 or more seconds, got ${lateness}`);
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
      return new OnlineScorer(model, record, version, options);
    } catch (error) {
      model.dispose();
      throw error;
    }
  }

  /** Time of the latest event scored (seconds since the epoch); −∞ before the first. */
  get latestEventSeconds(): number {
    return this.latestSeconds;
  }

  /**
   * The problems that would stop `events` from being scored now: non-finite times or amounts,
   * and times earlier than the event before them (in `events` or already scored) by more than
   * `maxLatenessSeconds`. Paths are the event's index and field.
   */
  eventIssues(events: readonly TransactionEvent[]): Issue[] {
    const issues: Issue[] = [];
    let latest = this.latestSeconds;
    events.forEach((e, i) => {
      if (!Number.isFinite(e.amount))
        issues.push({ code: 'invalid_amount', path: [i, 'amount'], message: 'amount must be a finite number' });
      if (!Number.isFinite(e.timestampSeconds)) {
        issues.push({ code: 'invalid_timestamp', path: [i, 'timestamp'], message: 'timestamp must be a valid time' });
        return;
      }
      if (e.timestampSeconds < latest - this.maxLatenessSeconds)
        issues.push({
          code: 'out_of_order',
          path: [i, 'timestamp'],
          message: `events must arrive in time order${this.maxLatenessSeconds > 0 ? ` (up to ${this.maxLatenessSeconds} s late)` : ''}: ${new Date(e.timestampSeconds * 1000).toISOString()} is before ${new Date(latest * 1000).toISOString()}, the latest event's time`,
        });
      else latest = Math.max(latest, e.timestampSeconds);
    });
    return issues;
  }

  /** Scores one event (see {@link scoreEvents}). */
  async scoreEvent(event: TransactionEvent): Promise<EventScore> {
    return (await this.scoreEvents([event]))[0] as EventScore;
  }

  /**
   * Adds the events, in order, to the online state and scores them with one model call. Either
   * every event is taken or none: the events are checked first.
   *
   * `timings`, when given, gets the time spent on features and on the model.
   *
   * @throws DataError `invalid_events` with every problem of {@link eventIssues}; the state is unchanged
   */
  async scoreEvents(events: readonly TransactionEvent[], timings?: ScoringTimings): Promise<EventScore[]> {
    const started = performance.now();
    const issues = this.eventIssues(events);
    if (issues.length > 0)
      throw new DataError('invalid_events', `${issues.length} problem(s) with the events`, { issues });
    const n = events.length;
    const nFeatures = this.featureNames.length;
    const width = this.executor.sequenceWidth;
    const features = new Float64Array(n * nFeatures);
    const sequences = this.record.input === 'sequences' ? new Float32Array(n * width) : undefined;
    const sequenceRow = sequences === undefined ? undefined : new Float64Array(width);
    const ordinals: number[] = [];
    const processedAt: number[] = [];
    for (let i = 0; i < n; i++) {
      const given = events[i] as TransactionEvent;
      // A late event (within the tolerance eventIssues allowed) is taken as of the latest time.
      const late = given.timestampSeconds < this.latestSeconds;
      const event = late ? { ...given, timestampSeconds: this.latestSeconds } : given;
      this.executor.update(event, features.subarray(i * nFeatures, (i + 1) * nFeatures), sequenceRow);
      // The replay writes sequences into a Float32Array too: the same rounding.
      if (sequences !== undefined && sequenceRow !== undefined) sequences.set(sequenceRow, i * width);
      ordinals.push(this.executor.lastOrdinal);
      processedAt.push(event.timestampSeconds);
      this.latestSeconds = event.timestampSeconds;
    }
    const rows = Int32Array.from({ length: n }, (_, i) => i);
    const replay: ModelReplay = {
      featureNames: [...this.featureNames],
      features,
      sequenceWidth: width,
      ...(sequences === undefined ? {} : { sequences, sequenceSlot: rows }),
    };
    const featuresDone = performance.now();
    const proba = await (this.model.estimator as NonNullable<ScoringModel['estimator']>).predictProba(
      modelInput(this.record, this.preprocessing, replay, rows),
    );
    if (timings !== undefined) {
      timings.featuresMs = featuresDone - started;
      timings.modelMs = performance.now() - featuresDone;
    }
    return ordinals.map((ordinal, i) => {
      const score = proba.data[i * 2 + 1] as number;
      const decision = decide(score, this.bands);
      const row = features.subarray(i * nFeatures, (i + 1) * nFeatures);
      return {
        score,
        decision,
        reasons: decision === 'approve' ? [] : this.reasons(score, decision, row),
        features: Object.fromEntries(this.featureNames.map((name, f) => [name, row[f] as number])),
        ordinal,
        processedAtSeconds: processedAt[i] as number,
      };
    });
  }

  /**
   * What the online state holds: entities per key (`{customerId: 4990, terminalId: 10000}`) and
   * the room for events their windows keep, summed. Both grow while new entities appear and
   * windows fill, then stay bounded by the retention; the service reports them in `/metrics`.
   */
  stateSize(): { entities: Partial<Record<EntityKey, number>>; heldEventCapacity: number } {
    return { entities: this.executor.entityCounts(), heldEventCapacity: this.executor.heldEventCapacity() };
  }

  /**
   * Records a label (1 fraud, 0 genuine) that arrived after its event, for the label windows that
   * still hold the event. Returns false when no entity holds it any more (older than every
   * window, or scored before this scorer was started).
   */
  applyLabel(target: LabelTarget, label: number): boolean {
    if (label !== 0 && label !== 1)
      throw new DataError('invalid_label', `a label is 0 (genuine) or 1 (fraud), got ${label}`);
    return this.executor.applyLabel(target, label);
  }

  /** Frees the model's runtime; the scorer cannot score afterwards. */
  dispose(): void {
    this.model.dispose();
  }

  private reasons(score: number, decision: Decision, row: Float64Array): string[] {
    const { declineFrom, reviewFrom } = this.bands;
    if (Number.isNaN(score)) return ['the model gave no score for this event (NaN): sent to review'];
    const band =
      decision === 'decline'
        ? `score ${score.toFixed(3)} at or above the decline threshold ${declineFrom.toFixed(3)}`
        : `score ${score.toFixed(3)} in the review band [${reviewFrom.toFixed(3)}, ${declineFrom.toFixed(3)})`;
    const reasons = [band];
    const p = this.preprocessing;
    if (p.kind !== 'feature-standardisation') return reasons;
    const far = this.featureNames
      .map((name, f) => ({
        name,
        value: row[f] as number,
        z: ((row[f] as number) - (p.mean[f] as number)) / (p.std[f] as number),
      }))
      .filter((x) => Math.abs(x.z) >= REASON_Z)
      .sort((a, b) => Math.abs(b.z) - Math.abs(a.z))
      .slice(0, MAX_FEATURE_REASONS);
    for (const x of far)
      reasons.push(
        `${x.name} = ${Number(x.value.toPrecision(6))} is ${Math.abs(x.z).toFixed(1)} sd ${x.z > 0 ? 'above' : 'below'} the training mean`,
      );
    return reasons;
  }
}
