/**
 * What the risk service keeps: decisions and labels (`DecisionLog`), in SQLite (`AuditStore`:
 * WAL, group commit, committed before the service answers).
 */
export {
  AUDIT_DURABILITY,
  AUDIT_SCHEMA_VERSION,
  type AuditDurability,
  AuditStore,
  type AuditStoreOptions,
} from './audit-store.js';
export type { DecisionLog, DecisionRecord, LabelRecord, StoredEvent } from './decision-log.js';
export { RuleSetStore, type StoredRuleSet } from './rule-set-store.js';
