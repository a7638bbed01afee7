import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { AuditStore } from './audit-store.js';
import type { DecisionRecord } from './decision-log.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-audit-store-'));
after(() => rm(root, { recursive: true, force: true }));

function records(from: number, n: number): DecisionRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      eventId: `e${i}`,
      receivedAtMs: 1_700_000_000_000 + i,
      event: {
        kind: 'transaction',
        id: `e${i}`,
        timestamp: '2026-12-03T08:00:00Z',
        customerId: `c${i % 50}`,
        terminalId: `t${i % 7}`,
        amount: i,
      },
      features: { A: i, B: Number.NaN },
      modelVersion: 'mlp-000000000000',
      score: 0.1,
      decision: 'approve',
      reasons: [],
      rulesHit: [],
      latencyMs: 0.2,
      ordinal: i,
      runId: 'run',
    };
  });
}

const until = async (check: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  return check();
};

test('durability sets how commits sync: machine = FULL (2), process = NORMAL (1)', () => {
  for (const [durability, level] of [
    ['machine', 2],
    ['process', 1],
  ] as const) {
    const store = AuditStore.open(join(root, `${durability}.db`), { durability, checkpointIntervalMs: 0 });
    const db = (store as unknown as { db: Database.Database }).db;
    assert.equal(db.pragma('synchronous', { simple: true }), level);
    store.close();
  }
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
