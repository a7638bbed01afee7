import { ConfigError, type Issue } from '../errors.js';

/** The event fields a feature spec reads; a spec's `columns` maps source columns onto them. */
export const EVENT_FIELDS = [
  'id',
  'timestamp',
  'customerId',
  'terminalId',
  'amount',
  'label',
  'channel',
  'country',
  'currency',
  'latitude',
  'longitude',
  'ipAddress',
  'deviceId',
] as const;
export type EventField = (typeof EVENT_FIELDS)[number];

/** Entity keys a feature can group by: each key's entities keep their own state. */
export const ENTITY_KEYS = ['customerId', 'terminalId', 'ipAddress', 'deviceId'] as const;
export type EntityKey = (typeof ENTITY_KEYS)[number];

/** Aggregates over a window of an entity's events. */
export const WINDOW_AGGREGATES = ['count', 'sum', 'mean', 'max', 'distinct'] as const;
export type WindowAggregate = (typeof WINDOW_AGGREGATES)[number];

/** Numeric event fields `sum`, `mean` and `max` read. */
export const WINDOW_FIELDS = ['amount', 'label'] as const;
export type WindowField = (typeof WINDOW_FIELDS)[number];

/** Categorical event fields `distinct` counts and `firstUse` remembers. */
export const CATEGORY_FIELDS = ['customerId', 'terminalId', 'ipAddress', 'deviceId', 'country', 'channel'] as const;
export type CategoryField = (typeof CATEGORY_FIELDS)[number];

/**
 * A window's length: exactly one of days, hours or minutes. Windows hold the entity's events with
 * time in (t − delay − length, t − delay]; the current event is included when there is no delay
 * (pandas' `rolling('Nd')` on the event time, as the fraud handbook computes them).
 */
export interface WindowLength {
  windowDays?: number;
  windowHours?: number;
  windowMinutes?: number;
}

/** One feature; `key` defaults to `customerId` where it is optional. */
export type FeatureDefinition =
  | { name: string; kind: 'amount' }
  | { name: string; kind: 'weekend' }
  | { name: string; kind: 'night'; lastHour: number }
  /** Hour of the day (UTC) with its fraction, in [0, 24). */
  | { name: string; kind: 'hourOfDay' }
  | ({
      name: string;
      kind: 'window';
      key: EntityKey;
      aggregate: WindowAggregate;
      /** `sum`, `mean`, `max`: a {@link WindowField}; `distinct`: a {@link CategoryField}. */
      field?: WindowField | CategoryField;
      /** Events younger than this are left out (their labels are not known yet); 0 by default. */
      delayDays?: number;
    } & WindowLength)
  /** The amount divided by the mean amount of the entity's earlier events in the window; 1 with none. */
  | ({ name: string; kind: 'amountToMean'; key?: EntityKey } & WindowLength)
  /** Seconds since the entity's previous event, at most `capSeconds` (default 30 days), which is also the value with none. */
  | { name: string; kind: 'secondsSincePrevious'; key?: EntityKey; capSeconds?: number }
  /** 1 when the event's `field` value is not among the last `memory` (default 32) distinct values the entity used; 0 when the event has none. */
  | { name: string; kind: 'firstUse'; key?: EntityKey; field: CategoryField; memory?: number }
  /** Kilometres from the entity's previous located event (great circle); 0 when either has no location. */
  | { name: string; kind: 'distanceKm'; key?: EntityKey }
  /** Implied km/h from the entity's previous located event (at least one minute apart); 0 when either has no location. */
  | { name: string; kind: 'speedKmh'; key?: EntityKey };

export type FeatureKind = FeatureDefinition['kind'];
export const FEATURE_KINDS: readonly FeatureKind[] = [
  'amount',
  'weekend',
  'night',
  'hourOfDay',
  'window',
  'amountToMean',
  'secondsSincePrevious',
  'firstUse',
  'distanceKm',
  'speedKmh',
];

/** The previous `length` events' feature vectors per entity, for sequence models. */
export interface SequenceSpec {
  /** Whose events form the sequence; default `customerId`. */
  key?: EntityKey;
  /** Earlier events per row (default 5); the row holds length + 1 steps, the current event last. */
  length?: number;
  /** Features per step (default: all of the spec's features, in order). */
  features?: string[];
}

