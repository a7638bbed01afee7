import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { AuditStore } from './audit-store.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-audit-store-'));
after(() => rm(root, { recursive: true, force: true }));

test('a version 1 file is migrated: per-run ordinals become one sequence over the file, old labels are not replayed', () => {
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
    assert.deepEqual(read.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get(), { value: '2' });
    assert.deepEqual(read.prepare('SELECT event_id, seen_events FROM labels').all(), [
      { event_id: 'a1', seen_events: null },
    ]);
  } finally {
    read.close();
  }
});
