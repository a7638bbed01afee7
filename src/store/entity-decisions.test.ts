import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AuditStore } from './audit-store.js';
import type { DecisionRecord } from './decision-log.js';
import { EntityDecisions } from './entity-decisions.js';
import { testDecisions } from './test-decisions.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-entity-decisions-'));
after(() => rm(root, { recursive: true, force: true }));

/** Decision i: customer c{i % 5}, terminal t{i % 3}, IP on every even one, device on every third. */
const records = (from: number, n: number) =>
  testDecisions(from, n, (i) => ({
    timestamp: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    customerId: `c${i % 5}`,
    terminalId: `t${i % 3}`,
    ...(i % 2 === 0 ? { ipAddress: 'ip-even' } : {}),
    ...(i % 3 === 0 ? { deviceId: `d${i % 6}` } : {}),
  }));

const ids = (rs: DecisionRecord[]) => rs.map((r) => r.eventId);

test('recent decisions by entity: newest first, each kind, as appends arrive, and none for an unknown entity', async () => {
  const store = AuditStore.open(join(root, 'live.db'));
  try {
    const entities = EntityDecisions.on(store, { perEntity: 4 });
    await store.append(records(0, 30));
    assert.deepEqual(ids(entities.recent('customer', 'c2', 3)), ['e27', 'e22', 'e17']);
    // At most perEntity are kept, whatever the limit asked.
    assert.deepEqual(ids(entities.recent('terminal', 't0', 10)), ['e27', 'e24', 'e21', 'e18']);
    assert.deepEqual(ids(entities.recent('ip', 'ip-even', 2)), ['e28', 'e26']);
    assert.deepEqual(ids(entities.recent('device', 'd3', 4)), ['e27', 'e21', 'e15', 'e9']);
    assert.deepEqual(entities.recent('customer', 'nobody', 5), []);
    // Full records, as the store keeps them.
    assert.equal(entities.recent('customer', 'c2', 1)[0]?.features.A, 27);
    assert.deepEqual(entities.sizes(), { customer: 5, terminal: 3, ip: 1, device: 2 });
  } finally {
    store.close();
  }
});

test('after a restart the store tail is read back: the last historyDecisions decisions, in order', async () => {
  const path = join(root, 'restart.db');
  const first = AuditStore.open(path);
  await first.append(records(0, 40));
  first.close();
  const store = AuditStore.open(path);
  try {
    const all = EntityDecisions.on(store, { perEntity: 4 });
    assert.deepEqual(ids(all.recent('customer', 'c1', 4)), ['e36', 'e31', 'e26', 'e21']);
    assert.deepEqual(ids(all.recent('device', 'd0', 2)), ['e36', 'e30']);
    // Only the last 8 decisions (e32..e39) read back: c1's last is e36, and e31 is beyond the history.
    const short = EntityDecisions.on(store, { perEntity: 4, historyDecisions: 8 });
    assert.deepEqual(ids(short.recent('customer', 'c1', 4)), ['e36']);
    // New appends go on from the history.
    await store.append(records(40, 2));
    assert.deepEqual(ids(short.recent('customer', 'c1', 4)), ['e41', 'e36']);
  } finally {
    store.close();
  }
});

test('at most maxEntitiesPerKind entities per kind: the one updated longest ago goes first', async () => {
  const store = AuditStore.open(join(root, 'bounded.db'));
  try {
    const entities = EntityDecisions.on(store, { maxEntitiesPerKind: 3 });
    // Customers c0..c4 in turn: after e0..e4, c2, c3, c4 are the three most recently updated.
    await store.append(records(0, 5));
    assert.equal(entities.sizes().customer, 3);
    assert.deepEqual(entities.recent('customer', 'c1', 5), []);
    assert.deepEqual(ids(entities.recent('customer', 'c4', 5)), ['e4']);
    // e5 is c0 again: c2 (updated longest ago) makes room for it.
    await store.append(records(5, 1));
    assert.deepEqual(ids(entities.recent('customer', 'c0', 5)), ['e5']);
    assert.deepEqual(entities.recent('customer', 'c2', 5), []);
    assert.deepEqual(ids(entities.recent('customer', 'c3', 5)), ['e3']);
  } finally {
    store.close();
  }
});
