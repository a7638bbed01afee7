/**
 * The real-time risk service: Fastify routes over the domain's {@link OnlineScorer} and a
 * {@link DecisionLog}. Events are validated (every problem listed), pseudonymised, scored,
 * committed to the log and only then answered.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { TSchema } from 'typebox';
import type { ModelDeployments } from '../deployment/index.js';
import { ConfigError, type Issue } from '../errors.js';
import { type RuleHit, stricterDecision } from '../rules/index.js';
import type { OnlineScorer } from '../scoring/index.js';
import {
  type ActivityLog,
  type ActivityRecord,
  ActivityStore,
  AuditStore,
  type DecisionLog,
  type DecisionRecord,
  labelTargetOfStoredEvent,
  type RuleSetStore,
  type StoredActivityEvent,
  type StoredEvent,
  transactionOfStoredEvent,
} from '../store/index.js';
import { ActiveRules, type RuleAlert, reasonsWithRules, ruleAlerts } from './active-rules.js';
import { type Alerting, type AlertingOptions, registerAlertRoutes } from './alert-routes.js';
import { type ApiKeys, bearerKey, type Role } from './api-keys.js';
import { registerEntityRoutes } from './entity-routes.js';
import { errorReply, invalidRequest, RequestError } from './http-errors.js';
import type { BoundCounter, BoundHistogram } from './metric-series.js';
import { registerModelRoutes } from './model-routes.js';
import { registerOpenApi } from './openapi-routes.js';
import { PERSONAL_FIELDS, type PersonalField } from './pseudonymiser.js';
import { type RateLimitOptions, TokenBuckets } from './rate-limit.js';
import {
  type ActivityBody,
  BatchBody,
  batchIssues,
  type DecisionBody,
  EventBody,
  type EventChecks,
  eventIssues,
  LabelBody,
  schemaIssues,
  type TransactionBody,
} from './request-schemas.js';
import { createRuleHitCounter, registerRuleRoutes } from './rules-routes.js';
import { createServiceMetrics, eventCounter, registerStateGauges, type ServiceMetrics } from './service-metrics.js';

/** Default body limit: a full batch of 1,000 events with every field fits with room to spare. */
export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Default tolerance for event times ahead of the server's clock. */
export const DEFAULT_MAX_FUTURE_SECONDS = 3600;

export interface RiskServiceOptions {
  scorer: OnlineScorer;
  log: DecisionLog;
  /**
   * The API keys every route but `/healthz` and `/readyz` checks (`Authorization: Bearer KEY`),
   * or `'none'` to serve without authentication (`vigil serve --insecure-no-auth`).
   */
  auth: ApiKeys | 'none';
  /**
   * Where login and behaviour events are kept with their decisions (default: the `ActivityStore`
   * of `log`'s file when `log` is an `AuditStore`; without one those kinds are refused).
   */
  activity?: ActivityLog;
  /** Metrics registry and instruments (a new registry by default). */
  metrics?: ServiceMetrics;
  /**
   * Replaces a personal identifier by its pseudonym (see PERSONAL_FIELDS) before it reaches the
   * online state or the log (`createPseudonymiser`). Required, so raw identifiers are never kept
   * by omission.
   */
  pseudonymise: (field: PersonalField, value: string) => string;
  bodyLimitBytes?: number;
  maxFutureSeconds?: number;
  /** The server's clock, ms since the epoch (tests move it). */
  nowMs?: () => number;
  /**
   * Fastify's logger option (pino options, or false, the default). Only 5xx are logged by the
   * service, with the error, never a request's body or headers.
   */
  logger?: FastifyServerOptions['logger'];
  /**
   * A rule set to start with (parsed JSON, as `vigil serve --rules FILE` reads it), checked
   * against the scorer's feature names; it wins over the set `ruleSets` had active last.
   */
  rules?: unknown;
  /** Where `rules` came from, for messages (a file name). */
  rulesSource?: string;
  /**
   * Where every rule set that was active is kept (the audit store's file); the latest is active
   * at start when `rules` is not given. Closed with the service.
   */
  ruleSets?: RuleSetStore;
  /**
   * Called for each `alert` rule hit once its decision is committed (awaited; a throw is logged
   * and does not change the answer). Default: none.
   */
  onAlert?: (alert: RuleAlert) => void | Promise<void>;
  /** A token bucket per API key (per client address without auth); off by default. */
  rateLimit?: RateLimitOptions;
  /**
   * Keeps the online state across restarts (`BackgroundStateKeeper` or `OnlineStateKeeper` of
   * src/recovery): told after each commit, with whether any request is between scoring and its
   * commit, and closed (awaited: its last snapshot) before the log.
   */
  onlineState?: { committed(isQuiet: () => boolean): void; close(): void | Promise<void> };
  /** The deployed models (src/deployment): adds `/v1/models`, and the shadows score every event. */
  models?: ModelDeployments;
  /**
   * Alerts (`/v1/alerts…`), early warning, model alerts for declines and entity profiles
   * (`/v1/entities/…`), kept in the audit store's file; without it none of these routes exist.
   */
  alerting?: AlertingOptions;
}

