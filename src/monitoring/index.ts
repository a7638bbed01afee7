/**
 * Monitoring beyond single decisions (no HTTP here): what an alert is, the entity kinds watched,
 * early-warning indicators per entity and time bucket with spike detection, and model alerts for
 * declines. The service feeds it decided events and keeps the alerts it raises.
 */
export {
  ALERT_KINDS,
  ALERT_OUTCOMES,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  type AlertEvidence,
  type AlertKind,
  type AlertOutcome,
  type AlertSeverity,
  type AlertStatus,
  maxSeverity,
  type RaiseAlertInput,
} from './alert.js';
export {
  DEFAULT_EARLY_WARNING,
  EarlyWarning,
  type EarlyWarningOptions,
  type EntityIndicators,
  entityLabel,
  MAX_DISTINCT_CUSTOMERS,
  type ObservedEvent,
} from './early-warning.js';
export {
  ENTITY_FIELD,
  ENTITY_KINDS,
  type EntityField,
  type EntityKind,
  isEntityKind,
  isPersonalKind,
} from './entity-kinds.js';
export { declineAlert, declineSeverity } from './model-alerts.js';
