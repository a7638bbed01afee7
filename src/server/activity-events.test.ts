import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { OnlineScorer } from '../scoring/index.js';
import { AlertStore, AuditStore, EntityDecisions } from '../store/index.js';
import { ApiKeys } from './api-keys.js';
import { eventWithAbsurdValue, malformedEventBody, validActivityEvents } from './malformed-requests.js';
import { createPseudonymiser } from './pseudonymiser.js';
import type { BehaviourBody, LoginBody, TransactionBody } from './request-schemas.js';
import { buildRiskService } from './risk-service.js';
import { request as send, type TestStream, trainTestStream } from './test-service.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-activity-'));
const pseudonymiser = createPseudonymiser('activity-test-key-'.repeat(3));
const NOW_MS = Date.parse('2025-02-10T00:00:00Z');
const SCORER = 'scorer-key-0123456789';
const ANALYST = 'analyst-key-0123456789';
const ADMIN = 'admin-key-0123456789';
const auth = ApiKeys.parse(`scorer:${SCORER}, analyst:${ANALYST}, admin:${ADMIN}`);
let stream: TestStream;
let scorer: OnlineScorer;
/** The same bundle fed the transactions alone, in this process: what the service must answer. */
let alone: OnlineScorer;
let audit: AuditStore;
let app: FastifyInstance;
let base = '';
let reader: Database.Database;

