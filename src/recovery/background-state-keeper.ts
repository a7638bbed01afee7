/**
 * Snapshots of the online state written off the service's thread: a worker thread keeps its own
 * copy of the state from the committed log and writes the snapshots (src/recovery/snapshot-worker.ts).
 * The service's thread only tells it, at most every few ms, that a snapshot point has passed.
 */
import { Worker } from 'node:worker_threads';
import type { FeatureStateSnapshot } from '../features/index.js';
import type { StateStore } from '../store/index.js';
import {
  DEFAULT_SNAPSHOT_POLICY,
  OnlineStateKeeper,
  type RecoveryReport,
  type SnapshotPolicy,
} from './online-state.js';
import type { SnapshotWorkerData, WorkerMessage } from './snapshot-worker-protocol.js';

/**
 * What the keeper needs of the scorer: its spec and how many events its state has taken, and its
 * state for a last snapshot on this thread when no worker is there to write it.
 */
export interface KeptState {
  readonly seenEvents: number;
  readonly record: { spec: unknown };
  snapshotState(): FeatureStateSnapshot;
}

/** Options of {@link BackgroundStateKeeper}. */
export interface BackgroundKeeperOptions {
  /** Where the service's recovery ended (`recoverOnlineState`'s report): the worker starts there. */
  recovery: Pick<RecoveryReport, 'endsAt'>;
  /** How often the worker follows the log when not woken, in ms (default 1,000). */
  catchUpMs?: number;
  /** Worker failures in a row after which snapshots are given up until the next start (default 5). */
  maxRestarts?: number;
  /** First delay before starting a failed worker again, doubled for each failure in a row (default 1,000 ms). */
  restartDelayMs?: number;
  /** Told of the worker's warnings and failures. */
  warn?: (message: string) => void;
  nowMs?: () => number;
  /**
   * The worker thread's nice value on Linux (default 10): when it and the service's thread want
   * the same core, the service's thread gets it. 0 runs the worker at the service's priority.
   */
  nice?: number;
  /** How long `close()` waits for the worker's last snapshot before writing it on this thread (default 120,000 ms). */
  closeTimeoutMs?: number;
  /** For tests: the first worker fails after replaying this many events. */
  faults?: { failAfterEvents?: number };
}

/** One snapshot the worker wrote. */
export interface BackgroundSnapshot {
  seenEvents: number;
  id: number;
  createdAtMs: number;
  bytes: number;
  /** Worker thread time for it: building the copy, its JSON, the row's commit. */
  workMs: number;
  /** Writing and syncing its file. */
  writeMs: number;
  /** From start to commit. */
  elapsedMs: number;
}

/** The keeper's state, for metrics and tests. */
export interface BackgroundKeeperStatus {
  /** Whether a worker is running and has caught up to the recovery point. */
  workerUp: boolean;
  /** Events the worker's copy has taken. */
  workerSeenEvents: number;
  /** Events the service's state has taken beyond the worker's copy. */
  lagEvents: number;
  last: BackgroundSnapshot | undefined;
  /** Snapshots written by workers of this run. */
  written: number;
  /** Workers that failed (error or unexpected exit). */
  failures: number;
  /** Failures in a row beyond `maxRestarts`: no worker runs, no snapshots are taken. */
  gaveUp: boolean;
  /** Worker thread time: following the log, writing snapshots; ms. */
  busyMs: { replay: number; snapshot: number };
  /**
   * What the keeper has cost the service's thread (its calls after each commit and the worker's
   * messages; the last snapshot at close excluded): in all, and the longest single call, in ms.
   */
  serviceThreadMs: { total: number; longest: number };
}

/**
 * Keeps the online state across restarts like {@link OnlineStateKeeper}, with the work on a
 * worker thread: the worker restores the newest snapshot, replays the log to the point the
 * service recovered to and follows it from there (decisions in ordinal order, labels at their
 * `seen_events`, exactly as a restart), writing a snapshot every `everyEvents` events at exactly
 * that ordinal or every `everySeconds`, and a last one on {@link close}. A worker that fails is
 * started again after a delay (it resumes from the newest snapshot); after `maxRestarts`
 * failures in a row snapshots stop, with a warning, and the service goes on. A write cut off
 * leaves only a file no snapshot refers to, deleted by the next worker.
 *
 * @example
 * const recovery = recoverOnlineState(scorer, state);
 * const keeper = new BackgroundStateKeeper(scorer, state, DEFAULT_SNAPSHOT_POLICY, { recovery });
 * const app = await buildRiskService({ scorer, log, onlineState: keeper, … });
 */