/** A declarative feature set: which source column is which event field, and the features. */
export interface FeatureSpec {
  name: string;
  about?: string;
  columns: Partial<Record<EventField, string>>;
  features: FeatureDefinition[];
  sequence?: SequenceSpec;
  /**
   * Entities idle for longer than this are forgotten (default 90 days, and never less than the
   * longest window plus its delay): novelty and sequences reach back at most this far, and the
   * state of a stream with ever new IPs or devices stays bounded.
   */
  retentionDays?: number;
}

const DAY_SECONDS = 86_400;
export const DEFAULT_RETENTION_DAYS = 90;
export const DEFAULT_SEQUENCE_LENGTH = 5;
export const DEFAULT_NOVELTY_MEMORY = 32;
export const DEFAULT_CAP_SECONDS = 30 * DAY_SECONDS;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The window length in seconds, or undefined when not exactly one of the three fields is a positive number. */
export function windowSeconds(f: WindowLength): number | undefined {
  const given = [
    [f.windowDays, DAY_SECONDS],
    [f.windowHours, 3600],
    [f.windowMinutes, 60],
  ].filter(([v]) => v !== undefined) as [unknown, number][];
  if (given.length !== 1) return undefined;
  const [value, unit] = given[0] as [unknown, number];
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value * unit : undefined;
}

/** The entity key a feature reads (`customerId` where the spec leaves it out), or undefined for row features. */
export function featureKey(f: FeatureDefinition): EntityKey | undefined {
  switch (f.kind) {
    case 'window':
      return f.key;
    case 'amountToMean':
    case 'secondsSincePrevious':
    case 'firstUse':
    case 'distanceKm':
    case 'speedKmh':
      return f.key ?? 'customerId';
    default:
      return undefined;
  }
}

