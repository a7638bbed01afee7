/**
 * Alerts in the service: raising them after each decision (early warning and model alerts, and
 * whatever else calls {@link Alerting.raiseAlert}, such as rules with action `alert`), their
 * metrics, and the analyst's routes `GET /v1/alerts`, `GET /v1/alerts/:id`,
 * `POST /v1/alerts/:id/ack` and `POST /v1/alerts/:id/resolve` (whose outcome becomes a label of
 * every event the alert names).
 */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, type Registry } from 'prom-client';
import Type, { type Static } from 'typebox';
import type { Issue } from '../errors.js';
import {
  AccessWarning,
  ALERT_KINDS,
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  type AlertKind,
  type AlertSeverity,
  type AlertStatus,
  declineAlert,
  EarlyWarning,
  type EarlyWarningOptions,
  ENTITY_FIELD,
  ENTITY_KINDS,
  isEntityKind,
  isPersonalKind,
  type ObservedAccess,
  type RaiseAlertInput,
} from '../monitoring/index.js';
import {
  type ActivityKind,
  type ActivityRecord,
  type AlertFilter,
  type AlertRecord,
  type AlertStore,
  type AuditStore,
  type DecisionRecord,
  type EntityDecisions,
  type RaisedAlert,
  recentActivity,
  recentDecisions,
  type StoredActivityEvent,
} from '../store/index.js';
import { invalidRequest, RequestError } from './http-errors.js';
import type { PersonalField } from './pseudonymiser.js';
import { schemaIssues } from './request-schemas.js';

/** What `buildRiskService` needs to keep and raise alerts. */
export interface AlertingOptions {
  /** The alerts, in the audit store's file (`AlertStore.on(auditStore)`). */
  store: AlertStore;
  /** Entity lookups of decisions for profiles (`EntityDecisions.on(auditStore)`). */
  entityDecisions: EntityDecisions;
  /**
   * Early-warning thresholds (see {@link EarlyWarningOptions} for the defaults), for transactions
   * and for login and behaviour events alike, or false for none.
   */
  earlyWarning?: EarlyWarningOptions | false;
  /** A model alert for every decline (default true). */
  modelAlerts?: boolean;
  /**
   * The audit store whose recent decisions and login and behaviour events early warning takes
   * again at start, so that its indicators continue where the last run left them (without it they
   * start empty); `replayed` is told what was taken. See {@link replayWarnings}.
   */
  history?: { store: AuditStore; replayed?: (replay: WarningReplay) => void };
}

/** What {@link replayWarnings} took from the log. */
export interface WarningReplay {
  decisions: number;
  activity: number;
  durationMs: number;
}

/** How many of the newest logged decisions (and of login and behaviour events) a start replays at most. */
export const WARNING_HISTORY_EVENTS = 1_000_000;

/**
 * Feeds early warning the decisions and login and behaviour events logged in the last
 * `idleSeconds` of event time (its memory: an entity idle longer is forgotten anyway; two days by
 * default), at most {@link WARNING_HISTORY_EVENTS} of each, in the order they were decided. The
 * alerts this raises again are dropped: they were raised, and kept, when the events were decided.
 * Its state is then what it was when the last run stopped, as the early-warning triggers depend
 * on nothing else (event times, keys, decisions and scores) — save entities evicted by the
 * per-kind cap in another order, and, past the event cap, indicators that start later.
 */
export function replayWarnings(
  earlyWarning: EarlyWarning,
  accessWarning: AccessWarning,
  audit: AuditStore,
): WarningReplay {
  const started = performance.now();
  const bounds = { maxEvents: WARNING_HISTORY_EVENTS, spanSeconds: earlyWarning.options.idleSeconds };
  let decisions = 0;
  for (const d of recentDecisions(audit, bounds)) {
    earlyWarning.observe(d);
    decisions++;
  }
  let activity = 0;
  for (const a of recentActivity(audit, bounds)) {
    accessWarning.observe(observedAccess(a.eventId, a.kind, a.event));
    activity++;
  }
  return { decisions, activity, durationMs: performance.now() - started };
}

/** A kept login or behaviour event as its early warning reads it: live and replayed alike. */
function observedAccess(eventId: string, kind: ActivityKind, e: StoredActivityEvent): ObservedAccess {
  const common = {
    eventId,
    timestampSeconds: Date.parse(e.timestamp) / 1000,
    customerId: e.customerId,
    ipAddress: e.ipAddress,
    deviceId: e.deviceId,
  };
  return kind === 'login'
    ? { ...common, kind: 'login', success: e.success === true }
    : {
        ...common,
        kind: 'behaviour',
        dwellTimeMs: e.dwellTimeMs as number | undefined,
        clicks: e.clicks as number | undefined,
        keystrokes: e.keystrokes as number | undefined,
      };
}

