import { ConfigError, type Issue } from '../errors.js';

/** The event fields a feature spec reads; a spec's `columns` maps source columns onto them. */
export const EVENT_FIELDS = ['id', 'timestamp', 'customerId', 'terminalId', 'amount', 'label'] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

/** Entity keys a windowed feature can group by. */
export const ENTITY_KEYS = ['customerId', 'terminalId'] as const;
export type EntityKey = (typeof ENTITY_KEYS)[number];

/** Aggregates over a window of an entity's events. */
export const WINDOW_AGGREGATES = ['count', 'sum', 'mean'] as const;
export type WindowAggregate = (typeof WINDOW_AGGREGATES)[number];

/** Numeric event fields an aggregate can read. */
export const WINDOW_FIELDS = ['amount', 'label'] as const;
export type WindowField = (typeof WINDOW_FIELDS)[number];

/**
 * One feature. `window` features aggregate the entity's events with time in
 * (t − delayDays − windowDays, t − delayDays], the current event included when there is no delay
 * (pandas' `rolling('Nd')` on the event time, as the fraud handbook computes them); `mean` of an
 * empty window is 0.
 */
export type FeatureDefinition =
  | { name: string; kind: 'amount' }
  | { name: string; kind: 'weekend' }
  | { name: string; kind: 'night'; lastHour: number }
  | {
      name: string;
      kind: 'window';
      key: EntityKey;
      aggregate: WindowAggregate;
      /** Required for sum and mean. */
      field?: WindowField;
      windowDays: number;
      /** Events younger than this are left out (their labels are not known yet); 0 by default. */
      delayDays?: number;
    };

/** A declarative feature set: which source column is which event field, and the features. */
export interface FeatureSpec {
  name: string;
  columns: Partial<Record<EventField, string>>;
  features: FeatureDefinition[];
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Checks a parsed JSON spec and returns it typed, or throws a ConfigError listing every problem
 * with its path (`features.3.windowDays`).
 */
export function parseFeatureSpec(input: unknown): FeatureSpec {
  const issues: Issue[] = [];
  const problem = (path: (string | number)[], message: string) =>
    issues.push({ code: 'invalid_feature_spec', path, message });
  if (!isObject(input)) throw new ConfigError('invalid_feature_spec', 'a feature spec must be a JSON object');
  if (typeof input.name !== 'string' || input.name === '') problem(['name'], 'must be a non-empty string');
  const columns = isObject(input.columns) ? input.columns : {};
  if (!isObject(input.columns)) problem(['columns'], 'must map event fields to source column names');
  for (const [field, column] of Object.entries(columns)) {
    if (!(EVENT_FIELDS as readonly string[]).includes(field))
      problem(['columns', field], `unknown event field (fields: ${EVENT_FIELDS.join(', ')})`);
    if (typeof column !== 'string' || column === '') problem(['columns', field], 'must be a column name');
  }
  for (const field of ['timestamp', 'customerId', 'terminalId', 'amount'] as const)
    if (isObject(input.columns) && columns[field] === undefined) problem(['columns', field], 'is required');
  const features = Array.isArray(input.features) ? input.features : [];
  if (!Array.isArray(input.features) || features.length === 0) problem(['features'], 'must be a non-empty list');
  const names = new Set<string>();
  for (const [i, f] of (features as unknown[]).entries()) {
    if (!isObject(f)) {
      problem(['features', i], 'must be an object');
      continue;
    }
    if (typeof f.name !== 'string' || f.name === '') problem(['features', i, 'name'], 'must be a non-empty string');
    else if (names.has(f.name)) problem(['features', i, 'name'], `duplicate feature name '${f.name}'`);
    else names.add(f.name);
    switch (f.kind) {
      case 'amount':
      case 'weekend':
        break;
      case 'night':
        if (!(Number.isInteger(f.lastHour) && (f.lastHour as number) >= 0 && (f.lastHour as number) < 24))
          problem(['features', i, 'lastHour'], 'must be an hour 0–23');
        break;
      case 'window': {
        if (!(ENTITY_KEYS as readonly unknown[]).includes(f.key))
          problem(['features', i, 'key'], `must be one of ${ENTITY_KEYS.join(', ')}`);
        if (!(WINDOW_AGGREGATES as readonly unknown[]).includes(f.aggregate))
          problem(['features', i, 'aggregate'], `must be one of ${WINDOW_AGGREGATES.join(', ')}`);
        if (f.aggregate !== 'count' && !(WINDOW_FIELDS as readonly unknown[]).includes(f.field))
          problem(['features', i, 'field'], `${String(f.aggregate)} needs a field: ${WINDOW_FIELDS.join(' or ')}`);
        if (!(typeof f.windowDays === 'number' && f.windowDays > 0))
          problem(['features', i, 'windowDays'], 'must be a positive number of days');
        if (f.delayDays !== undefined && !(typeof f.delayDays === 'number' && f.delayDays >= 0))
          problem(['features', i, 'delayDays'], 'must be a number of days ≥ 0');
        if (f.field === 'label' && isObject(input.columns) && columns.label === undefined)
          problem(['features', i, 'field'], 'label features need columns.label');
        break;
      }
      default:
        problem(['features', i, 'kind'], 'must be amount, weekend, night or window');
    }
  }
  if (issues.length > 0)
    throw new ConfigError(
      'invalid_feature_spec',
      `feature spec: ${issues.map((x) => `${x.path.join('.')}: ${x.message}`).join('; ')}`,
      { issues },
    );
  return input as unknown as FeatureSpec;
}
