/**
 * The state snapshot worker (a worker thread of `vigil serve`, started by
 * {@link BackgroundStateKeeper}): a copy of the service's online feature state, kept by
 * replaying the committed log as a restart does, written as a snapshot every `everyEvents`
 * events (exactly at that ordinal) or `everySeconds`, and once more when told to close. The
 * service's thread serialises nothing; this thread has its own SQLite connection, writes each
 * snapshot's state to a file beside the store and records it with one short row, so the
 * service's commits never wait behind a snapshot.
 */
import { randomUUID } from 'node:crypto';
import { setPriority } from 'node:os';
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { FeatureSpec } from '../features/feature-spec.js';
import { type SnapshotInfo, StateStore } from '../store/index.js';
import { FeatureStateReplica } from './feature-state-replica.js';
import { LogFollower } from './log-follower.js';
import { REPLAY_PAGE_EVENTS, restoreNewestSnapshot } from './online-state.js';
import type { SnapshotWorkerData, WorkerMessage } from './snapshot-worker-protocol.js';

const data = workerData as SnapshotWorkerData;
// On Linux a thread's nice value is its own (setpriority on the calling thread, not the process):
// this thread gives way to the service's thread whenever both want the same core. Elsewhere the
// call would renice the whole process, so it is made on Linux only.
if (process.platform === 'linux' && data.nice > 0)
  try {
    setPriority(data.nice);
  } catch {
    // Not allowed here: the worker runs at the service's priority.
  }
const port = parentPort;
if (port === null) throw new Error('snapshot-worker.ts runs as a worker thread');
const post = (message: WorkerMessage) => port.postMessage(message);
const warn = (message: string) => post({ type: 'warning', message });

const store = StateStore.open(data.dbPath, { synchronous: 'normal' });
const replica = new FeatureStateReplica(data.spec as FeatureSpec);
let busyMs = 0;
let initStarted = performance.now();
const { from } = restoreNewestSnapshot(replica, store, warn);
const follower = new LogFollower(replica, store, {
  labelId: from?.coveredLabelId ?? 0,
  rowid: from?.coveredRowid ?? 0,
});
// The files of a write cut off by a crash, or of snapshots dropped before their files were.
await store.dropUnreferencedFiles();
// Up to the point the service recovered to, as it did, then the labels it applied at the end of
// its replay: from there on both states take the same log.
const { seenEvents: recoveredSeen, labelId: recoveredLabelId } = data.recoveredAt;
while (
  follower.step({ maxEvents: REPLAY_PAGE_EVENTS, beforeOrdinal: recoveredSeen, maxLabelId: recoveredLabelId }) > 0
) {
  busyMs += performance.now() - initStarted;
  await yieldTurn();
  initStarted = performance.now();
}
follower.applyPendingLabels();
busyMs += performance.now() - initStarted;

let last: { seenEvents: number; coveredLabelId: number; atMs: number } = {
  seenEvents: from?.seenEvents ?? 0,
  coveredLabelId: from?.coveredLabelId ?? 0,
  atMs: from?.createdAtMs ?? Date.now(),
};
const { everyEvents, everySeconds } = data.policy;
/** Where snapshot points are counted from: the last snapshot, or the last point passed over. */
let pointBase = last.seenEvents;
let running: Promise<void> | undefined;
let closing = false;
let timer: NodeJS.Timeout | undefined;
post({ type: 'ready', seenEvents: replica.seenEvents, restoredFrom: from?.id ?? null, busyMs });

const changed = () => replica.seenEvents !== last.seenEvents || follower.coveredLabelId !== last.coveredLabelId;