/** A validator for Fastify that returns every problem of a body at once, as one RequestError. */
function validatorOf(check: (data: unknown) => Issue[]) {
  return () => (data: unknown) => {
    const issues = check(data);
    return issues.length === 0 ? { value: data } : { error: invalidRequest(issues) };
  };
}

function schemaValidator(schema: TSchema) {
  return validatorOf((data) => schemaIssues(schema, data));
}

/**
 * Builds the service (not yet listening): `POST /v1/events`, `POST /v1/events:batch`,
 * `POST /v1/labels` (role scorer), `GET /v1/decisions/:eventId`, `GET /metrics`, `GET /v1/rules`,
 * `GET /v1/rules/versions[/:version]` (analyst), `PUT /v1/rules` (admin), `GET /healthz`,
 * `GET /readyz`, `GET /docs[/openapi.json]` (open). Closing it closes the log and the rule set
 * store (the scorer belongs to the caller).
 *
 * @throws ConfigError `invalid_rules` (every problem listed) when `rules`, or the set `ruleSets`
 *   had active last, does not fit the scorer's features; `rules_version_conflict`
 *
 * @example
 * const scorer = await OnlineScorer.load('models/fraud-lstm');
 * const { pseudonymise, keyFingerprint } = createPseudonymiser(process.env.VIGIL_PSEUDONYM_KEY ?? '');
 * const log = AuditStore.open('vigil.db', { keyFingerprint });
 * const auth = ApiKeys.parse(process.env.VIGIL_API_KEYS ?? '');
 * const app = await buildRiskService({ scorer, log, pseudonymise, auth });
 * await app.listen({ host: '127.0.0.1', port: 8080 });
 */