/** The label an outcome gives the alert's events. */
export type RecordLabel = (
  eventId: string,
  label: 0 | 1,
) => Promise<{ eventId: string; label: number; appliedOnline: boolean } | undefined>;

/** What the alert routes use of the service. */
export interface AlertingContext {
  nowMs: () => number;
  declineFrom: number;
  pseudonymise: (field: PersonalField, value: string) => string;
  /** Who sent the request (`analyst:1a2b3c4d`), for acked_by / resolved_by. */
  actorOf: (authorization: string | undefined) => string;
  recordLabel: RecordLabel;
}

/** The alerting of one service instance. */
export interface Alerting {
  readonly store: AlertStore;
  readonly entityDecisions: EntityDecisions;
  readonly earlyWarning: EarlyWarning | undefined;
  /** Login and behaviour indicators (with the same options), undefined when early warning is off. */
  readonly accessWarning: AccessWarning | undefined;
  /**
   * Raises an alert now: a new one, or an update of the same open one (same kind, entity kind and
   * id, rule). Joins the audit store's next group commit; resolves once committed.
   */
  raiseAlert(input: RaiseAlertInput): Promise<RaisedAlert>;
  /**
   * Feeds decided records to early warning and model alerts. Call it after `log.append(records)`
   * and before awaiting it: the alerts then commit in the same transaction as the decisions. It
   * never throws; a failed alert write is logged.
   */
  afterDecisions(records: readonly DecisionRecord[]): void;
  /** Feeds decided login and behaviour records to their early warning, as `afterDecisions` does. */
  afterActivity(records: readonly ActivityRecord[]): void;
}

const Note = Type.String({ maxLength: 2000 });
export const AckBody = Type.Object({ note: Type.Optional(Note) }, { additionalProperties: false });
export const ResolveBody = Type.Object(
  { outcome: Type.Union([Type.Literal('fraud'), Type.Literal('not_fraud')]), note: Type.Optional(Note) },
  { additionalProperties: false },
);
type ResolveBody = Static<typeof ResolveBody>;

/** Alerts per page at most. */
export const MAX_ALERTS_PAGE = 500;
const QUERY_FIELDS = ['status', 'severity', 'kind', 'entityKind', 'entityId', 'from', 'to', 'limit', 'cursor'];

/** The list filter of a `GET /v1/alerts` query, or every problem with it. */
export function alertFilterOf(
  query: Record<string, unknown>,
  pseudonymise: AlertingContext['pseudonymise'],
): { filter: AlertFilter; issues: Issue[] } {
  const issues: Issue[] = [];
  const filter: AlertFilter = { limit: 50 };
  for (const name of Object.keys(query))
    if (!QUERY_FIELDS.includes(name))
      issues.push({
        code: 'unknown_field',
        path: [name],
        message: `${name} is not a filter (${QUERY_FIELDS.join(', ')})`,
      });
  const text = (name: string): string | undefined => {
    const v = query[name];
    if (v === undefined) return undefined;
    if (typeof v !== 'string') {
      issues.push({ code: 'invalid_type', path: [name], message: `give ${name} once (a list is comma-separated)` });
      return undefined;
    }
    return v;
  };
  const list = <T extends string>(name: string, allowed: readonly T[]): T[] | undefined => {
    const v = text(name);
    if (v === undefined) return undefined;
    const values = v.split(',').map((x) => x.trim());
    const bad = values.filter((x) => !(allowed as readonly string[]).includes(x));
    if (bad.length > 0)
      issues.push({
        code: 'invalid_value',
        path: [name],
        message: `${bad.join(', ')}: not one of ${allowed.join(', ')}`,
      });
    return values as T[];
  };
  const status = list<AlertStatus>('status', ALERT_STATUSES);
  if (status !== undefined) filter.status = status;
  const severity = list<AlertSeverity>('severity', ALERT_SEVERITIES);
  if (severity !== undefined) filter.severity = severity;
  const kind = list<AlertKind>('kind', ALERT_KINDS);
  if (kind !== undefined) filter.kind = kind;
  const entityKind = text('entityKind');
  const entityId = text('entityId');
  if (entityKind !== undefined && !isEntityKind(entityKind))
    issues.push({ code: 'invalid_value', path: ['entityKind'], message: `not one of ${ENTITY_KINDS.join(', ')}` });
  else if (entityKind !== undefined) filter.entityKind = entityKind;
  if (entityId !== undefined) {
    if (entityKind === undefined)
      issues.push({ code: 'missing_field', path: ['entityKind'], message: 'entityId needs entityKind (its kind)' });
    else if (isEntityKind(entityKind))
      // The analyst gives the raw id; personal ids are kept as pseudonyms.
      filter.entityId = isPersonalKind(entityKind)
        ? pseudonymise(ENTITY_FIELD[entityKind] as PersonalField, entityId)
        : entityId;
  }
  for (const [name, key] of [
    ['from', 'createdFromMs'],
    ['to', 'createdToMs'],
  ] as const) {
    const v = text(name);
    if (v === undefined) continue;
    const ms = /^\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:\d{2})$/.test(v) ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(ms))
      issues.push({
        code: 'invalid_format',
        path: [name],
        message: 'an ISO 8601 time with a zone, e.g. 2026-12-03T08:00:00Z',
      });
    else filter[key] = ms;
  }
  for (const [name, max] of [
    ['limit', MAX_ALERTS_PAGE],
    ['cursor', Number.MAX_SAFE_INTEGER],
  ] as const) {
    const v = text(name);
    if (v === undefined) continue;
    const n = /^\d{1,16}$/.test(v) ? Number(v) : Number.NaN;
    if (!(n >= 1 && n <= max))
      issues.push({ code: 'out_of_range', path: [name], message: `an integer from 1 to ${max}` });
    else if (name === 'limit') filter.limit = n;
    else filter.beforeId = n;
  }
  return { filter, issues };
}

