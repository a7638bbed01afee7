/**
 * Online feature state that survives a restart: snapshots of the scorer's state in the store,
 * taken periodically and at shutdown, and on start the newest snapshot of the running spec
 * followed by a replay of every logged event after it (features only; the logged decisions
 * stand) with the labels that arrived meanwhile applied where they were.
 */
import type { FeatureStateSnapshot } from '../features/index.js';
import type { OnlineScorer } from '../scoring/index.js';
import type { SnapshotInfo, StateStore } from '../store/index.js';
import type { ReplayTarget } from './feature-state-replica.js';
import { LogFollower } from './log-follower.js';

/** What {@link recoverOnlineState} did. */
export interface RecoveryReport {
  /** The snapshot it started from; undefined when it replayed the whole log. */
  snapshot: SnapshotInfo | undefined;
  /** Newer snapshots it skipped: of another feature spec, or unreadable. */
  skipped: { snapshot: SnapshotInfo; reason: string }[];
  /** Logged events replayed after the snapshot. */
  replayedEvents: number;
  /** Labels applied again. */
  reappliedLabels: number;
  /**
   * Where the replay ended: the events the state had then taken and the last label id it read.
   * The snapshot worker replays to exactly this point the same way before it follows the log on.
   */
  endsAt: { seenEvents: number; labelId: number };
  /** Time to read the snapshot, restore it and replay, in ms. */
  durationMs: number;
}

/** Events read per page of a replay: one read transaction each, a few MB of parsed events at most. */
export const REPLAY_PAGE_EVENTS = 5000;

/**
 * Restores the newest snapshot of the target's feature spec that reads, skipping (with a
 * warning) newer ones of another spec or that do not read. Returns it, or undefined when none did.
 */
export function restoreNewestSnapshot(
  target: ReplayTarget,
  store: StateStore,
  warn: (message: string) => void,
): { from: SnapshotInfo | undefined; skipped: RecoveryReport['skipped'] } {
  const skipped: RecoveryReport['skipped'] = [];
  for (const info of store.snapshots()) {
    if (info.specSha256 !== target.specSha256) {
      const reason = `made with another feature spec (sha256 ${info.specSha256.slice(0, 12)}…; the model's is ${target.specSha256.slice(0, 12)}…)`;
      skipped.push({ snapshot: info, reason });
      warn(`state snapshot ${info.id} ignored: ${reason}`);
      continue;
    }
    try {
      target.restoreState(JSON.parse(store.snapshotState(info.id)) as FeatureStateSnapshot);
      return { from: info, skipped };
    } catch (error) {
      const reason = `unreadable (${error instanceof Error ? error.message : String(error)})`;
      skipped.push({ snapshot: info, reason });
      warn(`state snapshot ${info.id} ignored: ${reason}`);
    }
  }
  return { from: undefined, skipped };
}

/**
 * Brings a fresh scorer's online state to where the service left it: restores the newest
 * snapshot of the scorer's feature spec (a newer one of another spec is skipped with a warning),
 * then feeds every logged event after it to the state at its logged ordinal and applies each
 * label logged after the snapshot just where it was applied online (after the events the state
 * had then). The state then continues exactly as if the service had never stopped — after a
 * clean stop or a `kill -9` alike, since only committed events and labels are replayed.
 *
 * @example
 * const report = recoverOnlineState(scorer, StateStore.open('vigil.db'), { warn: console.warn });
 */
export function recoverOnlineState(
  scorer: ReplayTarget,
  store: StateStore,
  { warn = () => {} }: { warn?: (message: string) => void } = {},
): RecoveryReport {
  const started = performance.now();
  const { from, skipped } = restoreNewestSnapshot(scorer, store, warn);
  const follower = new LogFollower(scorer, store, {
    labelId: from?.coveredLabelId ?? 0,
    rowid: from?.coveredRowid ?? 0,
  });
  while (follower.step({ maxEvents: REPLAY_PAGE_EVENTS }) > 0);
  follower.applyPendingLabels();
  return {
    snapshot: from,
    skipped,
    replayedEvents: follower.replayedEvents,
    reappliedLabels: follower.reappliedLabels,
    endsAt: { seenEvents: scorer.seenEvents, labelId: follower.lastLabelRead },
    durationMs: performance.now() - started,
  };
}

