/** The audit store's commits and disk syncs, in the service's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AuditStore } from './audit-store.js';

/**
 * Registers the store's metrics in `registry`:
 * - `vigil_audit_commit_duration_seconds` and `vigil_audit_commit_decisions`: each group committed
 *   on the service's thread, how long its transaction held the thread (the event loop waits
 *   meanwhile) and how many decisions it held. Their sums over their counts give the thread's
 *   time per decision and the group size, which group commit trades against each other.
 * - When the store syncs its WAL itself: `vigil_audit_wal_sync_duration_seconds` (each
 *   `fdatasync`), `vigil_audit_wal_sync_failures_total`, and `vigil_audit_unsynced_seconds`, read
 *   at each scrape: how long the oldest committed decision not yet on disk has waited, which is
 *   what a power cut could take now. With `process` durability it stays under the sync interval
 *   plus one sync; an alert on it catches a disk whose syncs stall or fail. A store that does not
 *   sync (in memory, or `walSyncIntervalMs: 0`) registers none of these three.
 */
export function registerAuditStoreMetrics(registry: Registry, store: AuditStore): void {
  const registers = [registry];
  const commitDuration = new Histogram({
    name: 'vigil_audit_commit_duration_seconds',
    help: "Time each group commit of the audit store held the service's thread (inserts and commit)",
    buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1],
    registers,
  });
  const commitDecisions = new Histogram({
    name: 'vigil_audit_commit_decisions',
    help: "Decisions in each group committed on the service's thread",
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers,
  });
  store.onCommit((commit) => {
    commitDuration.observe(commit.seconds);
    commitDecisions.observe(commit.decisions);
  });
  if (store.unsyncedForMs() === undefined) return;
  const duration = new Histogram({
    name: 'vigil_audit_wal_sync_duration_seconds',
    help: "Time of each fdatasync of the audit store's WAL (off the service's thread)",
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const failures = new Counter({
    name: 'vigil_audit_wal_sync_failures_total',
    help: "Syncs of the audit store's WAL that failed (retried; with machine durability their appends failed)",
    registers,
  });
  store.onWalSync((sync) => {
    duration.observe(sync.seconds);
    if (sync.failed) failures.inc();
  });
  new Gauge({
    name: 'vigil_audit_unsynced_seconds',
    help: 'How long the oldest committed decision not yet synced to disk has waited (0: all are on disk): what a power cut could take now',
    registers,
    collect() {
      this.set((store.unsyncedForMs() ?? 0) / 1000);
    },
  });
}