function alertIdOf(text: string): number {
  const id = /^\d{1,16}$/.test(text) ? Number(text) : Number.NaN;
  if (!(id >= 1))
    throw invalidRequest([{ code: 'invalid_value', path: ['id'], message: 'an alert id is a positive integer' }]);
  return id;
}

/** The alert as the API shows it: times also as ISO strings. */
export function alertBody(a: AlertRecord) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  return { ...a, createdAt: iso(a.createdAtMs), lastSeenAt: iso(a.lastSeenAtMs) };
}

function metricsOf(app: FastifyInstance, store: AlertStore, registry: Registry) {
  const raised = new Counter({
    name: 'vigil_alerts_total',
    help: 'Alerts raised (new ones; raising an open alert again updates it), by kind and severity',
    labelNames: ['kind', 'severity'],
    registers: [registry],
  });
  new Gauge({
    name: 'vigil_alerts_open',
    help: 'Alerts with status open (not yet acknowledged or resolved), by kind and severity',
    labelNames: ['kind', 'severity'],
    registers: [registry],
    collect() {
      this.reset();
      try {
        for (const { kind, severity, n } of store.openCounts()) this.set({ kind, severity }, n);
      } catch (error) {
        app.log.error({ err: error }, 'open alerts gauge');
      }
    },
  });
  return raised;
}

/**
 * Sets up alerting on `app` and registers the alert routes (role analyst; admin may too).
 *
 * @example
 * const alerting = registerAlertRoutes(app, { store: AlertStore.on(audit) }, context, metrics.registry);
 * // a rules engine's onAlert hook:
 * onAlert: (input) => alerting.raiseAlert(input)
 */