/** When to snapshot: after this many events, or this many seconds, whichever comes first; 0 turns either off. */
export interface SnapshotPolicy {
  everyEvents: number;
  everySeconds: number;
}

/** Default policy of `vigil serve`. */
export const DEFAULT_SNAPSHOT_POLICY: SnapshotPolicy = { everyEvents: 50_000, everySeconds: 300 };

/** One snapshot written. */
export interface SnapshotWritten {
  info: SnapshotInfo;
  bytes: number;
  /** Time the event loop was held: building the state's JSON and committing it, in ms. */
  durationMs: number;
}

/**
 * Takes snapshots of a scorer's online state into the store by a {@link SnapshotPolicy}, and a
 * last one on {@link close}. A snapshot is taken only when no request is between scoring and
 * its commit, so the state it holds is exactly the committed log up to its ordinal.
 *
 * @example
 * const keeper = new OnlineStateKeeper(scorer, store, { everyEvents: 10_000, everySeconds: 60 });
 * const app = await buildRiskService({ scorer, log, onlineState: keeper, … });
 */
export class OnlineStateKeeper {
  /** The last snapshot written, if any. */
  last: SnapshotWritten | undefined;
  private seenAtLast: number;
  private atLastMs: number;
  private dirty = false;
  private scheduled = false;
  private isQuiet: () => boolean = () => true;
  private readonly timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly scorer: Pick<OnlineScorer, 'seenEvents' | 'snapshotState'>,
    private readonly store: StateStore,
    private readonly policy: SnapshotPolicy = DEFAULT_SNAPSHOT_POLICY,
    private readonly options: { nowMs?: () => number; onError?: (error: unknown) => void } = {},
  ) {
    this.seenAtLast = scorer.seenEvents;
    this.atLastMs = this.now();
    if (policy.everySeconds > 0) {
      this.timer = setInterval(() => this.maybeSnapshot(), Math.min(policy.everySeconds * 1000, 1000));
      this.timer.unref();
    }
  }

  /** Told after each commit of events or labels; `isQuiet` says whether nothing is in flight. */
  committed(isQuiet: () => boolean): void {
    this.isQuiet = isQuiet;
    this.dirty = true;
    if (this.due() && !this.scheduled) {
      this.scheduled = true;
      // After the answers of this tick are sent: the snapshot holds the loop only between requests.
      setImmediate(() => {
        this.scheduled = false;
        this.maybeSnapshot();
      });
    }
  }

  /** Writes a snapshot now (the caller makes sure nothing is in flight). */
  snapshot(): SnapshotWritten {
    const started = performance.now();
    const state = this.scorer.snapshotState();
    const stateJson = JSON.stringify(state);
    const info = this.store.saveSnapshot({
      specSha256: state.specSha256,
      seenEvents: this.scorer.seenEvents,
      stateJson,
      createdAtMs: this.now(),
    });
    this.seenAtLast = info.seenEvents;
    this.atLastMs = info.createdAtMs;
    this.dirty = false;
    this.last = { info, bytes: Buffer.byteLength(stateJson), durationMs: performance.now() - started };
    return this.last;
  }

  /** Stops the schedule and writes a last snapshot when the state changed since the one before. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.dirty) this.snapshot();
  }

  private due(): boolean {
    if (!this.dirty || this.closed) return false;
    const { everyEvents, everySeconds } = this.policy;
    return (
      (everyEvents > 0 && this.scorer.seenEvents - this.seenAtLast >= everyEvents) ||
      (everySeconds > 0 && this.now() - this.atLastMs >= everySeconds * 1000)
    );
  }

  private maybeSnapshot(): void {
    if (!this.due() || !this.isQuiet()) return;
    try {
      this.snapshot();
    } catch (error) {
      // A failed snapshot costs only replay time at the next start; the service goes on.
      this.options.onError?.(error);
    }
  }

  private now(): number {
    return (this.options.nowMs ?? Date.now)();
  }
}
