import assert from 'node:assert/strict';
import { closeSync, fdatasync, openSync, readSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { AuditStore } from './audit-store.js';
import type { DecisionRecord } from './decision-log.js';
import { testDecisions } from './test-decisions.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-audit-store-'));
after(() => rm(root, { recursive: true, force: true }));

const records = (from: number, n: number) => testDecisions(from, n);

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
};

test('durability machine, commits on this thread: appends resolve only after a sync of the WAL that started after their commit; process: at once, the WAL synced on a timer', async () => {
  // A slow sync held by the test: nothing may resolve until it is released.
  const syncs: { fd: number; done: (error: Error | null) => void }[] = [];
  const path = join(root, 'machine.db');
  const store = AuditStore.open(path, {
    durability: 'machine',
    checkpointIntervalMs: 0,
    writerThread: false,
    syncWal: (fd, done) => syncs.push({ fd, done }),
  });
  const db = (store as unknown as { db: Database.Database }).db;
  // The commit itself does not sync on the caller's thread (NORMAL); the WAL sync does.
  assert.equal(db.pragma('synchronous', { simple: true }), 1);
  let first = false;
  let second = false;
  const a = store.append(records(0, 3)).then(() => (first = true));
  assert.equal(await until(() => syncs.length === 1), true);
  // Committed (a second connection sees it) but not yet answered.
  const reader = new Database(path, { readonly: true });
  assert.equal((reader.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n, 3);
  const b = store.append(records(3, 2)).then(() => (second = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(first, false);
  // One sync at a time: the second commit waits for the next one.
  assert.equal(syncs.length, 1);
  syncs[0]?.done(null);
  await a;
  assert.equal(second, false);
  assert.equal(await until(() => syncs.length === 2), true);
  syncs[1]?.done(null);
  await b;
  // A failed sync fails its appends: the decisions may not be durable, so no answer says they are.
  const c = store.append(records(5, 1));
  assert.equal(await until(() => syncs.length === 3), true);
  syncs[2]?.done(new Error('EIO'));
  await assert.rejects(c, (e: { code?: string }) => e.code === 'audit_store_sync_failed');
  reader.close();
  store.close();

  // The real sync: appends resolve and the data is in the file.
  const real = AuditStore.open(join(root, 'machine-real.db'), {
    durability: 'machine',
    checkpointIntervalMs: 0,
    writerThread: false,
  });
  await Promise.all([real.append(records(0, 10)), real.append(records(10, 10))]);
  assert.equal(real.counts().decisions, 20);
  real.close();

  // process: an append resolves with its sync held; the timer's sync covers it soon after, and
  // with nothing committed since, no more syncs come.
  const timed: { fd: number; done: (error: Error | null) => void }[] = [];
  const process = AuditStore.open(join(root, 'process.db'), {
    durability: 'process',
    checkpointIntervalMs: 0,
    writerThread: false,
    walSyncIntervalMs: 30,
    syncWal: (fd, done) => timed.push({ fd, done }),
  });
  assert.equal((process as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true }), 1);
  const reported: { failed: boolean }[] = [];
  process.onWalSync((sync) => reported.push({ failed: sync.failed }));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(timed.length, 0, 'nothing committed, nothing to sync');
  assert.equal(process.unsyncedForMs(), 0);
  const committedAtMs = Date.now();
  await process.append(records(0, 3));
  assert.equal(timed.length, 0, 'answered before any sync');
  assert.equal(await until(() => timed.length === 1, 1000), true);
  // One at a time: a sync the disk holds up delays the next one, never an append.
  await process.append(records(3, 2));
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(timed.length, 1);
  // What a power cut could take now: counted from the first commit the held sync covers.
  const unsynced = process.unsyncedForMs() ?? -1;
  assert.ok(unsynced >= 100 && unsynced <= Date.now() - committedAtMs, String(unsynced));
  timed[0]?.done(null);
  assert.equal(await until(() => timed.length === 2, 1000), true);
  // The first sync is done; the second commit is not on disk yet.
  assert.ok((process.unsyncedForMs() ?? 0) > 0);
  timed[1]?.done(null);
  assert.equal(process.unsyncedForMs(), 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(timed.length, 2, 'nothing committed since the last sync');
  // A failed timed sync answers no one (all were answered): it warns, and the next tick tries
  // again, with or without a new commit.
  await process.append(records(5, 1));
  assert.equal(await until(() => timed.length === 3, 1000), true);
  const warned = new Promise<Error>((resolve) => globalThis.process.once('warning', resolve));
  timed[2]?.done(new Error('EIO'));
  assert.match((await warned).message, /process\.db-wal failed: EIO; retrying/);
  assert.ok((process.unsyncedForMs() ?? 0) > 0, 'a failed sync leaves its commits unsynced');
  assert.equal(await until(() => timed.length === 4, 1000), true);
  timed[3]?.done(null);
  assert.equal(process.unsyncedForMs(), 0);
  await process.append(records(6, 1));
  assert.equal(await until(() => timed.length === 5, 1000), true);
  timed[4]?.done(null);
  assert.deepEqual(
    reported.map((r) => r.failed),
    [false, false, true, false, false],
  );
  process.close();
  const kept = new Database(join(root, 'process.db'), { readonly: true });
  assert.equal(kept.prepare('SELECT count(*) AS n FROM decisions').pluck().get(), 7);
  kept.close();
});

test('a group commits in the turn that appended it: appends of one turn are one commit, answered before the next turn runs', async () => {
  const store = AuditStore.open(join(root, 'turn.db'), { checkpointIntervalMs: 0, writerThread: false });
  const commits: number[] = [];
  store.onCommit((c) => commits.push(c.decisions));
  const order: string[] = [];
  // Queued before the appends: with the commit deferred to the next turn (setImmediate), this ran first.
  setImmediate(() => order.push('next turn'));
  const first = store.append(records(0, 2)).then(() => order.push('first committed'));
  const second = store.append(records(2, 3)).then(() => order.push('second committed'));
  await Promise.all([first, second]);
  assert.deepEqual(order, ['first committed', 'second committed']);
  assert.deepEqual(commits, [5]);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(order, ['first committed', 'second committed', 'next turn']);
  store.close();
});

test('the writer thread: decisions and labels committed off this thread, callbacks right after, all before any append resolves', async () => {
  for (const durability of ['machine', 'process'] as const) {
    const path = join(root, `writer-${durability}.db`);
    let synced = 0;
    const store = AuditStore.open(path, {
      durability,
      checkpointIntervalMs: 0,
      walSyncIntervalMs: 20,
      writerThread: true,
      syncWal: (fd, done) => {
        synced++;
        fdatasync(fd, done);
      },
    });
    const db = (store as unknown as { db: Database.Database }).db;
    db.exec('CREATE TABLE IF NOT EXISTS side (n INTEGER)');
    const reader = new Database(path, { readonly: true });
    const count = (table: string) => (reader.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    // One group: two appends, a label and a callback write; every one visible to another connection once resolved.
    const seen: number[] = [];
    await Promise.all([
      store.append(records(0, 30)).then(() => seen.push(count('decisions'))),
      store.append(records(30, 20)),
      store.appendLabel({ eventId: 'e3', label: 1, receivedAtMs: 1, appliedOnline: true, seenEvents: 4 }),
      store.write(() => db.prepare('INSERT INTO side (n) VALUES (1)').run()).then(() => seen.push(count('side'))),
    ]);
    assert.deepEqual(seen.sort(), [1, 50]);
    // Written by the writer thread, not by a silent fall-back to this one.
    assert.ok((store as unknown as { writer?: unknown }).writer !== undefined);
    assert.equal(count('labels'), 1);
    assert.ok(store.has('e49'));
    assert.equal(store.find('e7')?.features.B, Number.NaN);
    // Every value as appended, through the writer: a NaN score as null, a rules version, an odd id.
    const odd = {
      ...(records(100, 1)[0] as DecisionRecord),
      eventId: 'id with "quotes", \u001f and é',
      score: Number.NaN,
      rulesVersion: 'v1',
      reasons: ['a "reason"'],
      shadows: [{ modelVersion: 'lstm-1', score: 0.25, decision: 'review' as const }],
    };
    await store.append([odd]);
    const back = store.find(odd.eventId);
    assert.ok(back !== undefined);
    const { shadows: _shadows, ...asKept } = odd;
    assert.deepEqual({ ...back, score: 0 }, { ...asKept, score: 0 });
    assert.ok(Number.isNaN(back.score));
    // Synced before the answers for machine; for process, the writer's commits too are covered
    // by the timer's sync.
    if (durability === 'machine') assert.ok(synced > 0);
    else assert.equal(await until(() => synced > 0, 1000), true);
    // A repeated id fails its own append only, in the writer too.
    const again = store.append(records(10, 1));
    const fresh = store.append(records(50, 5));
    await assert.rejects(again, (e: { code?: string }) => e.code === 'audit_store_write_failed');
    await fresh;
    assert.equal(count('decisions'), 56);
    assert.equal(count('shadow_scores'), 1);
    // Closing waits for the group with the writer.
    const last = store.append(records(55, 5));
    store.close();
    await last;
    assert.equal(count('decisions'), 61);
    reader.close();
  }
});

test('a writer thread that dies hands over: later appends are written on this thread, nothing lost', async () => {
  const path = join(root, 'writer-dies.db');
  const store = AuditStore.open(path, { durability: 'process', checkpointIntervalMs: 0, writerThread: true });
  await store.append(records(0, 5));
  const internals = store as unknown as { writer?: { worker: { terminate(): Promise<number> } } };
  const warned = new Promise((resolve) => process.once('warning', resolve));
  await internals.writer?.worker.terminate();
  assert.match(String(((await warned) as Error).message), /writing on the service's thread/);
  assert.equal(internals.writer, undefined);
  await Promise.all([store.append(records(5, 5)), store.append(records(10, 5))]);
  assert.equal(store.counts().decisions, 15);
  store.close();
});

test('WAL checkpoints run on a worker thread: the writer stops checkpointing, and the database file still fills', async () => {
  const path = join(root, 'checkpointed.db');
  const store = AuditStore.open(path, { checkpointIntervalMs: 50 });
  const db = (store as unknown as { db: Database.Database }).db;
  assert.ok(await until(() => db.pragma('wal_autocheckpoint', { simple: true }) === 0), 'the checkpointer started');
  const emptySize = statSync(path).size;
  for (let i = 0; i < 20; i++) await store.append(records(i * 100, 100));
  // Only a checkpoint copies pages from the WAL into the database file; the writer no longer does.
  assert.ok(await until(() => statSync(path).size > emptySize + 100_000), 'the database file grew from the WAL');
  assert.equal(store.counts().decisions, 2000);
  store.close();
  const reader = new Database(path, { readonly: true });
  assert.equal((reader.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n, 2000);
  reader.close();
});

test('without the checkpointer the writer checkpoints as SQLite does by default', async () => {
  const store = AuditStore.open(join(root, 'plain.db'), { checkpointIntervalMs: 0 });
  const db = (store as unknown as { db: Database.Database }).db;
  assert.equal(db.pragma('wal_autocheckpoint', { simple: true }), 1000);
  await store.append(records(0, 10));
  assert.deepEqual(store.find('e3')?.features, { A: 3, B: Number.NaN });
  store.close();
});

test('a version 1 file is migrated: per-run ordinals become one sequence over the file, old labels are not replayed, no entity indexes', () => {
  const path = join(root, 'v1.db');
  const db = new Database(path);
  // The version 1 schema as vigil serve wrote it before restart recovery.
  db.exec(`
    CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
    INSERT INTO meta VALUES ('schema_version', '1');
    CREATE TABLE decisions (event_id TEXT PRIMARY KEY, received_at_ms INTEGER NOT NULL, event_time TEXT NOT NULL,
      customer_ref TEXT NOT NULL, terminal_id TEXT NOT NULL, event_json TEXT NOT NULL, features_json TEXT NOT NULL,
      model_version TEXT NOT NULL, score REAL, decision TEXT NOT NULL, reasons_json TEXT NOT NULL,
      rules_hit_json TEXT NOT NULL, latency_ms REAL NOT NULL, ordinal INTEGER NOT NULL, run_id TEXT NOT NULL);
    CREATE INDEX decisions_customer ON decisions (customer_ref, event_time);
    CREATE TABLE labels (id INTEGER PRIMARY KEY, event_id TEXT NOT NULL, label INTEGER NOT NULL,
      received_at_ms INTEGER NOT NULL, applied_online INTEGER NOT NULL);
  `);
  const insert = db.prepare(
    `INSERT INTO decisions VALUES (?, 0, '2025-01-01T00:00:00Z', 'c', 't', '{}', '{}', 'm', 0.1, 'approve', '[]', '[]', 0, ?, ?)`,
  );
  // Run a scored three events, run b two, run a's second request landed after b's first.
  for (const [id, ordinal, run] of [
    ['a0', 0, 'a'],
    ['a1', 1, 'a'],
    ['b0', 0, 'b'],
    ['a2', 2, 'a'],
    ['b1', 1, 'b'],
  ] as const)
    insert.run(id, ordinal, run);
  db.prepare('INSERT INTO labels (event_id, label, received_at_ms, applied_online) VALUES (?, 1, 0, 1)').run('a1');
  db.close();

  const store = AuditStore.open(path);
  try {
    assert.deepEqual(
      ['a0', 'a1', 'a2', 'b0', 'b1'].map((id) => store.find(id)?.ordinal),
      [0, 1, 2, 3, 4],
    );
    assert.equal(store.nextOrdinal(), 5);
  } finally {
    store.close();
  }
  const read = new Database(path, { readonly: true });
  try {
    assert.deepEqual(read.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get(), { value: '3' });
    // Version 3 writes no index keyed by customer, terminal, IP or device (one WAL page each per decision).
    assert.deepEqual(
      read
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'decisions' AND sql IS NOT NULL")
        .pluck()
        .all(),
      ['decisions_ordinal'],
    );
    assert.deepEqual(read.prepare('SELECT event_id, seen_events FROM labels').all(), [
      { event_id: 'a1', seen_events: null },
    ]);
  } finally {
    read.close();
  }
});

test('under a steady stream of small commits the WAL starts over: the checkpointer catches up with the writer', async () => {
  const path = join(root, 'steady.db');
  const store = AuditStore.open(path, { durability: 'process', checkpointIntervalMs: 20, writerThread: false });
  const db = (store as unknown as { db: Database.Database }).db;
  assert.ok(await until(() => db.pragma('wal_autocheckpoint', { simple: true }) === 0), 'the checkpointer started');
  // 500 groups of 3 decisions, one every ms or two: each commit appends frames for the pages it
  // changed. A count, not a time: a loaded machine makes fewer commits a second.
  // SQLite starts the WAL over by bumping the checkpoint sequence number in its header (bytes
  // 12..15), which counts the restarts however far a starved checkpointer let the file grow between.
  const walHeader = Buffer.alloc(16);
  const checkpointSequence = (): number | undefined => {
    const fd = openSync(`${path}-wal`, 'r');
    try {
      return readSync(fd, walHeader, 0, 16, 0) === 16 ? walHeader.readUInt32BE(12) : undefined;
    } finally {
      closeSync(fd);
    }
  };
  const sequencesSeen = new Set<number>();
  let largestWal = 0;
  let appended = 0;
  while (appended < 500 * 3) {
    await store.append(records(appended, 3));
    appended += 3;
    await new Promise((resolve) => setTimeout(resolve, 1));
    largestWal = Math.max(largestWal, statSync(`${path}-wal`).size);
    const sequence = checkpointSequence();
    if (sequence !== undefined) sequencesSeen.add(sequence);
  }
  const framesWritten = appended / 3;
  // The checkpointer runs every 20 ms over at least half a second of commits.
  assert.ok(
    sequencesSeen.size >= 4,
    `the WAL started over ${sequencesSeen.size - 1} times in ${framesWritten} commits`,
  );
  // Without starting over, the WAL would hold a frame per changed page of every commit (≥ 4 KB each).
  assert.ok(
    largestWal < (framesWritten * 4096) / 2,
    `the WAL grew to ${largestWal} bytes over ${framesWritten} commits`,
  );
  assert.equal(store.counts().decisions, appended);
  store.close();
});
