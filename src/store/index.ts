/**
 * What the risk service keeps: decisions and labels (`DecisionLog`), in SQLite (`AuditStore`:
 * WAL, group commit, committed before the service answers); snapshots of the online state and
 * model deployments beside them in the same file (`StateStore`), alerts (`AlertStore`), and entity
 * recent decisions by entity for profiles (`EntityDecisions`, in memory), and login and behaviour events with their
 * decisions (`ActivityStore`).
 */
export {
  type ActivityKind,
  type ActivityLog,
  type ActivityRecord,
  ActivityStore,
  type StoredActivityEvent,
} from './activity-store.js';
export {
  AlertError,
  type AlertFilter,
  type AlertPage,
  type AlertRecord,
  AlertStore,
  MAX_EVIDENCE_EVENTS,
  type RaisedAlert,
} from './alert-store.js';
export {
  AUDIT_DURABILITY,
  AUDIT_SCHEMA_VERSION,
  type AuditCommit,
  type AuditDurability,
  AuditStore,
  type AuditStoreOptions,
  type WalSync,
} from './audit-store.js';
export { registerAuditStoreMetrics } from './audit-store-metrics.js';
export {
  type DecisionLog,
  type DecisionRecord,
  type LabelRecord,
  labelTargetOfStoredEvent,
  type StoredEvent,
  transactionOfStoredEvent,
} from './decision-log.js';
export { EntityDecisions, type EntityDecisionsOptions } from './entity-decisions.js';
export {
  type LoggedActivity,
  type LoggedDecision,
  type RecentBounds,
  recentActivity,
  recentDecisions,
} from './recent-history.js';
export { RuleSetStore, type StoredRuleSet } from './rule-set-store.js';
export {
  type DeploymentRecord,
  type DeploymentRole,
  type LabelledScores,
  type LoggedEvent,
  type LoggedLabel,
  type LogPage,
  SNAPSHOTS_KEPT,
  type SnapshotInfo,
  StateStore,
} from './state-store.js';
