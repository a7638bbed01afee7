/**
 * What the risk service keeps: decisions and labels (`DecisionLog`), in SQLite (`AuditStore`:
 * WAL, group commit, committed before the service answers), and alerts in the same file
 * (`AlertStore`), with entity lookups of decisions for profiles (`EntityDecisions`).
 */
export {
  AlertError,
  type AlertFilter,
  type AlertPage,
  type AlertRecord,
  AlertStore,
  MAX_EVIDENCE_EVENTS,
  type RaisedAlert,
} from './alert-store.js';
export { AUDIT_SCHEMA_VERSION, AuditStore, type AuditStoreOptions } from './audit-store.js';
export type { DecisionLog, DecisionRecord, LabelRecord, StoredEvent } from './decision-log.js';
export { EntityDecisions } from './entity-decisions.js';
