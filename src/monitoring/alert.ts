/**
 * What an alert is, independent of where it is kept: who raised it (a rule, early warning or the
 * model), how severe, about which entity, and the evidence an analyst needs to work it.
 */
import type { EntityKind } from './entity-kinds.js';

export const ALERT_KINDS = ['rule', 'early_warning', 'model'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/** Severities, least severe first (the order {@link maxSeverity} uses). */
export const ALERT_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type AlertSeverity = (typeof ALERT_SEVERITIES)[number];

/** `open` → `acknowledged` → `resolved`, or `open` → `resolved` directly. */
export const ALERT_STATUSES = ['open', 'acknowledged', 'resolved'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

/** How an analyst resolved an alert; it becomes a label (1 / 0) of every event the alert names. */
export const ALERT_OUTCOMES = ['fraud', 'not_fraud'] as const;
export type AlertOutcome = (typeof ALERT_OUTCOMES)[number];

/** Why an alert was raised: the events it names and the numbers that triggered it. */
export interface AlertEvidence {
  /** Events the alert is about; resolving the alert labels each of them. */
  eventIds: string[];
  /** The indicator values (or feature values) that crossed their thresholds, by name. */
  indicators?: Record<string, number>;
  [detail: string]: unknown;
}

/**
 * An alert to raise. `kind` + `entityKind` + `entityId` + `rule` identify it: while such an
 * alert is not resolved, raising it again updates that alert (count, last seen, evidence)
 * instead of adding another.
 */
export interface RaiseAlertInput {
  kind: AlertKind;
  severity: AlertSeverity;
  entityKind: EntityKind;
  /** The entity's id as the service holds it: the pseudonym for personal kinds. */
  entityId: string;
  /** The rule id or indicator that fired, e.g. `high_risk_window` or a rule's id. */
  rule: string;
  /** One line for a queue: `terminal T7: 12 high-risk transactions in 10 minutes`. */
  title: string;
  evidence: AlertEvidence;
}

/** The more severe of two severities. */
export function maxSeverity(a: AlertSeverity, b: AlertSeverity): AlertSeverity {
  return ALERT_SEVERITIES.indexOf(a) >= ALERT_SEVERITIES.indexOf(b) ? a : b;
}
