/**
 * Online scoring of single transactions with a spec bundle (`vigil train --features`): the same
 * feature executor, preprocessing state and model that batch scoring (`vigil predict`) uses, fed
 * one event at a time, so an event scores as it would in a replay of the same stream.
 */
import { ConfigError, DataError, type Issue } from '../errors.js';
import {
  type EntityKey,
  FeatureExecutor,
  type FeatureStateSnapshot,
  type LabelTarget,
  restoreFeatureState,
  snapshotFeatureState,
  type TransactionEvent,
} from '../features/index.js';
import { rowRange } from '../matrix.js';
import type { ModelReplay } from '../training/feature-inputs.js';
import {
  type Decision,
  type DecisionBands,
  decide,
  type ModelCallShare,
  type OnlineScorerOptions,
  SpecModel,
} from './spec-model.js';

/** |z| from which a standardised feature is named as a reason for a review or decline. */
const REASON_Z = 3;
/** At most this many feature reasons per event. */
const MAX_FEATURE_REASONS = 3;

/**
 * Where {@link OnlineScorer.scoreEvents} reports its time: the online features, then preprocessing
 * and the models until the scores came back (`modelMs`, which includes the wait for the turn's
 * shared model call), and these events' share of the model calls themselves (`modelCallMs`,
 * champion and shadows: what scoring them cost the thread).
 */
export interface ScoringTimings {
  featuresMs: number;
  modelMs: number;
  modelCallMs?: number;
}

/** How an {@link OnlineScorer} takes events, besides its champion's options. */
export interface OnlineStateOptions {
  /**
   * How much earlier than the latest event scored an event may be and still be taken (default 0:
   * time order strictly). Events from many terminals over many connections arrive slightly out of
   * order; a late event within this tolerance is processed as of the latest time, as if it had
   * just happened (its own timestamp is kept in its result and record), so windows never run
   * backwards. Later than that it is refused as out of order.
   */
  maxLatenessSeconds?: number;
}

/** What a shadow model made of an event: its score and the decision it would have made (it decides nothing). */
export interface ShadowScore {
  modelVersion: string;
  score: number;
  decision: Decision;
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
  /** The event's ordinal in this scorer's executor: with its time and keys, what {@link OnlineScorer.applyLabel} needs. */
  ordinal: number;
  /** The time the online state took the event at: its own, or the latest event's when it came late (see `maxLatenessSeconds`). */
  processedAtSeconds: number;
  /** The champion that scored it (a champion replaced meanwhile does not change it). */
  modelVersion: string;
  /** The shadows' scores, when shadows were given. */
  shadows?: ShadowScore[];
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
  readonly featureNames: readonly string[];
  private executor: FeatureExecutor;
  private current: SpecModel;
  private latestSeconds = Number.NEGATIVE_INFINITY;
  private featuresTemplate: Record<string, number> | undefined;
  readonly maxLatenessSeconds: number;

  /** A scorer for `champion` from an empty feature state (the model now belongs to the scorer). */
  constructor(champion: SpecModel, options: OnlineStateOptions = {}) {
    const lateness = options.maxLatenessSeconds;
    if (lateness !== undefined && !(Number.isFinite(lateness) && lateness >= 0))
      throw new ConfigError('invalid_option', `maxLatenessSeconds must be 0 or more seconds, got ${lateness}`);
    this.maxLatenessSeconds = lateness ?? 0;
    this.current = champion;
    this.executor = new FeatureExecutor(champion.record.spec);
    this.featureNames = this.executor.featureNames;
  }

  /**
   * Loads and verifies a spec bundle for online scoring.
   *
   * @throws BundleError for a bundle that does not verify; ConfigError `no_feature_spec` for a
   *   bundle trained on table columns, `invalid_option` for a review band outside [0, threshold]
   */
  static async load(dir: string, options: OnlineScorerOptions & OnlineStateOptions = {}): Promise<OnlineScorer> {
    const champion = await SpecModel.load(dir, options);
    try {
      return new OnlineScorer(champion, options);
    } catch (error) {
      champion.dispose();
      throw error;
    }
  }

  /** The model that decides. */
  get champion(): SpecModel {
    return this.current;
  }