before(async () => {
  stream = await trainTestStream(root);
  scorer = await OnlineScorer.load(stream.bundleDir);
  alone = await OnlineScorer.load(stream.bundleDir);
  const dbPath = join(root, 'audit.db');
  audit = AuditStore.open(dbPath, { keyFingerprint: pseudonymiser.keyFingerprint });
  app = await buildRiskService({
    scorer,
    log: audit,
    pseudonymise: pseudonymiser.pseudonymise,
    auth,
    nowMs: () => NOW_MS,
    alerting: { store: AlertStore.on(audit), entityDecisions: EntityDecisions.on(audit) },
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  reader = new Database(dbPath, { readonly: true });
});
after(async () => {
  reader?.close();
  await app?.close();
  scorer?.dispose();
  alone?.dispose();
  await rm(root, { recursive: true, force: true });
});

const request = (method: string, path: string, options: { body?: unknown; key?: string } = {}) =>
  send(base, method, path, { key: SCORER, ...options });
const pseudonym = (field: 'customerId' | 'ipAddress' | 'deviceId', value: string) =>
  pseudonymiser.pseudonymise(field, value);
/** Transactions scored so far, in order: `alone` scores each one as the service should have. */
let next = 0;
const nextTransactions = (n: number) => {
  const events = stream.events.slice(next, next + n);
  next += n;
  return events;
};
const aloneScores = async (events: readonly TransactionBody[]) =>
  (
    await alone.scoreEvents(
      events.map((e) => ({
        ...e,
        customerId: pseudonym('customerId', e.customerId),
        ...(e.ipAddress === undefined ? {} : { ipAddress: pseudonym('ipAddress', e.ipAddress) }),
        ...(e.deviceId === undefined ? {} : { deviceId: pseudonym('deviceId', e.deviceId) }),
        timestampSeconds: Date.parse(e.timestamp) / 1000,
      })),
    )
  ).map((s) => s.score);

/** The time of the latest transaction sent: activity events go there so nothing is out of order. */
const now = () => (stream.events[next - 1] as TransactionBody).timestamp;
let n = 0;
const login = (fields: Partial<LoginBody> = {}): LoginBody => ({
  kind: 'login',
  id: `login-${n++}`,
  timestamp: now(),
  customerId: 'alice',
  success: true,
  ipAddress: '203.0.113.9',
  deviceId: 'alice-phone',
  ...fields,
});
const behaviour = (fields: Partial<BehaviourBody> = {}): BehaviourBody => ({
  kind: 'behaviour',
  id: `behaviour-${n++}`,
  timestamp: now(),
  customerId: 'alice',
  sessionId: 'session-1',
  dwellTimeMs: 12_500,
  clicks: 4,
  keystrokes: 22,
  page: '/payees/new',
  action: 'add_payee',
  ...fields,
});

describe('vigil serve: login and behaviour events', () => {
  test('a batch mixing kinds: answered in order, transactions scored as if the others were not there', async () => {
    const tx = nextTransactions(60);
    const events = tx.flatMap((e, i) =>
      i % 3 === 0
        ? [login({ customerId: e.customerId, timestamp: e.timestamp }), e, behaviour({ timestamp: e.timestamp })]
        : [e],
    );
    const r = await request('POST', '/v1/events:batch', { body: { events } });
    assert.equal(r.status, 200, r.text);
    const results = r.body.results as { eventId: string; score: number | null; modelVersion: string | null }[];
    assert.deepEqual(
      results.map((a) => a.eventId),
      events.map((e) => e.id),
    );
    const scored = results.filter((a) => a.score !== null);
    assert.deepEqual(
      scored.map((a) => a.score),
      await aloneScores(tx),
      'the online features never took the login and behaviour events',
    );
    assert.ok(scored.every((a) => a.modelVersion === scorer.modelVersion));
    for (const a of results.filter((x) => x.score === null))
      assert.deepEqual(Object.keys(a).sort(), [
        'decision',
        'eventId',
        'latencyMs',
        'modelVersion',
        'reasons',
        'rulesHit',
        'score',
      ]);
    assert.equal(scorer.seenEvents, 60);
    assert.equal(audit.nextOrdinal(), 60, 'no ordinal for them');
  });

  test('a login and a behaviour event alone: approved, null score and model, kept before the answer', async () => {
    const l = login({ country: 'NL', latitude: 52.37, longitude: 4.9, method: 'password', channel: 'web' });
    const r = await request('POST', '/v1/events', { body: l });
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.decision, 'approve');
    assert.equal(r.body.score, null);
    assert.equal(r.body.modelVersion, null);
    assert.deepEqual(r.body.reasons, []);
    // Committed before the answer: a second connection finds it, pseudonymised.
    const row = reader
      .prepare('SELECT kind, customer_ref, event_json, decision FROM activity_decisions WHERE event_id = ?')
      .get(l.id) as { kind: string; customer_ref: string; event_json: string; decision: string };
    assert.equal(row.kind, 'login');
    assert.equal(row.customer_ref, pseudonym('customerId', 'alice'));
    assert.deepEqual(JSON.parse(row.event_json), {
      ...l,
      customerId: pseudonym('customerId', 'alice'),
      ipAddress: pseudonym('ipAddress', '203.0.113.9'),
      deviceId: pseudonym('deviceId', 'alice-phone'),
    });
    const file = reader.prepare('SELECT count(*) AS n FROM decisions WHERE event_id = ?').get(l.id) as { n: number };
    assert.equal(file.n, 0, 'not in the transactions’ decisions');
    const b = behaviour();
    const rb = await request('POST', '/v1/events', { body: b });
    assert.equal(rb.status, 200, rb.text);
    assert.equal(rb.body.score, null);
    const audited = await request('GET', `/v1/decisions/${b.id}`, { key: ANALYST });
    assert.equal(audited.status, 200, audited.text);
    assert.equal(audited.body.kind, 'behaviour');
    assert.equal(audited.body.decision, 'approve');
    assert.equal(audited.body.score, null);
    assert.equal(audited.body.modelVersion, null);
    assert.equal(audited.body.event.dwellTimeMs, 12_500);
    assert.equal(audited.body.event.customerId, pseudonym('customerId', 'alice'));
  });

  test('validation: every problem of each kind with its path; unknown kinds are still refused', async () => {
    const bad = await request('POST', '/v1/events:batch', {
      body: {
        events: [
          { ...login(), success: 'yes', failureReason: 3, password: 'hunter2' },
          { kind: 'login', id: 'l-missing', timestamp: now() },
          { ...behaviour(), dwellTimeMs: -5, clicks: 1.5, keystrokes: -1, pageViews: 2_000_000 },
          { ...behaviour(), timestamp: '2026-12-03T08:00:00' },
          { ...login(), timestamp: new Date(NOW_MS + 2 * 3600_000).toISOString() },
          { ...login(), kind: 'logout' },
          { ...login(), latitude: 200 },
        ],
      },
    });
    assert.equal(bad.status, 400, bad.text);
    assert.equal(bad.body.code, 'invalid_request');
    const got = (bad.body.issues as { code: string; path: (string | number)[] }[]).map(
      (i) => `${i.path.join('.')} ${i.code}`,
    );
    assert.deepEqual(got.sort(), [
      'events.0.failureReason invalid_type',
      'events.0.password unknown_field',
      'events.0.success invalid_type',
      'events.1.customerId missing_field',
      'events.1.success missing_field',
      'events.2.clicks invalid_type',
      'events.2.dwellTimeMs out_of_range',
      'events.2.keystrokes out_of_range',
      'events.2.pageViews out_of_range',
      'events.3.timestamp invalid_format',
      'events.4.timestamp in_future',
      'events.5.kind unknown_kind',
      'events.6.latitude out_of_range',
    ]);
    // Non-finite numbers, as JSON text can write them.
    const raw = JSON.stringify({ ...behaviour(), clicks: undefined });
    const inf = await request('POST', '/v1/events', { body: `${raw.slice(0, -1)},"clicks":1e999}` });
    assert.equal(inf.status, 400, inf.text);
    assert.deepEqual(
      inf.body.issues.map((i: { code: string; path: string[] }) => [i.code, i.path]),
      [['not_finite', ['clicks']]],
    );
    // A transaction-only field on a login is unknown there.
    const amount = await request('POST', '/v1/events', { body: { ...login(), amount: 5 } });
    assert.deepEqual(
      amount.body.issues.map((i: { code: string; path: string[] }) => [i.code, i.path]),
      [['unknown_field', ['amount']]],
    );
    assert.equal(
      (await request('POST', '/v1/events', { body: { ...login(), kind: 'chargeback' } })).body.issues[0].code,
      'unknown_kind',
    );
    // Nothing of the refused requests was kept.
    assert.equal(reader.prepare("SELECT count(*) FROM activity_decisions WHERE event_id LIKE 'l-%'").pluck().get(), 0);
    assert.equal(reader.prepare('SELECT count(*) FROM activity_decisions').pluck().get(), 42);
  });

  test('ids are one namespace over the kinds; labels are for scored transactions only', async () => {
    const [tx] = nextTransactions(1) as [TransactionBody];
    assert.equal((await request('POST', '/v1/events', { body: tx })).status, 200);
    const again = await request('POST', '/v1/events', { body: login({ id: tx.id }) });
    assert.equal(again.status, 409, again.text);
    assert.equal(again.body.code, 'duplicate_event');
    const l = login();
    assert.equal((await request('POST', '/v1/events', { body: l })).status, 200);
    const [tx2] = nextTransactions(1) as [TransactionBody];
    const clash = await request('POST', '/v1/events:batch', { body: { events: [{ ...tx2, id: l.id }] } });
    assert.equal(clash.status, 409, clash.text);
    assert.deepEqual(clash.body.issues[0].path, ['events', 0, 'id']);
    assert.equal((await request('POST', '/v1/events', { body: tx2 })).status, 200);
    const label = await request('POST', '/v1/labels', { body: { eventId: l.id, label: 1 } });
    assert.equal(label.status, 422, label.text);
    assert.equal(label.body.code, 'not_scored');
    assert.equal((await request('POST', '/v1/labels', { body: { eventId: 'never', label: 1 } })).status, 404);
  });

  test('a batch refused for an out-of-order transaction keeps none of its logins', async () => {
    const early = stream.events[0] as TransactionBody;
    const l = login();
    const r = await request('POST', '/v1/events:batch', { body: { events: [l, { ...early, id: 'late-one' }] } });
    assert.equal(r.status, 409, r.text);
    assert.equal(r.body.code, 'out_of_order');
    assert.deepEqual(r.body.issues[0].path, ['events', 1, 'timestamp']);
    assert.equal((await request('GET', `/v1/decisions/${l.id}`, { key: ANALYST })).status, 404);
    assert.equal((await request('POST', '/v1/events', { body: l })).status, 200, 'the same login alone is taken');
  });

  test('rules target a kind: event.kind == "login" with event.success == false reviews, bot clicks decline', async () => {
    const put = await request('PUT', '/v1/rules', {
      key: ADMIN,
      body: {
        version: 'access-1',
        lists: { blockedIps: ['198.51.100.23'] },
        rules: [
          {
            id: 'failed-login',
            action: 'review',
            reason: 'failed login',
            when: {
              all: [
                { field: 'event.kind', op: '==', value: 'login' },
                { field: 'event.success', op: '==', value: false },
              ],
            },
          },
          {
            id: 'click-storm',
            action: 'decline',
            reason: 'more clicks than a person makes',
            when: { field: 'event.clicks', op: '>', value: 200 },
          },
          {
            id: 'blocked-ip',
            action: 'decline',
            reason: 'blocked IP',
            when: { field: 'event.ipAddress', op: 'in', list: 'blockedIps' },
          },
          {
            id: 'big-amount',
            action: 'review',
            reason: 'big amount',
            when: { not: { field: 'event.amount', op: '<', value: 1e6 } },
          },
          {
            id: 'watch-logins',
            action: 'alert',
            reason: 'login seen',
            when: { field: 'event.method', op: '==', value: 'otp' },
          },
        ],
      },
    });
    assert.equal(put.status, 200, put.text);
    const failed = await request('POST', '/v1/events', {
      body: login({ success: false, failureReason: 'bad_password' }),
    });
    assert.equal(failed.body.decision, 'review');
    // big-amount's `not` over a field a login lacks: the comparison is false, so the not is true.
    // Rules meant for transactions should say so: this is why rules can target event.kind.
    assert.deepEqual(failed.body.rulesHit, ['failed-login', 'big-amount']);
    assert.deepEqual(failed.body.reasons, ['rule failed-login: failed login', 'rule big-amount: big amount']);
    const ok = await request('POST', '/v1/events', { body: login({ method: 'otp' }) });
    assert.deepEqual([ok.body.decision, ok.body.rulesHit], ['review', ['big-amount', 'watch-logins']]);
    const storm = await request('POST', '/v1/events', { body: behaviour({ clicks: 500 }) });
    assert.deepEqual([storm.body.decision, storm.body.rulesHit], ['decline', ['click-storm', 'big-amount']]);
    const blocked = await request('POST', '/v1/events', { body: login({ ipAddress: '198.51.100.23' }) });
    assert.equal(blocked.body.decision, 'decline', 'raw IPs of a list match pseudonymised logins');
    const audited = await request('GET', `/v1/decisions/${storm.body.eventId}`, { key: ANALYST });
    assert.equal(audited.body.rulesVersion, 'access-1');
    // The alert rule raised a rule alert about the customer, in the same commit.
    const alerts = await request('GET', `/v1/alerts?kind=rule&entityKind=customer&entityId=alice`, { key: ANALYST });
    assert.deepEqual(
      alerts.body.alerts.map((a: { rule: string; evidence: { eventIds: string[] } }) => [a.rule, a.evidence.eventIds]),
      [['watch-logins', [ok.body.eventId]]],
    );
    const bad = await request('PUT', '/v1/rules', {
      key: ADMIN,
      body: {
        version: 'access-2',
        rules: [{ id: 'x', action: 'review', reason: 'x', when: { field: 'event.success', op: '>', value: 1 } }],
      },
    });
    assert.equal(bad.status, 400);
    assert.match(bad.body.issues[0].message, /event\.success holds booleans/);
    assert.equal((await request('PUT', '/v1/rules', { key: ADMIN, body: { version: 'none', rules: [] } })).status, 200);
  });

  test('early warning: a failed-login burst and a login from a new device raise exactly their alerts', async () => {
    const who = { customerId: 'bob', ipAddress: '192.0.2.44' };
    const t = Date.parse(now());
    const at = (s: number) => new Date(t + s * 1000).toISOString();
    const events = [
      login({ ...who, deviceId: 'bob-phone', timestamp: at(0) }),
      ...Array.from({ length: 6 }, (_, i) =>
        login({ ...who, deviceId: 'rig', success: false, id: `bob-fail-${i}`, timestamp: at(10 + i) }),
      ),
      login({ ...who, deviceId: 'rig', id: 'bob-takeover', timestamp: at(30) }),
    ];
    const r = await request('POST', '/v1/events:batch', { body: { events } });
    assert.equal(r.status, 200, r.text);
    const alerts = await request('GET', '/v1/alerts?kind=early_warning&entityKind=customer&entityId=bob', {
      key: ANALYST,
    });
    const got = alerts.body.alerts.map(
      (a: { rule: string; severity: string; title: string; evidence: { eventIds: string[] } }) => [
        a.rule,
        a.severity,
        a.evidence.eventIds,
      ],
    );
    assert.deepEqual(got, [
      ['new_device_login', 'medium', ['bob-takeover']],
      ['failed_login_burst', 'high', ['bob-fail-0', 'bob-fail-1', 'bob-fail-2', 'bob-fail-3', 'bob-fail-4']],
    ]);
    assert.match(
      alerts.body.alerts[0].title,
      /^customer [0-9a-f]{8}…: login from a new device after 6 failed login\(s\) in 10 minutes$/,
    );
    // The profile shows the login indicators of the customer and the shared IP.
    const profile = await request('GET', '/v1/entities/customer/bob', { key: ANALYST });
    assert.equal(profile.status, 200, profile.text);
    assert.deepEqual(profile.body.accessIndicators, {
      failedLogins: 6,
      botLikeEvents: 0,
      knownDevices: 2,
      knownIps: 1,
    });
    const ip = await request('GET', '/v1/entities/ip/192.0.2.44', { key: ANALYST });
    assert.deepEqual(ip.body.accessIndicators, { failedLogins: 6, logins: 8, distinctCustomersToday: 1 });
    // Resolving the burst as fraud labels nothing: logins are not scored.
    const id = alerts.body.alerts[1].id;
    const resolved = await request('POST', `/v1/alerts/${id}/resolve`, { key: ANALYST, body: { outcome: 'fraud' } });
    assert.equal(resolved.status, 200, resolved.text);
    assert.deepEqual(resolved.body.labels, []);
  });

  test('metrics count events by kind and decision; transactions alone reach the decision counter', async () => {
    const m = await request('GET', '/metrics', { key: ANALYST });
    const value = (series: string) => Number(new RegExp(`^${series} (\\d+)$`, 'm').exec(m.text)?.[1] ?? Number.NaN);
    const kept = (kind: string, decision: string) =>
      reader
        .prepare('SELECT count(*) FROM activity_decisions WHERE kind = ? AND decision = ?')
        .pluck()
        .get(kind, decision) as number;
    for (const kind of ['login', 'behaviour'])
      for (const decision of ['approve', 'review', 'decline'])
        assert.equal(
          value(`vigil_events_total\\{kind="${kind}",decision="${decision}"\\}`) || 0,
          kept(kind, decision),
          `${kind} ${decision}`,
        );
    const transactions = reader.prepare('SELECT count(*) FROM decisions').pluck().get() as number;
    const txCounted = ['approve', 'review', 'decline'].reduce(
      (sum, d) => sum + (value(`vigil_events_total\\{kind="transaction",decision="${d}"\\}`) || 0),
      0,
    );
    assert.equal(txCounted, transactions);
    const decisions = ['approve', 'review', 'decline'].reduce(
      (sum, d) => sum + (value(`vigil_decisions_total\\{decision="${d}"\\}`) || 0),
      0,
    );
    assert.equal(decisions, transactions);
  });

  test('generated malformed login and behaviour bodies get only 4xx and leave the server up', async () => {
    const statuses = new Map<number, number>();
    const activity = validActivityEvents(now());
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          malformedEventBody(activity.login),
          malformedEventBody(activity.behaviour),
          eventWithAbsurdValue(activity.behaviour, NOW_MS),
          eventWithAbsurdValue(activity.login, NOW_MS),
        ),
        async (body) => {
          const r = await request('POST', '/v1/events', { body });
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
          return r.status < 500;
        },
      ),
      { numRuns: 300, seed: 7 },
    );
    assert.ok((statuses.get(400) ?? 0) > 200, JSON.stringify([...statuses]));
    assert.equal((await request('GET', '/healthz')).status, 200);
  });
});
