/**
 * The online feature state without a model: what the background snapshot worker keeps as its
 * copy of the service's state, fed from the committed log exactly as a restart replays it.
 */
import { FeatureExecutor, type LabelTarget, type TransactionEvent } from '../features/feature-executor.js';
import type { FeatureSpec } from '../features/feature-spec.js';
import {
  type FeatureStateSnapshot,
  featureSpecSha256,
  restoreFeatureState,
  snapshotFeatureState,
} from '../features/state-snapshot.js';

/**
 * What a replay of the log feeds: the online scorer on a restart, or a {@link FeatureStateReplica}
 * in the snapshot worker.
 */
export interface ReplayTarget {
  readonly specSha256: string;
  /** Events the state has taken (the next ordinal when the log has no gaps). */
  readonly seenEvents: number;
  restoreState(snapshot: FeatureStateSnapshot): void;
  replayEvent(event: TransactionEvent, ordinal: number): void;
  applyLabel(target: LabelTarget, label: number): boolean;
}

/**
 * One {@link FeatureExecutor} for a spec, replayed as `OnlineScorer.replayEvent` replays: a late
 * event is taken as of the latest time, as scoring took it. The tests compare its snapshots with
 * the scorer's, so the two cannot drift apart unnoticed.
 *
 * @example
 * const replica = new FeatureStateReplica(spec);
 * replica.replayEvent(event, 0);
 * const snapshot = replica.snapshotState();
 */
export class FeatureStateReplica implements ReplayTarget {
  readonly specSha256: string;
  private executor: FeatureExecutor;
  private latestSeconds = Number.NEGATIVE_INFINITY;

  constructor(readonly spec: FeatureSpec) {
    this.executor = new FeatureExecutor(spec);
    this.specSha256 = featureSpecSha256(spec);
  }

  get seenEvents(): number {
    return this.executor.seen;
  }

  restoreState(snapshot: FeatureStateSnapshot): void {
    this.executor = restoreFeatureState(this.spec, snapshot);
    this.latestSeconds = this.executor.latestSeconds;
  }

  replayEvent(event: TransactionEvent, ordinal: number): void {
    this.executor.seen = ordinal;
    const late = event.timestampSeconds < this.latestSeconds;
    this.executor.update(late ? { ...event, timestampSeconds: this.latestSeconds } : event);
    this.latestSeconds = Math.max(this.latestSeconds, event.timestampSeconds);
  }

  applyLabel(target: LabelTarget, label: number): boolean {
    return this.executor.applyLabel(target, label);
  }

  snapshotState(): FeatureStateSnapshot {
    return snapshotFeatureState(this.executor);
  }
}
