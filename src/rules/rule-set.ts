/**
 * The JSON shape of a rule set (docs/service.md, "Rules"): what analysts write and the service
 * keeps. A rule set has a version, optional named lists, and rules in order; each rule has an
 * action and a condition, a small expression tree over event fields, online features and the
 * model's score.
 *
 * @example
 * {
 *   "version": "2026-12-03.1",
 *   "lists": { "blockedIps": ["203.0.113.7", "198.51.100.23"] },
 *   "rules": [
 *     { "id": "blocked-ip", "action": "decline", "reason": "IP address on the blocked list",
 *       "when": { "field": "event.ipAddress", "op": "in", "list": "blockedIps" } },
 *     { "id": "big-and-busy", "action": "review", "reason": "large amount on a busy card",
 *       "when": { "all": [
 *         { "field": "event.amount", "op": ">", "value": 1000 },
 *         { "field": "features.CUSTOMER_ID_NB_TX_1DAY_WINDOW", "op": ">=", "value": 5 } ] } }
 *   ]
 * }
 */
import type { Decision } from '../scoring/index.js';

/** What a rule does when its condition holds: `alert` raises an alert and leaves the decision alone. */
export type RuleAction = 'review' | 'decline' | 'alert';
export const RULE_ACTIONS: readonly RuleAction[] = ['review', 'decline', 'alert'];

export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';
export const ALERT_SEVERITIES: readonly AlertSeverity[] = ['low', 'medium', 'high', 'critical'];
/** Severity of an alert rule that names none. */
export const DEFAULT_ALERT_SEVERITY: AlertSeverity = 'medium';

export type ComparisonOp = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type ConditionOp = ComparisonOp | 'in' | 'notIn' | 'exists';
export const CONDITION_OPS: readonly ConditionOp[] = ['>', '>=', '<', '<=', '==', '!=', 'in', 'notIn', 'exists'];

/** A test of one field: `{field, op, value}`, `{field, op: "in", list}`, `{field, op: "exists"}`. */
export interface FieldCondition {
  /** `event.<name>`, `features.<FEATURE_NAME>` or `score`. */
  field: string;
  op: ConditionOp;
  value?: string | number | boolean | (string | number)[];
  /** The name of a list of the rule set (with `in` / `notIn`). */
  list?: string;
}

export type Condition = FieldCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

export interface Rule {
  /** Unique in the set; reported in `rulesHit`. */
  id: string;
  action: RuleAction;
  /** Why the rule fires, as the decision's reasons and the alert show it. */
  reason: string;
  description?: string;
  /** Only for `alert` rules (default `medium`). */
  severity?: AlertSeverity;
  /** `false` keeps the rule in the set without evaluating it. */
  enabled?: boolean;
  when: Condition;
}

export interface RuleSet {
  /** Names this set in the audit records: 1–64 characters of letters, digits and `. _ : -`. */
  version: string;
  description?: string;
  /** Named lists of values (all strings or all numbers), used by `in` / `notIn` conditions. */
  lists?: Record<string, (string | number)[]>;
  rules: Rule[];
  /**
   * Set by the service on the sets it keeps: the values compared with personal identifiers
   * (`customerId`, `ipAddress`, `deviceId`) are already pseudonyms, so they are not
   * pseudonymised again.
   */
  pseudonymised?: boolean;
}

/** A rule whose condition held for an event. */
export interface RuleHit {
  id: string;
  action: RuleAction;
  reason: string;
  /** For `alert` hits. */
  severity?: AlertSeverity;
}

/** The value of each type an event field holds. */
export type FieldType = 'number' | 'string' | 'boolean';

/** The event fields a condition may read (`event.<name>`): the fields of every event kind's body (transaction, login, behaviour). */
export const EVENT_FIELD_TYPES: Readonly<Record<string, FieldType>> = {
  id: 'string',
  kind: 'string',
  timestamp: 'string',
  customerId: 'string',
  terminalId: 'string',
  amount: 'number',
  channel: 'string',
  country: 'string',
  currency: 'string',
  latitude: 'number',
  longitude: 'number',
  ipAddress: 'string',
  deviceId: 'string',
  // Login events (a field another kind lacks is missing there: every comparison with it is false).
  success: 'boolean',
  failureReason: 'string',
  method: 'string',
  // Behaviour events.
  sessionId: 'string',
  dwellTimeMs: 'number',
  clicks: 'number',
  keystrokes: 'number',
  pageViews: 'number',
  action: 'string',
  page: 'string',
};

/** What a compiled rule set reads for one event. */
export interface RuleContext {
  /** The event as the service keeps it (personal identifiers pseudonymised): fields read by name. */
  event: object;
  /** Online features by name; NaN where a feature has no value. */
  features: Readonly<Record<string, number>>;
  /** The model's score; NaN when the model gave none. */
  score: number;
}

const STRICTNESS: Readonly<Record<Decision, number>> = { approve: 0, review: 1, decline: 2 };

/**
 * The stricter of the model's decision and the actions of the rules hit (approve < review <
 * decline); `alert` hits leave the decision as it is.
 *
 * @example
 * stricterDecision('approve', [{ id: 'blocked-ip', action: 'decline', reason: '…' }]); // 'decline'
 */
export function stricterDecision(model: Decision, hits: readonly RuleHit[]): Decision {
  let decision = model;
  for (const hit of hits)
    if (hit.action !== 'alert' && STRICTNESS[hit.action] > STRICTNESS[decision]) decision = hit.action;
  return decision;
}
