/**
 * Restart recovery of the online feature state (docs/service.md, "Restart recovery"):
 * `recoverOnlineState` (newest snapshot of the spec, then a replay of the log after it) and
 * `OnlineStateKeeper` (periodic and shutdown snapshots).
 */
export {
  DEFAULT_SNAPSHOT_POLICY,
  OnlineStateKeeper,
  type RecoveryReport,
  recoverOnlineState,
  type SnapshotPolicy,
  type SnapshotWritten,
} from './online-state.js';