export async function buildRiskService(options: RiskServiceOptions): Promise<FastifyInstance> {
  const { scorer, log } = options;
  const metrics = options.metrics ?? createServiceMetrics();
  registerStateGauges(metrics.registry, () => scorer.stateSize());
  const { pseudonymise } = options;
  const nowMs = options.nowMs ?? Date.now;
  const maxFutureSeconds = options.maxFutureSeconds ?? DEFAULT_MAX_FUTURE_SECONDS;
  const checks = (): EventChecks => ({ nowMs: nowMs(), maxFutureSeconds });
  // Ordinals run over the whole log (the online state is recovered from it), so a run must start
  // where the log ends, or its ordinals would repeat those of events scored before.
  if (scorer.seenEvents < log.nextOrdinal())
    throw new ConfigError(
      'state_not_recovered',
      `the log holds ${log.nextOrdinal()} events but the online state has taken ${scorer.seenEvents}: recover it first (recoverOnlineState)`,
    );
  const runId = randomUUID();
  const pending = new Set<string>();
  // Requests between changing the online state and their commit: snapshots wait for none.
  let inFlight = 0;
  const isQuiet = () => inFlight === 0;
  let closing = false;
  const rules = ActiveRules.open({
    ...(options.rules === undefined ? {} : { initial: options.rules }),
    ...(options.rulesSource === undefined ? {} : { initialSource: options.rulesSource }),
    ...(options.ruleSets === undefined ? {} : { store: options.ruleSets }),
    featureNames: scorer.featureNames,
    pseudonyms: { fields: PERSONAL_FIELDS, pseudonymise: (f, v) => pseudonymise(f as PersonalField, v) },
    nowMs,
  });
  const countRuleHits = createRuleHitCounter(metrics);
  const countEvent = eventCounter(metrics);
  const activity = options.activity ?? (log instanceof AuditStore ? ActivityStore.on(log) : undefined);
  // Login and behaviour ids in flight, and whether any is kept: until one is, a transaction's id
  // cannot be one of theirs, so the transaction path costs no lookup in their table.
  const pendingActivity = new Set<string>();
  let activityKept = activity?.hasAny() === true;
  const buckets = options.rateLimit === undefined ? undefined : new TokenBuckets(options.rateLimit, nowMs);

  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES,
    // Path ids (an entity id of up to 256 characters, percent-encoded) reach the route's own checks.
    routerOptions: { maxParamLength: 1024 },
  }).withTypeProvider<TypeBoxTypeProvider>();
  // Before any route: it collects every route registered after it.
  registerOpenApi(app);

  // JSON only: a text/plain body is refused (415) rather than parsed as a string.
  app.removeContentTypeParser('text/plain');
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = errorReply(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    if (status === 401) reply.header('www-authenticate', 'Bearer');
    const retryAfter = (error as { retryAfterSeconds?: unknown }).retryAfterSeconds;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send({ code: 'not_found', message: `no route ${request.method} ${request.url}`, issues: [] }),
  );
  // Before the body is read: an unauthenticated request costs no parsing.
  // Hooks in callback form: an async hook costs a promise and a microtask turn per request.
  app.addHook('onRequest', (request, _reply, done) => {
    const needs = (request.routeOptions.config as { role?: Role } | undefined)?.role;
    if (needs === undefined) return done();
    try {
      if (options.auth !== 'none') options.auth.authorise(request.headers.authorization, needs);
      // After the key is known good, so unknown keys cannot fill the buckets; keyed by a hash, never the key.
      if (buckets !== undefined) {
        // The key itself, not the header: `bearer  KEY` and `Bearer KEY` are one key, one bucket.
        const who = options.auth === 'none' ? `ip ${request.ip}` : `key ${bearerKey(request.headers.authorization)}`;
        buckets.take(createHash('sha256').update(who).digest('hex'));
      }
    } catch (error) {
      return done(error as Error);
    }
    done();
  });
  // The series of each method, route and status, bound once. Bounded: Node's parser knows few
  // methods, and routes are the app's.
  const requestSeries = new Map<string, { count: BoundCounter; seconds: BoundHistogram }>();
  app.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const key = `${request.method} ${route} ${reply.statusCode}`;
    let series = requestSeries.get(key);
    if (series === undefined) {
      series = {
        count: metrics.requests.labels({ method: request.method, route, status: String(reply.statusCode) }),
        seconds: metrics.requestSeconds.labels({ method: request.method, route }),
      };
      requestSeries.set(key, series);
    }
    series.count.inc();
    series.seconds.observe(reply.elapsedTime / 1000);
    done();
  });
  app.addHook('onClose', async () => {
    closing = true;
    await options.onlineState?.close();
    options.models?.close();
    log.close();
    options.ruleSets?.close();
  });

  /** The stored form of an event: the body with personal identifiers pseudonymised. */
  function storedEvent(body: TransactionBody): StoredEvent {
    const event: StoredEvent = { ...body, customerId: pseudonymise('customerId', body.customerId) };
    if (body.ipAddress !== undefined) event.ipAddress = pseudonymise('ipAddress', body.ipAddress);
    if (body.deviceId !== undefined) event.deviceId = pseudonymise('deviceId', body.deviceId);
    return event;
  }

  /** Scores events (already valid) in order, commits their records, and returns the answers. */
  // Bound once: a labelled inc() per request would look its series up each time.
  const stageSeconds = {
    features: metrics.stageSeconds.labels({ stage: 'features' }),
    model: metrics.stageSeconds.labels({ stage: 'model' }),
    modelCall: metrics.stageSeconds.labels({ stage: 'model_call' }),
    rules: metrics.stageSeconds.labels({ stage: 'rules' }),
    storage: metrics.stageSeconds.labels({ stage: 'storage' }),
  };

  /**
   * Raises a `rule` alert about the customer for each alert hit of `records`, in their group
   * commit; resolves once all are committed. A failure is logged and never fails the events.
   */
  function raiseRuleAlerts(records: readonly Parameters<typeof ruleAlerts>[0][], hits: readonly RuleHit[][]) {
    if (alerting === undefined) return Promise.resolve();
    const raising = alerting;
    const raised = records.flatMap((r, i) =>
      ruleAlerts(r, hits[i] as RuleHit[]).map((a) =>
        raising
          .raiseAlert({
            kind: 'rule',
            severity: a.severity,
            entityKind: 'customer',
            entityId: a.customerId,
            rule: a.ruleId,
            title: `rule ${a.ruleId}: ${a.reason}`,
            evidence: { eventIds: [a.eventId] },
          })
          .catch((error: unknown) => app.log.error({ err: error }, 'raising a rule alert failed')),
      ),
    );
    return Promise.all(raised);
  }

  /** Calls `onAlert` for each alert hit, once committed; a throw is logged and changes no answer. */
  async function notifyRuleAlerts(records: readonly Parameters<typeof ruleAlerts>[0][], hits: readonly RuleHit[][]) {
    if (options.onAlert === undefined) return;
    for (let i = 0; i < records.length; i++)
      for (const alert of ruleAlerts(records[i] as Parameters<typeof ruleAlerts>[0], hits[i] as RuleHit[]))
        try {
          await options.onAlert(alert);
        } catch (error) {
          app.log.error({ err: error, eventId: alert.eventId, ruleId: alert.ruleId }, 'onAlert failed');
        }
  }

  async function decideEvents(
    bodies: readonly TransactionBody[],
    elapsedMs: () => number,
    pathOf: (i: number) => (string | number)[],
  ): Promise<DecisionBody[]> {
    const duplicates: Issue[] = [];
    bodies.forEach((b, i) => {
      if (pending.has(b.id) || log.has(b.id))
        duplicates.push({
          code: 'duplicate_event',
          path: [...pathOf(i), 'id'],
          message: `event ${JSON.stringify(b.id)} was already scored`,
        });
    });
    if (duplicates.length > 0)
      throw new RequestError('duplicate_event', `${duplicates.length} event(s) already scored`, { issues: duplicates });
    const stored = bodies.map(storedEvent);
    const events = stored.map(transactionOfStoredEvent);
    const orderIssues = scorer
      .eventIssues(events)
      .map((issue) => ({ ...issue, path: [...pathOf(issue.path[0] as number), ...issue.path.slice(1)] }));
    if (orderIssues.length > 0)
      throw new RequestError('out_of_order', `${orderIssues.length} event(s) earlier than events already scored`, {
        issues: orderIssues,
      });
    for (const b of bodies) pending.add(b.id);
    inFlight++;
    try {
      const receivedAtMs = nowMs();
      // Read once: a PUT /v1/rules during the await below never splits a batch between two sets.
      const active = rules.current?.rules;
      const timings = { featuresMs: 0, modelMs: 0, modelCallMs: 0 };
      const scores = await scorer.scoreEvents(events, options.models?.shadows, timings);
      stageSeconds.features.inc(timings.featuresMs / 1000);
      stageSeconds.model.inc(timings.modelMs / 1000);
      stageSeconds.modelCall.inc(timings.modelCallMs / 1000);
      const evaluating = performance.now();
      const hits: RuleHit[][] = scores.map((s, i) =>
        active === undefined
          ? []
          : active.evaluate({ event: stored[i] as StoredEvent, features: s.features, score: s.score }),
      );
      stageSeconds.rules.inc((performance.now() - evaluating) / 1000);
      const latencyMs = Number(elapsedMs().toFixed(3));
      const records: DecisionRecord[] = scores.map((s, i) => {
        const h = hits[i] as RuleHit[];
        return {
          eventId: (bodies[i] as TransactionBody).id,
          receivedAtMs,
          event: stored[i] as StoredEvent,
          features: s.features,
          modelVersion: s.modelVersion,
          score: s.score,
          decision: stricterDecision(s.decision, h),
          reasons: reasonsWithRules(s.reasons, h),
          rulesHit: h.map((hit) => hit.id),
          ...(active === undefined ? {} : { rulesVersion: active.version }),
          latencyMs,
          ordinal: s.ordinal,
          runId,
          ...(s.shadows === undefined ? {} : { shadows: s.shadows }),
        };
      });
      const storing = performance.now();
      const committed = log.append(records);
      // Alerts raised now join the decisions' group commit: early warning, model alerts and the
      // rules' alert hits (about the customer).
      alerting?.afterDecisions(records);
      const ruleAlertsRaised = raiseRuleAlerts(records, hits);
      await committed;
      await ruleAlertsRaised;
      stageSeconds.storage.inc((performance.now() - storing) / 1000);
      for (const r of records) {
        countEvent('transaction', r.decision, r.score);
        for (const shadow of r.shadows ?? [])
          if (Number.isFinite(shadow.score))
            metrics.shadowScores.observe({ model_version: shadow.modelVersion }, shadow.score);
      }
      for (const h of hits) countRuleHits(h);
      await notifyRuleAlerts(records, hits);
      return records.map((r) => ({
        eventId: r.eventId,
        decision: r.decision,
        score: r.score,
        reasons: r.reasons,
        rulesHit: r.rulesHit,
        modelVersion: r.modelVersion,
        latencyMs: r.latencyMs,
      }));
    } finally {
      for (const b of bodies) pending.delete(b.id);
      inFlight--;
      options.onlineState?.committed(isQuiet);
    }
  }

  /** The stored form of a login or behaviour event: personal identifiers pseudonymised. */
  function storedActivity(body: ActivityBody): StoredActivityEvent {
    const event: StoredActivityEvent = { ...body, customerId: pseudonymise('customerId', body.customerId) };
    if (body.ipAddress !== undefined) event.ipAddress = pseudonymise('ipAddress', body.ipAddress);
    if (body.deviceId !== undefined) event.deviceId = pseudonymise('deviceId', body.deviceId);
    return event;
  }

  const NO_FEATURES: Readonly<Record<string, number>> = Object.freeze({});

  /**
   * Decides login and behaviour events (already valid, ids checked): the rules alone decide
   * (approve unless a rule says review or decline), early warning takes them, and they are kept
   * before the answer. Neither the model nor the online feature state sees them: the model is
   * trained on transactions, and feeding it anything else would make the online features differ
   * from the training replay.
   */
  async function decideActivity(bodies: readonly ActivityBody[], elapsedMs: () => number): Promise<DecisionBody[]> {
    const store = activity as ActivityLog;
    const receivedAtMs = nowMs();
    const active = rules.current?.rules;
    const stored = bodies.map(storedActivity);
    const hits: RuleHit[][] = stored.map((event) =>
      active === undefined ? [] : active.evaluate({ event, features: NO_FEATURES, score: Number.NaN }),
    );
    const latencyMs = Number(elapsedMs().toFixed(3));
    const records: ActivityRecord[] = stored.map((event, i) => {
      const h = hits[i] as RuleHit[];
      return {
        eventId: event.id,
        kind: event.kind,
        receivedAtMs,
        event,
        decision: stricterDecision('approve', h),
        reasons: reasonsWithRules([], h),
        rulesHit: h.map((hit) => hit.id),
        ...(active === undefined ? {} : { rulesVersion: active.version }),
        latencyMs,
        runId,
      };
    });
    const committed = store.append(records);
    activityKept = true;
    // As for transactions: the alerts join the records' group commit.
    alerting?.afterActivity(records);
    const ruleAlertsRaised = raiseRuleAlerts(records, hits);
    await committed;
    await ruleAlertsRaised;
    for (const r of records) countEvent(r.kind, r.decision);
    for (const h of hits) countRuleHits(h);
    await notifyRuleAlerts(records, hits);
    return records.map((r) => ({
      eventId: r.eventId,
      decision: r.decision,
      score: null,
      reasons: r.reasons,
      rulesHit: r.rulesHit,
      modelVersion: null,
      latencyMs: r.latencyMs,
    }));
  }

  /**
   * Decides events of any kinds, answers in their order: the transactions through `decideEvents`
   * (one model call; refused whole on any problem before anything changes), then the login and
   * behaviour events. Ids are one namespace over every kind, so each is checked against both.
   */
  async function decideAnyEvents(
    bodies: readonly EventBody[],
    elapsedMs: () => number,
    pathOf: (i: number) => (string | number)[],
  ): Promise<DecisionBody[]> {
    const txAt: number[] = [];
    const actAt: number[] = [];
    bodies.forEach((b, i) => {
      (b.kind === 'transaction' ? txAt : actAt).push(i);
    });
    // Transactions alone (the hot path): their paths are the bodies' own, so no closure is made
    // per request (run through tsx, with keepNames, making a named one cost 1 % of the thread).
    if (actAt.length === 0 && !activityKept && pendingActivity.size === 0)
      return decideEvents(bodies as readonly TransactionBody[], elapsedMs, pathOf);
    const txBodies = txAt.map((i) => bodies[i] as TransactionBody);
    const txPath = (j: number) => pathOf(txAt[j] as number);
    if (actAt.length > 0 && activity === undefined)
      throw invalidRequest(
        actAt.map((i) => ({
          code: 'unknown_kind',
          path: [...pathOf(i), 'kind'],
          message: 'this service keeps no log for login and behaviour events: it takes "transaction" events',
        })),
      );
    const duplicates: Issue[] = [];
    bodies.forEach((b, i) => {
      const seen =
        pendingActivity.has(b.id) ||
        (activityKept && (activity as ActivityLog).has(b.id)) ||
        (b.kind !== 'transaction' && (pending.has(b.id) || log.has(b.id)));
      if (seen)
        duplicates.push({
          code: 'duplicate_event',
          path: [...pathOf(i), 'id'],
          message: `event ${JSON.stringify(b.id)} was already decided`,
        });
    });
    if (duplicates.length > 0)
      throw new RequestError('duplicate_event', `${duplicates.length} event(s) already decided`, {
        issues: duplicates,
      });
    const actBodies = actAt.map((i) => bodies[i] as ActivityBody);
    for (const b of actBodies) pendingActivity.add(b.id);
    try {
      const txAnswers = txBodies.length === 0 ? [] : await decideEvents(txBodies, elapsedMs, txPath);
      const actAnswers = actBodies.length === 0 ? [] : await decideActivity(actBodies, elapsedMs);
      const answers: DecisionBody[] = new Array(bodies.length);
      txAt.forEach((i, j) => void (answers[i] = txAnswers[j] as DecisionBody));
      actAt.forEach((i, j) => void (answers[i] = actAnswers[j] as DecisionBody));
      return answers;
    } finally {
      for (const b of actBodies) pendingActivity.delete(b.id);
    }
  }

  app.post(
    '/v1/events',
    {
      config: { role: 'scorer' },
      schema: { body: EventBody },
      validatorCompiler: validatorOf((data) => eventIssues(data, checks())),
    },
    async (request, reply) => {
      const [answer] = await decideAnyEvents(
        [request.body],
        () => reply.elapsedTime,
        () => [],
      );
      return answer;
    },
  );

  app.post(
    '/v1/events::batch',
    {
      config: { role: 'scorer' },
      schema: { body: BatchBody },
      validatorCompiler: validatorOf((data) => batchIssues(data, checks())),
    },
    async (request, reply) => ({
      results: await decideAnyEvents(
        request.body.events,
        () => reply.elapsedTime,
        (i) => ['events', i],
      ),
    }),
  );

  /**
   * Gives a label to the online label windows (when this run scored the event and a window
   * still holds it) and keeps it; undefined for an event never decided. POST /v1/labels and
   * resolving an alert both come here.
   */
  async function recordLabel(eventId: string, label: number) {
    const record = log.find(eventId);
    if (record === undefined) return undefined;
    // Ordinals are stable across runs: an event of an earlier run is found while a window holds it.
    const seenEvents = scorer.seenEvents;
    inFlight++;
    try {
      const appliedOnline = scorer.applyLabel(labelTargetOfStoredEvent(record.event, record.ordinal), label);
      await log.appendLabel({ eventId, label, receivedAtMs: nowMs(), appliedOnline, seenEvents });
      metrics.labels.inc({ label: String(label) });
      return { eventId, label, appliedOnline };
    } finally {
      inFlight--;
      options.onlineState?.committed(isQuiet);
    }
  }

  const alerting: Alerting | undefined =
    options.alerting === undefined
      ? undefined
      : registerAlertRoutes(
          app,
          options.alerting,
          {
            nowMs,
            declineFrom: scorer.bands.declineFrom,
            pseudonymise,
            actorOf: (header) =>
              options.auth === 'none' ? 'anonymous' : (options.auth.actorOf(header) ?? 'anonymous'),
            recordLabel,
          },
          metrics.registry,
        );
  if (alerting !== undefined) registerEntityRoutes(app, { scorer, alerting, pseudonymise });

  app.post(
    '/v1/labels',
    { config: { role: 'scorer' }, schema: { body: LabelBody }, validatorCompiler: schemaValidator(LabelBody) },
    async (request) => {
      const { eventId, label } = request.body;
      const result = await recordLabel(eventId, label);
      if (result === undefined && activity?.has(eventId) === true)
        throw new RequestError(
          'not_scored',
          `event ${JSON.stringify(eventId)} is a login or behaviour event: labels are for transactions the model scored`,
          {
            issues: [
              {
                code: 'not_scored',
                path: ['eventId'],
                message: 'labels feed the transaction model’s label windows; this event was decided by the rules alone',
              },
            ],
          },
        );
      if (result === undefined)
        throw new RequestError('unknown_event', `no decision is kept for event ${JSON.stringify(eventId)}`, {
          issues: [{ code: 'unknown_event', path: ['eventId'], message: 'no decision is kept for this event id' }],
        });
      return result;
    },
  );

  app.get<{ Params: { eventId: string } }>(
    '/v1/decisions/:eventId',
    { config: { role: 'analyst' } },
    async (request) => {
      const record = log.find(request.params.eventId);
      if (record === undefined) {
        const decided = activity?.find(request.params.eventId);
        // Not scored: no features, ordinal, score or model (null, as in the event's answer).
        if (decided !== undefined) return { ...decided, score: null, modelVersion: null };
      }
      if (record === undefined)
        throw new RequestError('not_found', `no decision is kept for event ${JSON.stringify(request.params.eventId)}`);
      return record;
    },
  );

  registerRuleRoutes(app, rules);
  if (options.models !== undefined) registerModelRoutes(app, options.models);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (closing) return reply.status(503).send({ status: 'closing', modelVersion: scorer.modelVersion });
    return { status: 'ready', modelVersion: scorer.modelVersion };
  });
  app.get('/metrics', { config: { role: 'analyst' } }, async (_request, reply) => {
    reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  return app;
}