/** The event fields a spec's features need besides timestamp, customerId, terminalId and amount. */
export function fieldsUsed(spec: FeatureSpec): Set<EventField> {
  const used = new Set<EventField>();
  for (const f of spec.features) {
    const key = featureKey(f);
    if (key !== undefined) used.add(key);
    if ((f.kind === 'window' || f.kind === 'firstUse') && f.field !== undefined) used.add(f.field);
    if (f.kind === 'distanceKm' || f.kind === 'speedKmh') {
      used.add('latitude');
      used.add('longitude');
    }
  }
  return used;
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
  const mapped = (field: string) => !isObject(input.columns) || columns[field] !== undefined;
  let longestSeconds = 0;
  for (const [i, f] of (features as unknown[]).entries()) {
    const at = (name: string) => ['features', i, name];
    if (!isObject(f)) {
      problem(['features', i], 'must be an object');
      continue;
    }
    if (typeof f.name !== 'string' || f.name === '') problem(at('name'), 'must be a non-empty string');
    else if (names.has(f.name)) problem(at('name'), `duplicate feature name '${f.name}'`);
    else names.add(f.name);
    const checkKey = (required: boolean) => {
      if (f.key === undefined && !required) return;
      if (!(ENTITY_KEYS as readonly unknown[]).includes(f.key))
        problem(at('key'), `must be one of ${ENTITY_KEYS.join(', ')}`);
      else if (!mapped(f.key as string)) problem(at('key'), `needs columns.${f.key}`);
    };
    const checkWindow = () => {
      const seconds = windowSeconds(f as WindowLength);
      if (seconds === undefined)
        problem(at('windowDays'), 'give exactly one of windowDays, windowHours, windowMinutes, a positive number');
      return seconds ?? 0;
    };
    switch (f.kind) {
      case 'amount':
      case 'weekend':
      case 'hourOfDay':
        break;
      case 'night':
        if (!(Number.isInteger(f.lastHour) && (f.lastHour as number) >= 0 && (f.lastHour as number) < 24))
          problem(at('lastHour'), 'must be an hour 0–23');
        break;
      case 'window': {
        checkKey(true);
        if (!(WINDOW_AGGREGATES as readonly unknown[]).includes(f.aggregate))
          problem(at('aggregate'), `must be one of ${WINDOW_AGGREGATES.join(', ')}`);
        if (f.aggregate === 'distinct') {
          if (!(CATEGORY_FIELDS as readonly unknown[]).includes(f.field))
            problem(at('field'), `distinct needs a field: ${CATEGORY_FIELDS.join(', ')}`);
          else if (!mapped(f.field as string)) problem(at('field'), `needs columns.${f.field}`);
        } else if (f.aggregate !== 'count') {
          if (!(WINDOW_FIELDS as readonly unknown[]).includes(f.field))
            problem(at('field'), `${String(f.aggregate)} needs a field: ${WINDOW_FIELDS.join(' or ')}`);
          else if (f.field === 'label' && !mapped('label')) problem(at('field'), 'label features need columns.label');
        }
        const seconds = checkWindow();
        if (f.delayDays !== undefined && !(typeof f.delayDays === 'number' && f.delayDays >= 0))
          problem(at('delayDays'), 'must be a number of days ≥ 0');
        longestSeconds = Math.max(longestSeconds, seconds + ((f.delayDays as number | undefined) ?? 0) * DAY_SECONDS);
        break;
      }
      case 'amountToMean':
        checkKey(false);
        longestSeconds = Math.max(longestSeconds, checkWindow());
        break;
      case 'secondsSincePrevious':
        checkKey(false);
        if (f.capSeconds !== undefined && !(typeof f.capSeconds === 'number' && f.capSeconds > 0))
          problem(at('capSeconds'), 'must be a positive number of seconds');
        break;
      case 'firstUse':
        checkKey(false);
        if (!(CATEGORY_FIELDS as readonly unknown[]).includes(f.field))
          problem(at('field'), `must be one of ${CATEGORY_FIELDS.join(', ')}`);
        else if (!mapped(f.field as string)) problem(at('field'), `needs columns.${f.field}`);
        if (
          f.memory !== undefined &&
          !(Number.isInteger(f.memory) && (f.memory as number) >= 1 && (f.memory as number) <= 1024)
        )
          problem(at('memory'), 'must be an integer 1–1024');
        break;
      case 'distanceKm':
      case 'speedKmh':
        checkKey(false);
        for (const field of ['latitude', 'longitude'])
          if (!mapped(field)) problem(at('kind'), `${f.kind} needs columns.${field}`);
        break;
      default:
        problem(at('kind'), `must be one of ${FEATURE_KINDS.join(', ')}`);
    }
  }
  if (input.retentionDays !== undefined) {
    const r = input.retentionDays;
    if (!(typeof r === 'number' && r > 0)) problem(['retentionDays'], 'must be a positive number of days');
    else if (r * DAY_SECONDS < longestSeconds)
      problem(['retentionDays'], `must cover the longest window and its delay (${longestSeconds / DAY_SECONDS} days)`);
  }
  if (input.sequence !== undefined) {
    const s = input.sequence;
    if (!isObject(s)) problem(['sequence'], 'must be an object { key, length, features }');
    else {
      if (s.key !== undefined && !(ENTITY_KEYS as readonly unknown[]).includes(s.key))
        problem(['sequence', 'key'], `must be one of ${ENTITY_KEYS.join(', ')}`);
      if (
        s.length !== undefined &&
        !(Number.isInteger(s.length) && (s.length as number) >= 1 && (s.length as number) <= 256)
      )
        problem(['sequence', 'length'], 'must be an integer 1–256');
      if (s.features !== undefined) {
        if (!Array.isArray(s.features) || s.features.length === 0)
          problem(['sequence', 'features'], 'must be a non-empty list of feature names');
        else
          for (const [j, name] of s.features.entries())
            if (!names.has(name as string)) problem(['sequence', 'features', j], `no feature named '${String(name)}'`);
      }
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

/** Retention in seconds: the spec's, the default, or the longest window plus delay, whichever is longest. */
export function retentionSeconds(spec: FeatureSpec): number {
  let longest = (spec.retentionDays ?? DEFAULT_RETENTION_DAYS) * DAY_SECONDS;
  for (const f of spec.features)
    if (f.kind === 'window' || f.kind === 'amountToMean')
      longest = Math.max(
        longest,
        (windowSeconds(f) ?? 0) + (f.kind === 'window' ? (f.delayDays ?? 0) * DAY_SECONDS : 0),
      );
  return longest;
}
