/** The audit store's disk syncs, in the service's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { AuditStore } from './audit-store.js';

/**
 * Registers, when the store syncs its WAL itself: `vigil_audit_wal_sync_duration_seconds` (each
 * `fdatasync`), `vigil_audit_wal_sync_failures_total`, and `vigil_audit_unsynced_seconds`, read at
 * each scrape: how long the oldest committed decision not yet on disk has waited, which is what a
 * power cut could take now. With `process` durability it stays under the sync interval plus one
 * sync; an alert on it catches a disk whose syncs stall or fail. A store that does not sync
 * (in memory, or `walSyncIntervalMs: 0`) registers nothing.
 */
export function registerAuditStoreMetrics(registry: Registry, store: AuditStore): void {
  if (store.unsyncedForMs() === undefined) return;
  const registers = [registry];
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
