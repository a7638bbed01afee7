/** The state snapshot worker's metrics, in the service's registry. */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BackgroundStateKeeper } from './background-state-keeper.js';

/**
 * Registers the snapshot gauges, read from the keeper at each scrape, and the duration histogram:
 * `vigil_state_snapshot_age_events`, `vigil_state_snapshot_age_seconds`,
 * `vigil_state_snapshot_bytes`, `vigil_state_snapshot_duration_seconds`,
 * `vigil_state_snapshots_total`, `vigil_state_snapshot_worker_lag_events`,
 * `vigil_state_snapshot_worker_up`, `vigil_state_snapshot_worker_failures_total` and
 * `vigil_state_snapshot_worker_busy_seconds_total{phase}` (its thread's time: its CPU, as the
 * work is computation and page writes).
 */
export function registerSnapshotMetrics(registry: Registry, keeper: BackgroundStateKeeper): void {
  const registers = [registry];
  const duration = new Histogram({
    name: 'vigil_state_snapshot_duration_seconds',
    help: "Snapshot worker's thread time per snapshot (the state's copy, its JSON, the row's commit; the file is written by asynchronous I/O); never on the service's thread",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  keeper.onSnapshot((s) => duration.observe(s.workMs / 1000));
  new Gauge({
    name: 'vigil_state_snapshot_age_events',
    help: 'Events the online state has taken since the newest state snapshot',
    registers,
    collect() {
      this.set(keeper.ageEvents());
    },
  });
  new Gauge({
    name: 'vigil_state_snapshot_age_seconds',
    help: 'Seconds since the newest state snapshot of this run (since the start before the first)',
    registers,
    collect() {
      this.set(keeper.ageSeconds());
    },
  });
  new Gauge({
    name: 'vigil_state_snapshot_bytes',
    help: 'Size of the newest state snapshot of this run (0 before the first)',
    registers,
    collect() {
      this.set(keeper.status().last?.bytes ?? 0);
    },
  });
  new Counter({
    name: 'vigil_state_snapshots_total',
    help: 'State snapshots written by the snapshot worker',
    registers,
    collect() {
      this.reset();
      this.inc(keeper.status().written);
    },
  });
  new Gauge({
    name: 'vigil_state_snapshot_worker_lag_events',
    help: "Events the online state has taken beyond the snapshot worker's copy",
    registers,
    collect() {
      this.set(keeper.status().lagEvents);
    },
  });
  new Gauge({
    name: 'vigil_state_snapshot_worker_up',
    help: '1 while the snapshot worker runs and follows the log, else 0',
    registers,
    collect() {
      this.set(keeper.status().workerUp ? 1 : 0);
    },
  });
  new Counter({
    name: 'vigil_state_snapshot_worker_failures_total',
    help: 'Snapshot workers that failed (each is started again after a delay, up to a limit)',
    registers,
    collect() {
      this.reset();
      this.inc(keeper.status().failures);
    },
  });
  new Counter({
    name: 'vigil_state_snapshot_worker_busy_seconds_total',
    help: "Snapshot worker's thread time, by phase: following the log (replay) and writing snapshots",
    labelNames: ['phase'],
    registers,
    collect() {
      const { busyMs } = keeper.status();
      this.reset();
      this.inc({ phase: 'replay' }, busyMs.replay / 1000);
      this.inc({ phase: 'snapshot' }, busyMs.snapshot / 1000);
    },
  });
}
