/**
 * The replay of the committed log into an online state, in pages: decisions in ordinal order,
 * each label applied again just after the events the state had taken when it was applied online
 * (`seen_events`). A restart runs it to the end of the log once; the snapshot worker runs it
 * a page at a time as the log grows, so both build the same state from the same log.
 */
import {
  type LoggedLabel,
  labelTargetOfStoredEvent,
  type StateStore,
  transactionOfStoredEvent,
} from '../store/index.js';
import type { ReplayTarget } from './feature-state-replica.js';

/** How much of the log one {@link LogFollower.step} reads. */
export interface LogPageLimits {
  maxEvents: number;
  /** Only events before this ordinal. */
  beforeOrdinal?: number;
  /** Only labels up to this id. */
  maxLabelId?: number;
}

/**
 * Feeds a state the log after a point (a snapshot's `seenEvents` and `coveredLabelId`, or the
 * start). Labels are applied in the order they arrived; one whose `seen_events` is ahead of the
 * state waits for the events before it. That order is exact for a live log too: a label is
 * appended when it is applied online, before any later event is scored, and the audit store
 * commits appends in order, so every label a state at `n` events needs is committed once event
 * `n − 1` is.
 *
 * @example
 * const follower = new LogFollower(scorer, store, { labelId: snapshot.coveredLabelId });
 * while (follower.step({ maxEvents: 10_000 }) > 0);
 * follower.applyPendingLabels();
 */
export class LogFollower {
  /** Events replayed so far. */
  replayedEvents = 0;
  /** Labels applied so far. */
  reappliedLabels = 0;
  /** The rowid of the last decision replayed (0 before any). */
  lastRowid: number;
  private labelCursor: number;
  private pending: LoggedLabel[] = [];
  private next = 0;

  constructor(
    private readonly target: ReplayTarget,
    private readonly store: StateStore,
    from: { labelId: number; rowid?: number },
  ) {
    this.labelCursor = from.labelId;
    this.lastRowid = from.rowid ?? 0;
  }

  /** The largest label id read from the log. */
  get lastLabelRead(): number {
    return this.labelCursor;
  }

  /**
   * The largest label id such that every label up to it is in the state and none after it: what
   * a snapshot of the state records as `coveredLabelId`.
   */
  get coveredLabelId(): number {
    const waiting = this.pending[this.next];
    return waiting === undefined ? this.labelCursor : waiting.id - 1;
  }

  /** Labels read that wait for events the state has not taken. */
  get pendingLabels(): number {
    return this.pending.length - this.next;
  }

  /** Reads one page of the log (one read transaction) and feeds it; returns the events replayed. */
  step(limits: LogPageLimits): number {
    const page = this.store.readLog(this.target.seenEvents, this.labelCursor, limits);
    for (const l of page.labels) {
      this.labelCursor = l.id;
      // Labels of schema version 1 have no place in the stream: a replay cannot apply them.
      if (l.seenEvents !== null) this.pending.push(l);
    }
    for (const { rowid, ordinal, event } of page.events) {
      this.applyLabelsUpTo(ordinal);
      this.target.replayEvent(transactionOfStoredEvent(event), ordinal);
      this.lastRowid = rowid;
      this.replayedEvents++;
    }
    this.applyLabelsUpTo(this.target.seenEvents);
    return page.events.length;
  }

  /**
   * Applies every label read that still waits: at the end of a restart's replay, labels applied
   * online while events were in flight that never committed (the state continues from there).
   */
  applyPendingLabels(): void {
    this.applyLabelsUpTo(Number.POSITIVE_INFINITY);
  }

  private applyLabelsUpTo(seen: number): void {
    for (; this.next < this.pending.length; this.next++) {
      const l = this.pending[this.next] as LoggedLabel;
      if ((l.seenEvents as number) > seen) break;
      this.target.applyLabel(labelTargetOfStoredEvent(l.event, l.ordinal), l.label);
      this.reappliedLabels++;
    }
    // Drop what is applied now and then, so a long-running follower does not keep every label.
    if (this.next > 1024 && this.next * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.next);
      this.next = 0;
    }
  }
}
