// The audit store's checkpointer, on a worker thread with its own connection: it copies the WAL
// into the database file every `intervalMs` (PASSIVE: never waits for, or blocks, the writer), so
// the writer on the service's thread never stalls in a checkpoint and its fsyncs. Plain JavaScript:
// it needs nothing of Vigil but the file's path.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs, closed } = workerData;
const db = new Database(path);
db.pragma('busy_timeout = 1000');
/**
 * Copies the WAL into the database file until a pass finds no frame written since the previous
 * one. SQLite starts the WAL over from its beginning only when a write begins with every frame
 * copied; a single pass copies the frames there were when it started, and the writer commits
 * more (every few ms) while it runs, so with one pass per interval the WAL was never all copied
 * and grew without end (300 MB in 25 s at 2,500 decisions/s, and every page lookup searched a
 * wal-index as large). The passes after the first copy only what came during the one before, so
 * they are short and soon catch up with the writer.
 */
function checkpoint() {
  let previousLog = -1;
  for (let pass = 0; pass < 8; pass++) {
    const [{ busy, log }] = db.pragma('wal_checkpoint(PASSIVE)');
    if (busy !== 0 || log <= previousLog) return;
    previousLog = log;
  }
}

const timer = setInterval(() => {
  try {
    checkpoint();
  } catch (error) {
    parentPort?.postMessage({ error: String(error) });
  }
}, intervalMs);
parentPort?.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(timer);
  db.close();
  parentPort?.close();
  if (closed !== undefined) {
    const flag = new Int32Array(closed);
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  }
});
parentPort?.postMessage({ ready: true });