export function registerAlertRoutes(
  app: FastifyInstance,
  options: AlertingOptions,
  context: AlertingContext,
  registry: Registry,
): Alerting {
  const { store } = options;
  const earlyWarning = options.earlyWarning === false ? undefined : new EarlyWarning(options.earlyWarning ?? {});
  const accessWarning = earlyWarning === undefined ? undefined : new AccessWarning(earlyWarning.options);
  const modelAlerts = options.modelAlerts ?? true;
  const raised = metricsOf(app, store, registry);
  if (earlyWarning !== undefined && accessWarning !== undefined && options.history !== undefined) {
    const replayed = replayWarnings(earlyWarning, accessWarning, options.history.store);
    options.history.replayed?.(replayed);
  }

  function raiseAlert(input: RaiseAlertInput): Promise<RaisedAlert> {
    return store.raise(input, context.nowMs()).then((r) => {
      if (r.created) raised.inc({ kind: r.alert.kind, severity: r.alert.severity });
      return r;
    });
  }
  const logFailure = (error: unknown) => app.log.error({ err: error }, 'raising an alert failed');

  function afterDecisions(records: readonly DecisionRecord[]): void {
    for (const r of records) {
      try {
        const e = r.event;
        if (earlyWarning !== undefined)
          for (const alert of earlyWarning.observe({
            eventId: r.eventId,
            timestampSeconds: Date.parse(e.timestamp) / 1000,
            customerId: e.customerId,
            terminalId: e.terminalId,
            ipAddress: e.ipAddress,
            deviceId: e.deviceId,
            decision: r.decision,
            score: r.score,
          }))
            raiseAlert(alert).catch(logFailure);
        if (modelAlerts && r.decision === 'decline')
          raiseAlert(declineAlert({ ...r, customerId: e.customerId }, context.declineFrom)).catch(logFailure);
      } catch (error) {
        logFailure(error);
      }
    }
  }

  function afterActivity(records: readonly ActivityRecord[]): void {
    if (accessWarning === undefined) return;
    for (const r of records) {
      try {
        for (const alert of accessWarning.observe(observedAccess(r.eventId, r.kind, r.event)))
          raiseAlert(alert).catch(logFailure);
      } catch (error) {
        logFailure(error);
      }
    }
  }

  const notFound = (id: number) =>
    new RequestError('alert_not_found', `no alert ${id}`, {
      issues: [{ code: 'alert_not_found', path: ['id'], message: 'no alert has this id' }],
    });

  app.get('/v1/alerts', { config: { role: 'analyst' } }, async (request) => {
    const { filter, issues } = alertFilterOf(request.query as Record<string, unknown>, context.pseudonymise);
    if (issues.length > 0) throw invalidRequest(issues);
    const page = store.list(filter);
    return {
      alerts: page.alerts.map(alertBody),
      next: page.nextBeforeId === undefined ? null : String(page.nextBeforeId),
    };
  });

  app.get<{ Params: { id: string } }>('/v1/alerts/:id', { config: { role: 'analyst' } }, async (request) => {
    const id = alertIdOf(request.params.id);
    const alert = store.get(id);
    if (alert === undefined) throw notFound(id);
    return alertBody(alert);
  });

  app.post<{ Params: { id: string }; Body: Static<typeof AckBody> | undefined }>(
    '/v1/alerts/:id/ack',
    {
      config: { role: 'analyst' },
      // The body is optional: no body at all is an acknowledgement without a note.
      validatorCompiler: () => (data: unknown) => {
        const issues = data === undefined || data === null ? [] : schemaIssues(AckBody, data);
        return issues.length === 0 ? { value: data } : { error: invalidRequest(issues) };
      },
      schema: { body: AckBody },
    },
    async (request) => {
      const id = alertIdOf(request.params.id);
      const note = request.body?.note;
      const alert = await store.acknowledge(id, {
        by: context.actorOf(request.headers.authorization),
        atMs: context.nowMs(),
        ...(note === undefined ? {} : { note }),
      });
      return alertBody(alert);
    },
  );

  app.post<{ Params: { id: string }; Body: ResolveBody }>(
    '/v1/alerts/:id/resolve',
    {
      config: { role: 'analyst' },
      validatorCompiler: () => (data: unknown) => {
        // A union reports its value once per branch: one issue per path and code is enough.
        const issues = schemaIssues(ResolveBody, data).filter(
          (issue, i, all) =>
            all.findIndex((o) => o.code === issue.code && o.path.join('\0') === issue.path.join('\0')) === i,
        );
        return issues.length === 0 ? { value: data } : { error: invalidRequest(issues) };
      },
      schema: { body: ResolveBody },
    },
    async (request) => {
      const id = alertIdOf(request.params.id);
      const { outcome, note } = request.body;
      const alert = await store.resolve(id, {
        by: context.actorOf(request.headers.authorization),
        atMs: context.nowMs(),
        outcome,
        ...(note === undefined ? {} : { note }),
      });
      // The outcome is a label of every event the alert names, through the path of POST /v1/labels.
      // All at once, so the labels share one group commit (one sync) rather than one each.
      const label = outcome === 'fraud' ? 1 : 0;
      const results = await Promise.all(alert.evidence.eventIds.map((eventId) => context.recordLabel(eventId, label)));
      return { alert: alertBody(alert), labels: results.filter((r) => r !== undefined) };
    },
  );

  return {
    store,
    entityDecisions: options.entityDecisions,
    earlyWarning,
    accessWarning,
    raiseAlert,
    afterDecisions,
    afterActivity,
  };
}
