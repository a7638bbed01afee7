import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { RaiseAlertInput } from '../monitoring/alert.js';
import { AlertError, AlertStore } from './alert-store.js';
import { AuditStore } from './audit-store.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-alert-store-'));
after(() => rm(root, { recursive: true, force: true }));

const burst = (
  entityId: string,
  eventIds: string[],
  severity: RaiseAlertInput['severity'] = 'high',
): RaiseAlertInput => ({
  kind: 'early_warning',
  severity,
  entityKind: 'terminal',
  entityId,
  rule: 'high_risk_window',
  title: `terminal ${entityId}: ${eventIds.length} high-risk transactions in 10 minutes`,
  evidence: { eventIds, indicators: { highRiskInWindow: eventIds.length } },
});

test('alerts: raised, deduped while not resolved, listed newest first with filters and a cursor, kept on disk', async () => {
  const path = join(root, 'a.db');
  const audit = AuditStore.open(path);
  const alerts = AlertStore.on(audit);
  const first = await alerts.raise(burst('T1', ['e1', 'e2']), 1000);
  assert.equal(first.created, true);
  assert.equal(first.alert.status, 'open');
  assert.equal(first.alert.count, 1);
  // Raised again: the same alert, counted, evidence merged, the more severe severity kept.
  const again = await alerts.raise(burst('T1', ['e2', 'e3'], 'medium'), 2000);
  assert.equal(again.created, false);
  assert.equal(again.alert.id, first.alert.id);
  assert.equal(again.alert.count, 2);
  assert.equal(again.alert.severity, 'high');
  assert.equal(again.alert.lastSeenAtMs, 2000);
  assert.equal(again.alert.createdAtMs, 1000);
  assert.deepEqual(again.alert.evidence.eventIds, ['e1', 'e2', 'e3']);
  // Raised together in one group commit: still one alert per entity and rule.
  await Promise.all([alerts.raise(burst('T2', ['x1']), 3000), alerts.raise(burst('T2', ['x2']), 3000)]);
  for (let i = 0; i < 7; i++)
    await alerts.raise(
      { ...burst(`M${i}`, [`m${i}`], i % 2 === 0 ? 'critical' : 'low'), kind: 'model', rule: 'decline' },
      4000 + i,
    );
  const all = alerts.list({ limit: 100 }).alerts;
  assert.equal(all.length, 9);
  assert.deepEqual(
    all.map((a) => a.id),
    [...all.map((a) => a.id)].sort((a, b) => b - a),
    'newest first',
  );
  assert.equal(all.find((a) => a.entityId === 'T2')?.count, 2);
  assert.equal(alerts.list({ kind: ['model'], severity: ['critical'] }).alerts.length, 4);
  assert.equal(alerts.list({ entityKind: 'terminal', entityId: 'T1' }).alerts.length, 1);
  assert.equal(alerts.list({ createdFromMs: 4000, createdToMs: 4003 }).alerts.length, 3);
  // Pages of 4 with the cursor: every alert once, in order.
  const paged: number[] = [];
  let beforeId: number | undefined;
  do {
    const page = alerts.list({ limit: 4, ...(beforeId === undefined ? {} : { beforeId }) });
    paged.push(...page.alerts.map((a) => a.id));
    beforeId = page.nextBeforeId;
  } while (beforeId !== undefined);
  assert.deepEqual(
    paged,
    all.map((a) => a.id),
  );
  assert.deepEqual(
    alerts.openCounts().sort((a, b) => a.n - b.n),
    [
      { kind: 'early_warning', severity: 'high', n: 2 },
      { kind: 'model', severity: 'low', n: 3 },
      { kind: 'model', severity: 'critical', n: 4 },
    ],
  );
  audit.close();
  const reader = new Database(path, { readonly: true });
  assert.equal((reader.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n, 9);
  reader.close();
});

test('alerts: open → acknowledged → resolved; other moves are refused; a resolved alert is raised anew', async () => {
  const audit = AuditStore.open(join(root, 'b.db'));
  const alerts = AlertStore.on(audit);
  const { alert } = await alerts.raise(burst('T9', ['e9']), 1000);
  const code = (e: unknown) => (e instanceof AlertError ? e.code : String(e));
  await assert.rejects(alerts.acknowledge(999, { by: 'a', atMs: 1 }), (e) => code(e) === 'alert_not_found');
  const acked = await alerts.acknowledge(alert.id, { by: 'analyst:1234abcd', atMs: 1500 });
  assert.equal(acked.status, 'acknowledged');
  assert.equal(acked.acknowledgedBy, 'analyst:1234abcd');
  await assert.rejects(alerts.acknowledge(alert.id, { by: 'a', atMs: 1 }), (e) => code(e) === 'invalid_transition');
  // Two analysts resolve at once: one wins, the other is refused.
  const results = await Promise.allSettled([
    alerts.resolve(alert.id, { by: 'x', atMs: 2000, outcome: 'fraud', note: 'confirmed by the issuer' }),
    alerts.resolve(alert.id, { by: 'y', atMs: 2000, outcome: 'not_fraud' }),
  ]);
  assert.deepEqual(
    results.map((r) => r.status),
    ['fulfilled', 'rejected'],
  );
  const resolved = alerts.get(alert.id);
  assert.equal(resolved?.status, 'resolved');
  assert.equal(resolved?.outcome, 'fraud');
  assert.equal(resolved?.resolvedBy, 'x');
  assert.equal(resolved?.note, 'confirmed by the issuer');
  await assert.rejects(
    alerts.resolve(alert.id, { by: 'y', atMs: 1, outcome: 'fraud' }),
    (e) => code(e) === 'invalid_transition',
  );
  await assert.rejects(alerts.acknowledge(alert.id, { by: 'y', atMs: 1 }), (e) => code(e) === 'invalid_transition');
  const fresh = await alerts.raise(burst('T9', ['e10']), 3000);
  assert.equal(fresh.created, true);
  assert.notEqual(fresh.alert.id, alert.id);
  assert.deepEqual(
    alerts.activeFor('terminal', 'T9').map((a) => a.id),
    [fresh.alert.id],
  );
  audit.close();
});