export class BackgroundStateKeeper {
  private worker: Worker | undefined;
  private workerUp = false;
  private workerSeen = 0;
  private last: BackgroundSnapshot | undefined;
  private lastSeen: number;
  private written = 0;
  private failures = 0;
  private inARow = 0;
  private gaveUp = false;
  private closing = false;
  private closed: Promise<void> | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private lastWakeMs = Number.NEGATIVE_INFINITY;
  private readonly busyMs = { replay: 0, snapshot: 0 };
  private threadMs = 0;
  /** Events the worker had taken when it last reached the log's end (-1: not since asked). */
  private idleAt = -1;
  private threadMaxMs = 0;
  private readonly listeners: ((snapshot: BackgroundSnapshot) => void)[] = [];
  private readonly startedAtMs: number;
  private readonly closeTimeoutMs: number;
  private onClosed: (() => void) | undefined;
  private onReady: (() => void) | undefined;

  constructor(
    private readonly scorer: KeptState,
    private readonly store: StateStore,
    private readonly policy: SnapshotPolicy = DEFAULT_SNAPSHOT_POLICY,
    private readonly options: BackgroundKeeperOptions,
  ) {
    this.startedAtMs = this.now();
    this.closeTimeoutMs = options.closeTimeoutMs ?? 120_000;
    this.lastSeen = options.recovery.endsAt.seenEvents;
    this.workerSeen = 0;
    this.start(options.faults);
  }

  /**
   * Told after each commit of events or labels. Costs the service's thread a comparison; once a
   * snapshot point has passed, a message to the worker (at most one per 20 ms) so it does not
   * wait for its next round.
   */
  committed(_isQuiet?: () => boolean): void {
    const started = performance.now();
    this.wakeIfDue();
    this.countThreadTime(started);
  }

  /** The worker's progress, its snapshots and failures. */
  status(): BackgroundKeeperStatus {
    return {
      workerUp: this.workerUp,
      workerSeenEvents: this.workerSeen,
      lagEvents: Math.max(0, this.scorer.seenEvents - this.workerSeen),
      last: this.last,
      written: this.written,
      failures: this.failures,
      gaveUp: this.gaveUp,
      busyMs: { ...this.busyMs },
      serviceThreadMs: { total: this.threadMs, longest: this.threadMaxMs },
    };
  }

  /** Calls `listener` with each snapshot a worker writes. */
  onSnapshot(listener: (snapshot: BackgroundSnapshot) => void): void {
    this.listeners.push(listener);
  }

  /** Events the service's state has taken since the newest snapshot (of this run or the one it recovered from). */
  ageEvents(): number {
    return Math.max(0, this.scorer.seenEvents - this.lastSeen);
  }

  /** Seconds since the newest snapshot of this run (since the start before the first). */
  ageSeconds(): number {
    return (this.now() - (this.last?.createdAtMs ?? this.startedAtMs)) / 1000;
  }

  /**
   * Stops: the worker follows the log to its end (the service has stopped taking events) and
   * writes a last snapshot when the state changed since its newest. Without a worker (it failed
   * and was given up, or is between restarts) the snapshot is written on this thread instead.
   */
  close(): Promise<void> {
    this.closed ??= this.finish();
    return this.closed;
  }

