/** What the snapshot worker and {@link BackgroundStateKeeper} send each other. */
import type { SnapshotInfo } from '../store/index.js';
import type { SnapshotPolicy } from './online-state.js';

/** The worker's start: its file, spec, policy and the point the service's own recovery ended at. */
export interface SnapshotWorkerData {
  dbPath: string;
  /** The running feature spec (plain JSON). */
  spec: unknown;
  policy: SnapshotPolicy;
  /** How often it follows the log when not woken, in ms. */
  catchUpMs: number;
  recoveredAt: { seenEvents: number; labelId: number };
  /** The worker thread's nice value on Linux (0 leaves it at the service's priority). */
  nice: number;
  /** For tests: fail (throw) once this many events have been replayed. */
  faults?: { failAfterEvents?: number };
}

/** Messages from the worker. */
export type WorkerMessage =
  | { type: 'ready'; seenEvents: number; restoredFrom: number | null; busyMs: number }
  | { type: 'progress'; seenEvents: number; replayMs: number; pendingLabels: number }
  | {
      type: 'snapshot';
      info: SnapshotInfo;
      bytes: number;
      /** Building the state's copy and its JSON. */
      serialiseMs: number;
      /** Writing and syncing its file (asynchronous I/O, off this thread's JavaScript). */
      writeMs: number;
      /** This thread's time for it: the copy, its JSON and the row's commit. */
      workMs: number;
      /** From start to commit. */
      elapsedMs: number;
    }
  /** At the log's committed end, with every snapshot that was due written. */
  | { type: 'idle'; seenEvents: number }
  | { type: 'warning'; message: string }
  | { type: 'closed'; seenEvents: number };
