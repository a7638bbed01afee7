/**
 * Monitoring beyond single decisions (no HTTP here): what an alert is, the entity kinds watched,
 * early-warning indicators per entity and time bucket with spike detection, login and behaviour
 * indicators (failed-login bursts, new devices, shared addresses, bot-like rates), and model alerts
 * for declines. The service feeds it decided events and keeps the alerts it raises.
 */

export {
  type AccessIndicators,
  AccessWarning,
  isBotLike,
  MIN_INTERACTIONS_FOR_RATE,
  type ObservedAccess,
} from './access-warning.js';
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
  checkEarlyWarningOptions,
  DEFAULT_EARLY_WARNING,
  EARLY_WARNING_OPTIONS,
  EarlyWarning,
  type EarlyWarningOptions,
  type EntityIndicators,
  earlyWarningIssues,
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