  /** The champion's version as the service reports it: model kind and the first 12 hex of its SHA256SUMS' sha256. */
  get modelVersion(): string {
    return this.current.modelVersion;
  }

  get bands(): DecisionBands {
    return this.current.bands;
  }

  get model(): SpecModel['model'] {
    return this.current.model;
  }

  /** The feature spec record of the online state (every model it serves shares the spec). */
  get record(): SpecModel['record'] {
    return this.current.record;
  }

  /** sha256 of the online state's feature spec. */
  get specSha256(): string {
    return this.current.specSha256;
  }

  /**
   * Makes `next` the champion: events whose scoring has started finish with the old one, every
   * later event is scored by `next`. Returns the old champion (the caller disposes of it once
   * nothing scores with it).
   *
   * @throws ConfigError `feature_spec_mismatch` when `next` was trained on another feature spec
   */
  replaceChampion(next: SpecModel): SpecModel {
    this.checkSpec(next);
    const old = this.current;
    this.current = next;
    return old;
  }

  /**
   * @throws ConfigError `feature_spec_mismatch` unless `model` was trained on this scorer's feature spec
   */
  checkSpec(model: SpecModel): void {
    if (model.specSha256 !== this.specSha256)
      throw new ConfigError(
        'feature_spec_mismatch',
        `model ${model.modelVersion} was trained on another feature spec (sha256 ${model.specSha256.slice(0, 12)}…) than the running online state (${this.specSha256.slice(0, 12)}…): one feature state serves every deployed model, so they must share the spec`,
      );
  }

  /** Events the online state has taken: the next event's ordinal. */
  get seenEvents(): number {
    return this.executor.seen;
  }

  /** Entities the online state holds per key, e.g. `{ customerId: 4990, terminalId: 10000 }`. */
  entityCounts(): ReturnType<FeatureExecutor['entityCounts']> {
    return this.executor.entityCounts();
  }

  /** The whole online feature state (see snapshotFeatureState); with {@link restoreState} it continues exactly. */
  snapshotState(): FeatureStateSnapshot {
    return snapshotFeatureState(this.executor);
  }

  /**
   * Replaces the online state by a snapshot's.
   *
   * @throws ConfigError `feature_state_mismatch` for a snapshot of another spec; DataError `bad_feature_state`
   */
  restoreState(snapshot: FeatureStateSnapshot): void {
    this.executor = restoreFeatureState(this.record.spec, snapshot);
    this.latestSeconds = this.executor.latestSeconds;
  }

