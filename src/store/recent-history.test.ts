import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ActivityStore } from './activity-store.js';
import { AuditStore } from './audit-store.js';
import { recentActivity, recentDecisions } from './recent-history.js';
import { testDecisions } from './test-decisions.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-recent-history-'));
after(() => rm(root, { recursive: true, force: true }));

const T0_MS = Date.parse('2026-12-01T00:00:00Z');
/** Decision i at T0 + i minutes, except that every tenth comes 3 minutes late; IP on the even ones. */
const records = (n: number) =>
  testDecisions(0, n, (i) => ({
    timestamp: new Date(T0_MS + (i - (i % 10 === 9 ? 3 : 0)) * 60_000).toISOString(),
    ...(i % 2 === 0 ? { ipAddress: `ip${i % 4}` } : {}),
  }));

test('recent decisions: the newest by count and by span of event time, oldest first, as early warning reads them', async () => {
  const store = AuditStore.open(join(root, 'decisions.db'));
  try {
    assert.deepEqual([...recentDecisions(store, { maxEvents: 10 })], [], 'an empty log');
    await store.append(records(1000));
    const last = [...recentDecisions(store, { maxEvents: 3 })];
    assert.deepEqual(
      last.map((d) => d.ordinal),
      [997, 998, 999],
    );
    assert.deepEqual(last[0], {
      ordinal: 997,
      eventId: 'e997',
      timestampSeconds: (T0_MS + 997 * 60_000) / 1000,
      customerId: 'c47',
      terminalId: 't3',
      ipAddress: undefined,
      deviceId: undefined,
      decision: 'approve',
      score: 0.1,
    });
    assert.equal(last[1]?.ipAddress, 'ip2');
    // The last 100 minutes of event time: from the newest event's time (999 − 3 min late = 996).
    const span = [...recentDecisions(store, { maxEvents: 1_000_000, spanSeconds: 100 * 60 })];
    assert.equal(span[0]?.ordinal, 896);
    assert.equal(span.at(-1)?.ordinal, 999);
    // The count bounds first.
    assert.equal([...recentDecisions(store, { maxEvents: 50, spanSeconds: 100 * 60 })][0]?.ordinal, 950);
    assert.deepEqual([...recentDecisions(store, { maxEvents: 0 })], []);
  } finally {
    store.close();
  }
});

test('recent activity: logins and behaviour events by span, in the order kept; none in a file without the table', async () => {
  const store = AuditStore.open(join(root, 'activity.db'));
  try {
    assert.deepEqual([...recentActivity(store, { maxEvents: 10 })], [], 'no activity table yet');
    const activity = ActivityStore.on(store);
    await activity.append(
      Array.from({ length: 50 }, (_, i) => ({
        eventId: `a${i}`,
        kind: i % 2 === 0 ? ('login' as const) : ('behaviour' as const),
        receivedAtMs: 0,
        event: {
          kind: i % 2 === 0 ? ('login' as const) : ('behaviour' as const),
          id: `a${i}`,
          timestamp: new Date(T0_MS + i * 3_600_000).toISOString(),
          customerId: `c${i % 3}`,
          ...(i % 2 === 0 ? { success: i % 4 === 0 } : { clicks: i }),
        },
        decision: 'approve' as const,
        reasons: [],
        rulesHit: [],
        latencyMs: 0.1,
        runId: 'run',
      })),
    );
    const day = [...recentActivity(store, { maxEvents: 100, spanSeconds: 86_400 })];
    assert.deepEqual(
      day.map((a) => a.eventId),
      Array.from({ length: 25 }, (_, k) => `a${25 + k}`),
    );
    assert.equal(day[0]?.kind, 'behaviour');
    assert.equal(day[0]?.event.clicks, 25);
    assert.deepEqual([day[1]?.event.success, day[3]?.event.success], [false, true]);
    assert.equal(day[0]?.timestampSeconds, (T0_MS + 25 * 3_600_000) / 1000);
  } finally {
    store.close();
  }
});
