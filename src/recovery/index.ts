/**
 * Restart recovery of the online feature state (docs/service.md, "Restart recovery"):
 * `recoverOnlineState` (newest snapshot of the spec, then a replay of the log after it),
 * `BackgroundStateKeeper` (snapshots written by a worker thread that follows the log: what
 * `vigil serve` runs) and `OnlineStateKeeper` (snapshots written on the calling thread).
 */
export {
  type BackgroundKeeperOptions,
  type BackgroundKeeperStatus,
  type BackgroundSnapshot,
  BackgroundStateKeeper,
  type KeptState,
} from './background-state-keeper.js';
export { FeatureStateReplica, type ReplayTarget } from './feature-state-replica.js';
export { LogFollower, type LogPageLimits } from './log-follower.js';
export {
  DEFAULT_SNAPSHOT_POLICY,
  OnlineStateKeeper,
  REPLAY_PAGE_EVENTS,
  type RecoveryReport,
  recoverOnlineState,
  restoreNewestSnapshot,
  type SnapshotPolicy,
  type SnapshotWritten,
} from './online-state.js';
export { registerSnapshotMetrics } from './snapshot-metrics.js';