  /**
   * Adds an event that was scored before (read back from a log) to the online state at the
   * ordinal it had then, without scoring it: a restart replays the log after its snapshot with
   * this, so ordinals — which late labels look events up by — stay those of the first run.
   *
   * @throws DataError from the executor for an event earlier than the state's latest
   */
  replayEvent(event: TransactionEvent, ordinal: number): void {
    this.executor.seen = ordinal;
    // As scoreEvents took it: a late event as of the latest time.
    const late = event.timestampSeconds < this.latestSeconds;
    this.executor.update(late ? { ...event, timestampSeconds: this.latestSeconds } : event);
    this.latestSeconds = Math.max(this.latestSeconds, event.timestampSeconds);
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
   * every event is taken or none: the events are checked first. `shadows` (models on the same
   * spec) score the same rows too; their scores come with each result and decide nothing, and a
   * shadow that fails gives NaN rather than failing the events. `timings`, when given, gets the
   * time spent on features and on the models.
   *
   * @throws DataError `invalid_events` with every problem of {@link eventIssues}; the state is unchanged
   */
  async scoreEvents(
    events: readonly TransactionEvent[],
    shadows: readonly SpecModel[] = [],
    timings?: ScoringTimings,
  ): Promise<EventScore[]> {
    const started = performance.now();
    const issues = this.eventIssues(events);
    if (issues.length > 0)
      throw new DataError('invalid_events', `${issues.length} problem(s) with the events`, { issues });
    const n = events.length;
    const nFeatures = this.featureNames.length;
    const width = this.executor.sequenceWidth;
    const features = new Float64Array(n * nFeatures);
    const needsSequences = [this.current, ...shadows].some((m) => m.record.input === 'sequences');
    const sequences = needsSequences ? new Float32Array(n * width) : undefined;
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
    const rows = rowRange(n);
    const replay: ModelReplay = {
      featureNames: this.featureNames,
      features,
      sequenceWidth: width,
      ...(sequences === undefined ? {} : { sequences, sequenceSlot: rows }),
    };
    // Taken before the first await: a champion replaced while this batch scores does not change it.
    const champion = this.current;
    const featuresDone = performance.now();
    const shares = timings === undefined ? undefined : [champion, ...shadows].map(() => ({ callMs: 0 }));
    const [scores, ...shadowScores] = await Promise.all([
      champion.scoreRows(replay, rows, shares?.[0]),
      ...shadows.map((m, k) => shadowRows(m, replay, rows, shares?.[k + 1])),
    ]);
    if (timings !== undefined) {
      timings.featuresMs = featuresDone - started;
      timings.modelMs = performance.now() - featuresDone;
      timings.modelCallMs = (shares ?? []).reduce((sum, share) => sum + share.callMs, 0);
    }
    return ordinals.map((ordinal, i) => {
      const score = (scores as Float64Array)[i] as number;
      const decision = decide(score, champion.bands);
      const row = features.subarray(i * nFeatures, (i + 1) * nFeatures);
      const result: EventScore = {
        score,
        decision,
        reasons: decision === 'approve' ? [] : reasonsFor(champion, score, decision, row, this.featureNames),
        features: this.featuresObject(row),
        ordinal,
        processedAtSeconds: processedAt[i] as number,
        modelVersion: champion.modelVersion,
      };
      if (shadows.length > 0)
        result.shadows = shadows.map((m, k) => {
          const s = (shadowScores[k] as Float64Array)[i] as number;
          return { modelVersion: m.modelVersion, score: s, decision: decide(s, m.bands) };
        });
      return result;
    });
  }

  /**
   * A row's features by name. Copied from an object that has every name already, so each event's
   * object shares one shape (fast to read by the rules and to stringify for the audit record)
   * instead of being built from name-value pairs.
   */
  private featuresObject(row: Float64Array): Record<string, number> {
    const names = this.featureNames;
    this.featuresTemplate ??= Object.fromEntries(names.map((name) => [name, 0]));
    const features = { ...this.featuresTemplate };
    for (let f = 0; f < names.length; f++) features[names[f] as string] = row[f] as number;
    return features;
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

  /**
   * An entity's window features as of its last event, from the online state (read-only; see
   * {@link FeatureExecutor.entityWindowFeatures}). `id` as the executor holds it: the pseudonym
   * for personal identifiers.
   */
  entityWindowFeatures(
    key: EntityKey,
    id: string,
  ): { lastEventSeconds: number; values: Record<string, number> } | undefined {
    return this.executor.entityWindowFeatures(key, id);
  }

  /** Frees the champion's runtime; the scorer cannot score afterwards. */
  dispose(): void {
    this.current.dispose();
  }
}

/** A shadow's scores; NaN for every row when it fails, since a shadow must never fail an event. */
async function shadowRows(
  model: SpecModel,
  replay: ModelReplay,
  rows: Int32Array,
  share?: ModelCallShare,
): Promise<Float64Array> {
  try {
    return await model.scoreRows(replay, rows, share);
  } catch {
    return new Float64Array(rows.length).fill(Number.NaN);
  }
}

/** Why an event was not approved: its band, then standardised features far from the training mean. */
function reasonsFor(
  model: SpecModel,
  score: number,
  decision: Decision,
  row: Float64Array,
  featureNames: readonly string[],
): string[] {
  const { declineFrom, reviewFrom } = model.bands;
  if (Number.isNaN(score)) return ['the model gave no score for this event (NaN): sent to review'];
  const band =
    decision === 'decline'
      ? `score ${score.toFixed(3)} at or above the decline threshold ${declineFrom.toFixed(3)}`
      : `score ${score.toFixed(3)} in the review band [${reviewFrom.toFixed(3)}, ${declineFrom.toFixed(3)})`;
  const reasons = [band];
  const p = model.preprocessing;
  if (p.kind !== 'feature-standardisation') return reasons;
  const far = featureNames
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