/** Follows the log to its committed end, writing a snapshot at every `everyEvents` boundary on the way. */
async function catchUp(): Promise<void> {
  let read: number;
  do {
    // Past a point already (a worker started far behind the service): the snapshot first.
    if (atSnapshotPoint()) await writeSnapshot();
    const started = performance.now();
    // A page ends at the next snapshot point, so snapshots land exactly on it whatever the lag.
    const room = everyEvents > 0 ? pointBase + everyEvents - replica.seenEvents : REPLAY_PAGE_EVENTS;
    read = follower.step({ maxEvents: Math.min(REPLAY_PAGE_EVENTS, Math.max(1, room)) });
    if (data.faults?.failAfterEvents !== undefined && follower.replayedEvents >= data.faults.failAfterEvents)
      throw new Error(`snapshot worker: failing after ${follower.replayedEvents} events (fault injected)`);
    if (read > 0)
      post({
        type: 'progress',
        seenEvents: replica.seenEvents,
        replayMs: performance.now() - started,
        pendingLabels: follower.pendingLabels,
      });
    if (atSnapshotPoint()) await writeSnapshot();
    // Between pages: messages (close) are handled, and the thread never runs for long at a stretch.
    await yieldTurn();
  } while (read > 0);
  if (everySeconds > 0 && Date.now() - last.atMs >= everySeconds * 1000 && changed()) await writeSnapshot();
  post({ type: 'idle', seenEvents: replica.seenEvents });
}

/**
 * Whether a snapshot is due here: `everyEvents` since the last one. A point is passed over while
 * closing (the last snapshot is written at the end), and when the log is already more than two
 * intervals ahead: a worker that fell that far behind (starved of CPU) writes the newer state
 * rather than every point on the way, or it would never catch up.
 */
function atSnapshotPoint(): boolean {
  if (everyEvents <= 0 || replica.seenEvents - pointBase < everyEvents) return false;
  if (closing) return false;
  if (store.nextOrdinal() - replica.seenEvents > 2 * everyEvents) {
    pointBase = replica.seenEvents - ((replica.seenEvents - pointBase) % everyEvents);
    return false;
  }
  return true;
}

async function writeSnapshot(): Promise<void> {
  const started = performance.now();
  const state = replica.snapshotState();
  const bytes = Buffer.from(JSON.stringify(state));
  const serialiseMs = performance.now() - started;
  const name = `${Date.now()}-${randomUUID()}`;
  let workMs = serialiseMs;
  // Outside SQLite: the file's write lock is held only for the row below, never while 34 MB are written.
  const writing = performance.now();
  await store.writeSnapshotFile(name, bytes);
  const writeMs = performance.now() - writing;
  const t = performance.now();
  const info: SnapshotInfo = store.commitSnapshotFile({
    specSha256: state.specSha256,
    seenEvents: replica.seenEvents,
    coveredRowid: follower.lastRowid,
    coveredLabelId: follower.coveredLabelId,
    createdAtMs: Date.now(),
    name,
    stateBytes: bytes.byteLength,
  });
  workMs += performance.now() - t;
  last = { seenEvents: info.seenEvents, coveredLabelId: info.coveredLabelId, atMs: info.createdAtMs };
  pointBase = info.seenEvents;
  post({
    type: 'snapshot',
    info,
    bytes: bytes.byteLength,
    serialiseMs,
    writeMs,
    workMs,
    elapsedMs: performance.now() - started,
  });
  await store.dropUnreferencedFiles();
}

/** Runs one catch-up at a time; a failure is the thread's end (the keeper starts a new one). */
function run(): Promise<void> {
  running ??= catchUp()
    .catch((error: unknown) => {
      // Thrown outside the promise chain: the worker's 'error' event, with the error itself.
      setImmediate(() => {
        throw error;
      });
    })
    .finally(() => {
      running = undefined;
    });
  return running;
}

function schedule(): void {
  if (closing) return;
  timer = setTimeout(() => {
    void run().then(schedule);
  }, data.catchUpMs);
}

port.on('message', (message: 'wake' | 'close') => {
  if (message === 'wake') {
    if (!closing) void run();
    return;
  }
  if (closing) return;
  closing = true;
  if (timer !== undefined) clearTimeout(timer);
  void (async () => {
    // The service has stopped taking events: follow the log to its end and keep that state.
    await running;
    await run();
    if (changed()) await writeSnapshot();
    store.close();
    post({ type: 'closed', seenEvents: replica.seenEvents });
    port.close();
  })().catch((error: unknown) => {
    setImmediate(() => {
      throw error;
    });
  });
});
schedule();
