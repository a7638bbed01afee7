import assert from 'node:assert/strict';
import { fdatasync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import { AuditStore } from './audit-store.js';
import { registerAuditStoreMetrics } from './audit-store-metrics.js';
import { testDecisions } from './test-decisions.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-audit-metrics-'));
after(() => rm(root, { recursive: true, force: true }));

const until = async (check: () => boolean | Promise<boolean>, ms = 2000) => {
  const end = Date.now() + ms;
  while (!(await check()) && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
};

/** The value of an unlabelled series in the registry's text. */
const seriesValue = async (registry: Registry, series: string) => {
  const line = (await registry.metrics()).split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
};

test('the WAL syncs in /metrics: durations, failures, and how long the oldest unsynced commit has waited', async () => {
  let failNext = false;
  // The sync the test holds until it releases it.
  const held: { release?: () => void } = {};
  const release = () => (held.release as (() => void) | undefined)?.();
  const store = AuditStore.open(join(root, 'metrics.db'), {
    durability: 'process',
    checkpointIntervalMs: 0,
    writerThread: false,
    walSyncIntervalMs: 20,
    syncWal: (fd, done) => {
      if (failNext) {
        failNext = false;
        done(new Error('EIO'));
      } else held.release = () => fdatasync(fd, done);
    },
  });
  // A listener that throws is warned about and stops nothing: the syncs below still count.
  store.onWalSync(() => {
    throw new Error('listener fault');
  });
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  const registry = new Registry();
  registerAuditStoreMetrics(registry, store);
  assert.equal(await seriesValue(registry, 'vigil_audit_unsynced_seconds'), 0);
  await store.append(testDecisions(0, 2));
  // Held by the test: the gauge counts the wait.
  assert.equal(await until(() => held.release !== undefined), true);
  await new Promise((r) => setTimeout(r, 60));
  assert.ok(((await seriesValue(registry, 'vigil_audit_unsynced_seconds')) ?? 0) >= 0.05);
  release();
  assert.equal(await until(async () => (await seriesValue(registry, 'vigil_audit_unsynced_seconds')) === 0), true);
  assert.equal(await seriesValue(registry, 'vigil_audit_wal_sync_duration_seconds_count'), 1);
  assert.match((await warned).message, /sync listener failed: listener fault/);
  assert.equal(await seriesValue(registry, 'vigil_audit_wal_sync_failures_total'), 0);

  failNext = true;
  held.release = undefined;
  await store.append(testDecisions(2, 1));
  assert.equal(
    await until(async () => (await seriesValue(registry, 'vigil_audit_wal_sync_failures_total')) === 1),
    true,
  );
  // Retried on the next tick, and then on disk.
  assert.equal(await until(() => held.release !== undefined), true);
  release();
  assert.equal(await until(async () => (await seriesValue(registry, 'vigil_audit_unsynced_seconds')) === 0), true);
  assert.equal(await seriesValue(registry, 'vigil_audit_wal_sync_duration_seconds_count'), 3);
  store.close();

  // A store that does not sync its WAL reports its commits only.
  const memory = AuditStore.open(':memory:');
  const commitsOnly = new Registry();
  registerAuditStoreMetrics(commitsOnly, memory);
  assert.equal(memory.unsyncedForMs(), undefined);
  const names = (await commitsOnly.getMetricsAsJSON()).map((m) => m.name);
  assert.deepEqual(names, ['vigil_audit_commit_duration_seconds', 'vigil_audit_commit_decisions']);
  memory.close();
});

test('each group committed on the service thread in /metrics: how long it held the thread, and its decisions', async () => {
  const store = AuditStore.open(join(root, 'commits.db'), {
    durability: 'process',
    checkpointIntervalMs: 0,
    writerThread: false,
    walSyncIntervalMs: 0,
  });
  const registry = new Registry();
  registerAuditStoreMetrics(registry, store);
  const commits: { decisions: number; otherWrites: number; seconds: number }[] = [];
  store.onCommit((commit) => commits.push(commit));
  // A listener that throws is warned about; the commits and the other listeners go on.
  store.onCommit(() => {
    throw new Error('listener fault');
  });
  const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
  // Appended in one tick: one group of 5 decisions and an alert-like write.
  await Promise.all([
    store.append(testDecisions(0, 3)),
    store.append(testDecisions(3, 2)),
    store.write(() => store.connection.exec('CREATE TABLE IF NOT EXISTS extra (x)')),
  ]);
  await store.append(testDecisions(5, 1));
  assert.deepEqual(
    commits.map(({ decisions, otherWrites }) => ({ decisions, otherWrites })),
    [
      { decisions: 5, otherWrites: 1 },
      { decisions: 1, otherWrites: 0 },
    ],
  );
  assert.ok(commits.every((c) => c.seconds > 0 && c.seconds < 5));
  assert.match((await warned).message, /commit listener failed: listener fault/);
  assert.equal(await seriesValue(registry, 'vigil_audit_commit_decisions_sum'), 6);
  assert.equal(await seriesValue(registry, 'vigil_audit_commit_decisions_count'), 2);
  const held = (await seriesValue(registry, 'vigil_audit_commit_duration_seconds_sum')) ?? 0;
  assert.ok(Math.abs(held - (commits[0]?.seconds ?? 0) - (commits[1]?.seconds ?? 0)) < 1e-9);
  store.close();
});

test('with machine durability an answered decision is on disk: nothing unsynced once its append resolves', async () => {
  const store = AuditStore.open(join(root, 'machine.db'), {
    durability: 'machine',
    checkpointIntervalMs: 0,
    writerThread: false,
  });
  const registry = new Registry();
  registerAuditStoreMetrics(registry, store);
  await Promise.all([store.append(testDecisions(0, 3)), store.append(testDecisions(3, 3))]);
  assert.equal(await seriesValue(registry, 'vigil_audit_unsynced_seconds'), 0);
  assert.ok(((await seriesValue(registry, 'vigil_audit_wal_sync_duration_seconds_count')) ?? 0) >= 1);
  store.close();
});
