// The audit store's checkpointer, on a worker thread with its own connection: it copies the WAL
// into the database file every `intervalMs` (PASSIVE: never waits for, or blocks, the writer), so
// the writer on the service's thread never stalls in a checkpoint and its fsyncs. Plain JavaScript:
// it needs nothing of Vigil but the file's path.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, intervalMs, closed } = workerData;
const db = new Database(path);
db.pragma('busy_timeout = 1000');
const timer = setInterval(() => {
  try {
    db.pragma('wal_checkpoint(PASSIVE)');
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
