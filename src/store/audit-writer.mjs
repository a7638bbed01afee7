// The audit store's writer, on a worker thread with its own connection: it inserts each group of
// decisions, shadow scores and labels in one transaction and commits it (with a WAL sync for the
// `machine` durability) while the service's thread goes on taking requests. Plain JavaScript, as
// the checkpointer: the SQL comes from audit-store.ts, so the two threads write the same rows.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';

const { path, synchronous, sql, replies, done, autoCheckpoint } = workerData;
const flag = new Int32Array(done);
let db;
let statements;
try {
  db = new Database(path);
  db.pragma('busy_timeout = 5000');
  db.pragma(`synchronous = ${synchronous}`);
  // 0 while the store's checkpointer thread copies the WAL back: a checkpoint here would stall
  // every group behind it (hundreds of ms of copying and syncing the database file).
  db.pragma(`wal_autocheckpoint = ${autoCheckpoint}`);
  statements = {
    decisions: db.prepare(sql.decisions),
    shadows: db.prepare(sql.shadows),
    labels: db.prepare(sql.labels),
  };
} catch (error) {
  replies.postMessage({ failed: String(error instanceof Error ? error.message : error) });
  throw error;
}

/** Runs one append's rows. */
function write(rows) {
  for (const row of rows.decisions) statements.decisions.run(row);
  for (const row of rows.shadows) statements.shadows.run(row);
  for (const row of rows.labels) statements.labels.run(row);
}

const writeAll = db.transaction((groups) => {
  for (const rows of groups) write(rows);
});

parentPort.on('message', (message) => {
  if (typeof message === 'object' && message.autoCheckpoint !== undefined) {
    db.pragma(`wal_autocheckpoint = ${message.autoCheckpoint}`);
    return;
  }
  if (message === 'stop') {
    db.close();
    parentPort.close();
    replies.close();
    // The store closes its own connection after this one, so the file is left as one connection leaves it.
    Atomics.store(flag, 0, -1);
    Atomics.notify(flag, 0);
    return;
  }
  const { id } = message;
  const groups = JSON.parse(message.groups);
  const errors = groups.map(() => null);
  try {
    writeAll(groups);
  } catch {
    // One bad append (a repeated event id) fails alone: each is retried in a transaction of its own.
    groups.forEach((rows, i) => {
      try {
        db.transaction(write)(rows);
      } catch (error) {
        errors[i] = error instanceof Error ? error.message : String(error);
      }
    });
  }
  replies.postMessage({ id, errors });
  // For a caller that waits on this thread's reply synchronously (closing the store).
  Atomics.store(flag, 0, id);
  Atomics.notify(flag, 0);
});
replies.postMessage({ ready: true });