  /** Stops the worker without a last snapshot, as a `kill -9` would (tests). */
  async abandon(): Promise<void> {
    this.closing = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  /** Resolves once the worker has followed the log to what is committed now and written what was due (tests, benches). */
  async settled(): Promise<void> {
    const target = this.scorer.seenEvents;
    this.idleAt = -1;
    // Through a restart of a failed worker too; not once snapshots are given up.
    while (!this.closing && !this.gaveUp && this.idleAt < target) {
      this.worker?.postMessage('wake');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }

  private async finish(): Promise<void> {
    this.closing = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    const worker = this.worker;
    if (worker !== undefined && !this.workerUp) {
      // Still restoring and replaying to the recovery point: its last snapshot costs this thread nothing.
      worker.ref();
      await new Promise<void>((resolve) => {
        this.onReady = resolve;
        worker.once('exit', () => resolve());
      });
    }
    if (worker !== undefined && this.worker === worker && this.workerUp) {
      const done = new Promise<void>((resolve) => {
        this.onClosed = resolve;
        worker.once('exit', () => resolve());
      });
      // Held until it has written the last snapshot: the server no longer holds the process.
      worker.ref();
      worker.postMessage('close');
      // A worker that never answers is stopped, and the last snapshot written here instead.
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          this.warn(`the state snapshot worker did not finish within ${this.closeTimeoutMs} ms; stopping it`);
          void worker.terminate().then(() => resolve());
        }, this.closeTimeoutMs);
      });
      await Promise.race([done, timedOut]);
      clearTimeout(timer);
      this.worker = undefined;
      if (this.workerSeen >= this.scorer.seenEvents) return;
    } else {
      await worker?.terminate();
      this.worker = undefined;
    }
    // No worker (or it stopped short): the service's thread writes the last snapshot itself; a
    // longer stop, never a lost state.
    if (this.scorer.seenEvents > this.lastSeen) {
      try {
        const keeper = new OnlineStateKeeper(this.scorer, this.store, { everyEvents: 0, everySeconds: 0 });
        keeper.snapshot();
      } catch (error) {
        this.warn(`the last state snapshot failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  private start(faults: BackgroundKeeperOptions['faults']): void {
    const data: SnapshotWorkerData = {
      dbPath: this.store.path,
      spec: this.scorer.record.spec,
      policy: this.policy,
      catchUpMs: this.options.catchUpMs ?? 1000,
      recoveredAt: this.options.recovery.endsAt,
      nice: this.options.nice ?? 10,
      ...(faults === undefined ? {} : { faults }),
    };
    const worker = new Worker(new URL('./snapshot-worker-entry.mjs', import.meta.url), { workerData: data });
    this.worker = worker;
    this.workerUp = false;
    worker.on('message', (m: WorkerMessage) => this.onMessage(m));
    worker.on('error', (error) => this.onFailure(worker, `the state snapshot worker failed: ${error.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker && !this.closing)
        this.onFailure(worker, `the state snapshot worker stopped (exit code ${code})`);
    });
    // The service's server holds the process; the worker never should.
    worker.unref();
  }

  private wakeIfDue(): void {
    const { everyEvents } = this.policy;
    if (everyEvents <= 0 || this.worker === undefined || this.closing) return;
    if (this.scorer.seenEvents - this.lastSeen < everyEvents) return;
    const now = performance.now();
    if (now - this.lastWakeMs < 20) return;
    this.lastWakeMs = now;
    this.worker.postMessage('wake');
  }

  /** Adds the time since `started` to what the keeper has cost the service's thread. */
  private countThreadTime(started: number): void {
    const ms = performance.now() - started;
    this.threadMs += ms;
    if (ms > this.threadMaxMs) this.threadMaxMs = ms;
  }

  private onMessage(m: WorkerMessage): void {
    const started = performance.now();
    this.handle(m);
    this.countThreadTime(started);
  }

  private handle(m: WorkerMessage): void {
    switch (m.type) {
      case 'ready':
        this.workerUp = true;
        this.workerSeen = m.seenEvents;
        this.busyMs.replay += m.busyMs;
        this.onReady?.();
        return;
      case 'progress':
        this.workerSeen = m.seenEvents;
        this.busyMs.replay += m.replayMs;
        return;
      case 'snapshot':
        this.workerSeen = m.info.seenEvents;
        this.last = {
          seenEvents: m.info.seenEvents,
          id: m.info.id,
          createdAtMs: m.info.createdAtMs,
          bytes: m.bytes,
          workMs: m.workMs,
          writeMs: m.writeMs,
          elapsedMs: m.elapsedMs,
        };
        this.lastSeen = m.info.seenEvents;
        this.written++;
        this.inARow = 0;
        this.busyMs.snapshot += m.workMs;
        for (const listener of this.listeners) listener(this.last);
        return;
      case 'idle':
        this.workerSeen = m.seenEvents;
        this.idleAt = m.seenEvents;
        return;
      case 'warning':
        this.warn(m.message);
        return;
      case 'closed':
        this.workerSeen = m.seenEvents;
        this.onClosed?.();
        return;
    }
  }

  private onFailure(worker: Worker, message: string): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.workerUp = false;
    this.failures++;
    this.inARow++;
    void worker.terminate();
    if (this.closing) return;
    const maxRestarts = this.options.maxRestarts ?? 5;
    if (this.inARow > maxRestarts) {
      this.gaveUp = true;
      this.warn(`${message}; ${this.inARow} failures in a row: state snapshots are off until the next start`);
      return;
    }
    const delayMs = Math.min(60_000, (this.options.restartDelayMs ?? 1000) * 2 ** (this.inARow - 1));
    this.warn(`${message}; starting it again in ${delayMs} ms`);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (!this.closing) this.start(undefined);
    }, delayMs);
    this.restartTimer.unref();
  }

  private warn(message: string): void {
    this.options.warn?.(message);
  }

  private now(): number {
    return (this.options.nowMs ?? Date.now)();
  }
}
