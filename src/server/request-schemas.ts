/**
 * The service's request and response bodies as TypeBox schemas (the route types come from them),
 * and the checks JSON Schema cannot say: the event kind first, amounts, and times not too far
 * ahead of the server's clock.
 */
import Type, { type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import Value from 'typebox/value';
import type { Issue } from '../errors.js';

const Id = Type.String({ minLength: 1, maxLength: 256 });
const Text = Type.String({ maxLength: 256 });

/** A transaction event: the fields the fraud feature engine reads (docs/features.md). */
export const TransactionBody = Type.Object(
  {
    kind: Type.Literal('transaction'),
    id: Id,
    /** ISO 8601 / RFC 3339 with a zone: `2026-12-03T08:00:00Z`, `2026-12-03T09:00:00.250+01:00`. */
    timestamp: Type.String({ format: 'date-time' }),
    customerId: Id,
    terminalId: Id,
    /** In the currency's major unit; finite, 0 to MAX_AMOUNT. */
    amount: Type.Number(),
    channel: Type.Optional(Text),
    country: Type.Optional(Text),
    currency: Type.Optional(Text),
    latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    ipAddress: Type.Optional(Text),
    deviceId: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type TransactionBody = Static<typeof TransactionBody>;

/** Longest dwell time accepted (a week): anything above is taken for a unit error upstream (µs sent as ms). */
export const MAX_DWELL_TIME_MS = 7 * 86_400_000;
/** Largest count of clicks, keystrokes or page views accepted in one behaviour event. */
export const MAX_INTERACTION_COUNT = 1_000_000;

const Count = Type.Integer({ minimum: 0, maximum: MAX_INTERACTION_COUNT });

/**
 * A login attempt. Not scored by the model (it is trained on transactions): checked against the
 * rules, fed to early warning and kept with its decision.
 */
export const LoginBody = Type.Object(
  {
    kind: Type.Literal('login'),
    id: Id,
    timestamp: Type.String({ format: 'date-time' }),
    customerId: Id,
    /** Whether the credentials were accepted. */
    success: Type.Boolean(),
    /** Why it failed, as the identity provider says (`bad_password`, `locked`, …). */
    failureReason: Type.Optional(Text),
    /** How the customer authenticated (`password`, `otp`, `biometric`, …). */
    method: Type.Optional(Text),
    channel: Type.Optional(Text),
    country: Type.Optional(Text),
    latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    ipAddress: Type.Optional(Text),
    deviceId: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type LoginBody = Static<typeof LoginBody>;

/**
 * What a customer did in a session (one page or step): dwell time and interaction counts, as a
 * front end's behaviour telemetry sends them. Not scored by the model, like a login.
 */
export const BehaviourBody = Type.Object(
  {
    kind: Type.Literal('behaviour'),
    id: Id,
    timestamp: Type.String({ format: 'date-time' }),
    customerId: Id,
    sessionId: Type.Optional(Id),
    /** Time spent on the page or step, in ms (0 to a week). */
    dwellTimeMs: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_DWELL_TIME_MS })),
    clicks: Type.Optional(Count),
    keystrokes: Type.Optional(Count),
    pageViews: Type.Optional(Count),
    /** What was done (`add_payee`, `change_password`, …) and where (`/payees/new`). */
    action: Type.Optional(Text),
    page: Type.Optional(Text),
    channel: Type.Optional(Text),
    ipAddress: Type.Optional(Text),
    deviceId: Type.Optional(Text),
  },
  { additionalProperties: false },
);
export type BehaviourBody = Static<typeof BehaviourBody>;

/** The kinds of event the service takes; only transactions are scored by the model. */
export const EVENT_KINDS = ['transaction', 'login', 'behaviour'] as const;
export type EventKind = (typeof EVENT_KINDS)[number];

/** Any event body (`kind` tells which). */
export const EventBody = Type.Union([TransactionBody, LoginBody, BehaviourBody]);
export type EventBody = Static<typeof EventBody>;
/** A login or behaviour event: decided by the rules alone. */
export type ActivityBody = LoginBody | BehaviourBody;

const SCHEMA_OF_KIND: Readonly<Record<EventKind, TSchema>> = {
  transaction: TransactionBody,
  login: LoginBody,
  behaviour: BehaviourBody,
};

/** Largest amount accepted: anything above is taken for a unit or parsing error upstream. */
export const MAX_AMOUNT = 1e12;

/** Events per `POST /v1/events:batch`. */
export const MAX_BATCH_EVENTS = 1000;

export const BatchBody = Type.Object(
  { events: Type.Array(EventBody, { minItems: 1, maxItems: MAX_BATCH_EVENTS }) },
  { additionalProperties: false },
);
export type BatchBody = Static<typeof BatchBody>;

/** A confirmed outcome for an event scored earlier: 1 fraud, 0 genuine (cleared). */
export const LabelBody = Type.Object(
  { eventId: Id, label: Type.Integer({ minimum: 0, maximum: 1 }) },
  { additionalProperties: false },
);
export type LabelBody = Static<typeof LabelBody>;

export const IssueBody = Type.Object({
  code: Type.String(),
  path: Type.Array(Type.Union([Type.String(), Type.Number()])),
  message: Type.String(),
});

export const ErrorBody = Type.Object({
  code: Type.String(),
  message: Type.String(),
  issues: Type.Array(IssueBody),
});

/**
 * The answer for one event. `score` and `modelVersion` are null for login and behaviour events,
 * which the model does not score (it is trained on transactions); their decision is the rules'.
 */
export const DecisionBody = Type.Object({
  eventId: Type.String(),
  decision: Type.Union([Type.Literal('approve'), Type.Literal('review'), Type.Literal('decline')]),
  score: Type.Union([Type.Number(), Type.Null()]),
  reasons: Type.Array(Type.String()),
  rulesHit: Type.Array(Type.String()),
  modelVersion: Type.Union([Type.String(), Type.Null()]),
  latencyMs: Type.Number(),
});
export type DecisionBody = Static<typeof DecisionBody>;

export const BatchDecisionBody = Type.Object({ results: Type.Array(DecisionBody) });

export const LabelResultBody = Type.Object({
  eventId: Type.String(),
  label: Type.Integer(),
  /** Whether the online label windows still held the event (false: stored only). */
  appliedOnline: Type.Boolean(),
});

/** Limits of the checks beyond the schema. */
export interface EventChecks {
  /** The server's clock, ms since the epoch. */
  nowMs: number;
  /** How far ahead of `nowMs` an event's time may be. */
  maxFutureSeconds: number;
}

const CODES: Record<string, string> = {
  required: 'missing_field',
  additionalProperties: 'unknown_field',
  type: 'invalid_type',
  format: 'invalid_format',
  minLength: 'too_short',
  maxLength: 'too_long',
  minimum: 'out_of_range',
  maximum: 'out_of_range',
  minItems: 'too_few_items',
  maxItems: 'too_many_items',
  const: 'invalid_value',
};

function pathOf(instancePath: string): (string | number)[] {
  if (instancePath === '') return [];
  return instancePath
    .slice(1)
    .split('/')
    .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function valueAt(data: unknown, path: (string | number)[]): unknown {
  let v = data;
  for (const p of path) v = typeof v === 'object' && v !== null ? (v as Record<string, unknown>)[p] : undefined;
  return v;
}

const compiled = new WeakMap<TSchema, ReturnType<typeof Compile>>();

/** Whether `data` fits `schema`, with a checker compiled once per schema (a few hundred ns; listing errors takes ~100× longer). */
export function fitsSchema(schema: TSchema, data: unknown): boolean {
  let check = compiled.get(schema);
  if (check === undefined) compiled.set(schema, (check = Compile(schema)));
  return check.Check(data);
}

/** Every way `data` breaks `schema`, as issues: one per missing or unknown property. */
export function schemaIssues(schema: TSchema, data: unknown, prefix: (string | number)[] = []): Issue[] {
  // The common case, a valid body, costs one compiled check; errors are listed only for a bad one.
  if (fitsSchema(schema, data)) return [];
  const issues: Issue[] = [];
  for (const e of Value.Errors(schema, data)) {
    const path = [...prefix, ...pathOf(e.instancePath)];
    const params = e.params as Record<string, unknown>;
    if (e.keyword === 'boolean') continue; // the additionalProperties error says it
    if (e.keyword === 'required')
      for (const name of (params.requiredProperties as string[]) ?? [])
        issues.push({ code: 'missing_field', path: [...path, name], message: `${name} is required` });
    else if (e.keyword === 'additionalProperties')
      for (const name of (params.additionalProperties as string[]) ?? [])
        issues.push({ code: 'unknown_field', path: [...path, name], message: `${name} is not a field of this body` });
    else {
      const value = valueAt(data, path.slice(prefix.length));
      const nonFinite =
        e.keyword === 'type' &&
        (params.type === 'number' || params.type === 'integer') &&
        typeof value === 'number' &&
        !Number.isFinite(value);
      issues.push({
        code: nonFinite ? 'not_finite' : (CODES[e.keyword] ?? 'invalid_value'),
        path,
        message: nonFinite ? 'must be a finite number' : e.message,
      });
    }
  }
  // Never let a body the compiled check refused through for want of a listed error.
  if (issues.length === 0) issues.push({ code: 'invalid_value', path: prefix, message: 'does not fit the schema' });
  return issues;
}

/**
 * Every problem of one event body: an unknown or missing `kind` alone (the fields of an unknown
 * kind are not checked), else the schema's problems for that kind, a negative amount, and a time
 * more than `maxFutureSeconds` ahead of the server's clock.
 */
export function eventIssues(data: unknown, checks: EventChecks, prefix: (string | number)[] = []): Issue[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return [{ code: 'invalid_type', path: prefix, message: 'an event must be a JSON object' }];
  const kind = (data as Record<string, unknown>).kind;
  const known = EVENT_KINDS.join('", "');
  if (typeof kind !== 'string' || !Object.hasOwn(SCHEMA_OF_KIND, kind))
    return [
      kind === undefined
        ? { code: 'missing_field', path: [...prefix, 'kind'], message: `kind is required ("${known}")` }
        : {
            code: 'unknown_kind',
            path: [...prefix, 'kind'],
            message: `unknown event kind ${JSON.stringify(kind)}: this service takes "${known}" events`,
          },
    ];
  const issues = schemaIssues(SCHEMA_OF_KIND[kind as EventKind], data, prefix);
  // A body that fits its schema has a well-formed timestamp: checking it again cost a second date-time match.
  const fitsKind = issues.length === 0;
  const { amount, timestamp } = data as Record<string, unknown>;
  if (kind === 'transaction') {
    if (typeof amount === 'number' && Number.isFinite(amount) && amount < 0)
      issues.push({ code: 'out_of_range', path: [...prefix, 'amount'], message: 'amount must be ≥ 0' });
    else if (typeof amount === 'number' && Number.isFinite(amount) && amount > MAX_AMOUNT)
      issues.push({
        code: 'out_of_range',
        path: [...prefix, 'amount'],
        message: `amount must be at most ${MAX_AMOUNT}`,
      });
  }
  if (typeof timestamp === 'string' && (fitsKind || fitsSchema(TransactionBody.properties.timestamp, timestamp))) {
    const ms = Date.parse(timestamp);
    if (!Number.isFinite(ms))
      issues.push({ code: 'invalid_format', path: [...prefix, 'timestamp'], message: 'not a valid time' });
    else if (ms > checks.nowMs + checks.maxFutureSeconds * 1000)
      issues.push({
        code: 'in_future',
        path: [...prefix, 'timestamp'],
        message: `${timestamp} is more than ${checks.maxFutureSeconds} s ahead of the server's clock (${new Date(checks.nowMs).toISOString()})`,
      });
  }
  return issues;
}

/** Every problem of a batch body: its shape, each event's problems, and ids repeated within it. */
export function batchIssues(data: unknown, checks: EventChecks): Issue[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    return [{ code: 'invalid_type', path: [], message: 'the body must be a JSON object {events: [...]}' }];
  const { events, ...rest } = data as Record<string, unknown>;
  const issues: Issue[] = Object.keys(rest).map((name) => ({
    code: 'unknown_field',
    path: [name],
    message: `${name} is not a field of this body`,
  }));
  if (!Array.isArray(events)) {
    issues.push(
      events === undefined
        ? { code: 'missing_field', path: ['events'], message: 'events is required' }
        : { code: 'invalid_type', path: ['events'], message: 'events must be an array' },
    );
    return issues;
  }
  if (events.length === 0 || events.length > MAX_BATCH_EVENTS)
    issues.push({
      code: events.length === 0 ? 'too_few_items' : 'too_many_items',
      path: ['events'],
      message: `a batch holds 1 to ${MAX_BATCH_EVENTS} events, got ${events.length}`,
    });
  const seen = new Map<unknown, number>();
  events.forEach((event, i) => {
    issues.push(...eventIssues(event, checks, ['events', i]));
    const id = (event as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else
      issues.push({
        code: 'duplicate_event',
        path: ['events', i, 'id'],
        message: `event id ${JSON.stringify(id)} is also at events[${first}]`,
      });
  });
  return issues;
}
