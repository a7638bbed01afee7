import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
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
import { createPseudonymiser } from './pseudonymiser.js';
import type { TransactionBody } from './request-schemas.js';
import { buildRiskService } from './risk-service.js';
import { request as send, type TestStream, trainTestStream } from './test-service.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-alerts-'));
let stream: TestStream;
let scorer: OnlineScorer;
let app: FastifyInstance;
let base = '';
let reader: Database.Database;
const pseudonymiser = createPseudonymiser('alert-test-key-'.repeat(3));
const NOW_MS = Date.parse('2025-02-10T00:00:00Z');
const SCORER = 'scorer-key-0123456789';
const ANALYST = 'analyst-key-0123456789';
const ADMIN = 'admin-key-0123456789';
const auth = ApiKeys.parse(`scorer:${SCORER}, analyst:${ANALYST}, admin:${ADMIN}`);
const ANALYST_ACTOR = `analyst:${createHash('sha256').update(ANALYST).digest('hex').slice(0, 8)}`;
/** Thresholds low enough for a test stream of 80 customers. */
const HIGH_RISK_IN_WINDOW = 6;
const CUSTOMERS_PER_IP = 10;

before(async () => {
  stream = await trainTestStream(root);
  scorer = await OnlineScorer.load(stream.bundleDir);
  const dbPath = join(root, 'audit.db');
  const audit = AuditStore.open(dbPath, { keyFingerprint: pseudonymiser.keyFingerprint });
  app = await buildRiskService({
    scorer,
    log: audit,
    pseudonymise: pseudonymiser.pseudonymise,
    auth,
    nowMs: () => NOW_MS,
    alerting: {
      store: AlertStore.on(audit),
      entityDecisions: EntityDecisions.on(audit),
      earlyWarning: { highRiskInWindow: HIGH_RISK_IN_WINDOW, customersPerIpPerDay: CUSTOMERS_PER_IP },
    },
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
  reader = new Database(dbPath, { readonly: true });
});
after(async () => {
  reader?.close();
  await app?.close();
  scorer?.dispose();
  await rm(root, { recursive: true, force: true });
});

const request = (method: string, path: string, options: { body?: unknown; key?: string | undefined } = {}) =>
  send(base, method, path, { key: ANALYST, ...options });
const post = async (events: TransactionBody[]) => {
  const r = await request('POST', '/v1/events:batch', { body: { events }, key: SCORER });
  assert.equal(r.status, 200, r.text);
  return r.body.results as { eventId: string; decision: string; score: number }[];
};
const pseudonym = (field: 'customerId' | 'ipAddress' | 'deviceId', value: string) =>
  pseudonymiser.pseudonymise(field, value);

describe('vigil serve: alerts, early warning, entity profiles', () => {
  let decided: { eventId: string; decision: string; score: number }[] = [];
  /** The time after the stream's first 600 events, where the generated events go. */
  let t0 = 0;

  test('every decline raises a model alert about its customer, deduped per customer while open', async () => {
    const events = stream.events.slice(0, 600);
    decided = [...(await post(events.slice(0, 300))), ...(await post(events.slice(300)))];
    t0 = Date.parse((events[599] as TransactionBody).timestamp);
    // Burst: 8 large transactions a few seconds apart at a terminal new to the stream, which the
    // model (trained where big amounts are fraud) declines.
    const burst = Array.from({ length: 8 }, (_, i) => ({
      ...(events[i] as TransactionBody),
      id: `burst-${i}`,
      terminalId: 'BURST-T',
      customerId: `burst-customer-${i % 2}`,
      amount: 5000 + i,
      timestamp: new Date(t0 + (i + 1) * 5000).toISOString(),
    }));
    const burstDecisions = await post(burst);
    assert.ok(
      burstDecisions.every((d) => d.decision === 'decline'),
      `the burst is declined: ${burstDecisions.map((d) => d.decision)}`,
    );
    decided.push(...burstDecisions);
    const declines = decided.filter((d) => d.decision === 'decline');
    const customers = new Map<string, number>();
    for (const d of declines) {
      const e = log(d.eventId);
      customers.set(e.customer_ref, (customers.get(e.customer_ref) ?? 0) + 1);
    }
    const r = await request('GET', '/v1/alerts?kind=model&limit=500');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.alerts.length, customers.size, 'one model alert per declined customer');
    for (const a of r.body.alerts) {
      assert.equal(a.count, customers.get(a.entityId), `count of ${a.entityId}`);
      assert.equal(a.status, 'open');
      assert.equal(a.entityKind, 'customer');
      assert.match(a.entityId, /^[0-9a-f]{32}$/, 'customers only as pseudonyms');
      assert.equal(a.evidence.eventIds.length, a.count);
    }
    const burstAlert = r.body.alerts.find(
      (a: { entityId: string }) => a.entityId === pseudonym('customerId', 'burst-customer-0'),
    );
    assert.deepEqual(burstAlert.evidence.eventIds, ['burst-0', 'burst-2', 'burst-4', 'burst-6']);
    assert.equal(burstAlert.severity, 'critical');
    // In the same file, committed with the decisions.
    const rows = reader.prepare("SELECT count(*) AS n, sum(count) AS raised FROM alerts WHERE kind = 'model'").get();
    assert.deepEqual(rows, { n: customers.size, raised: declines.length });
  });

  test('a high-risk burst on one terminal raises exactly one early-warning alert naming its events', async () => {
    const r = await request('GET', '/v1/alerts?kind=early_warning&entityKind=terminal&entityId=BURST-T');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.alerts.length, 1, JSON.stringify(r.body.alerts.map((a: { title: string }) => a.title)));
    const [alert] = r.body.alerts;
    assert.equal(alert.rule, 'high_risk_window');
    assert.equal(alert.title, `terminal BURST-T: ${HIGH_RISK_IN_WINDOW} high-risk transactions in 10 minutes`);
    assert.deepEqual(
      alert.evidence.eventIds,
      Array.from({ length: HIGH_RISK_IN_WINDOW }, (_, i) => `burst-${i}`),
    );
    assert.equal(alert.count, 1, 'the 7th and 8th declines did not raise it again');
    // Steady traffic: nothing else of early warning on the stream's terminals.
    const others = await request('GET', '/v1/alerts?kind=early_warning&entityKind=terminal');
    assert.equal(others.body.alerts.length, 1);
  });

  test('an IP shared by customers raises one alert at the threshold; the raw IP finds it', async () => {
    const events = Array.from({ length: CUSTOMERS_PER_IP + 3 }, (_, i) => ({
      ...(stream.events[0] as TransactionBody),
      id: `shared-ip-${i}`,
      customerId: `ip-user-${i}`,
      terminalId: `shop-${i}`,
      amount: 12,
      ipAddress: '198.51.100.23',
      timestamp: new Date(t0 + 60_000 + i * 61_000).toISOString(),
    }));
    await post(events);
    const r = await request('GET', '/v1/alerts?entityKind=ip&entityId=198.51.100.23');
    assert.equal(r.status, 200, r.text);
    assert.equal(r.body.alerts.length, 1);
    const [alert] = r.body.alerts;
    assert.equal(alert.entityId, pseudonym('ipAddress', '198.51.100.23'));
    assert.equal(alert.title, `IP ${alert.entityId.slice(0, 8)}… shared by ${CUSTOMERS_PER_IP} customers today`);
    assert.equal(alert.evidence.eventIds.at(-1), `shared-ip-${CUSTOMERS_PER_IP - 1}`);
    assert.ok(!JSON.stringify(r.body).includes('198.51.100.23'), 'the raw IP is not in the answer');
  });

  test('alerts list newest first with filters and a cursor that visits each once', async () => {
    const all = (await request('GET', '/v1/alerts?limit=500')).body.alerts as { id: number; severity: string }[];
    assert.ok(all.length >= 3);
    assert.deepEqual(
      all.map((a) => a.id),
      [...all.map((a) => a.id)].sort((a, b) => b - a),
    );
    const seen: number[] = [];
    let next: string | null = null;
    do {
      const page: { body: { alerts: { id: number }[]; next: string | null } } = await request(
        'GET',
        `/v1/alerts?limit=2${next === null ? '' : `&cursor=${next}`}`,
      );
      assert.ok(page.body.alerts.length <= 2);
      seen.push(...page.body.alerts.map((a) => a.id));
      next = page.body.next;
    } while (next !== null);
    assert.deepEqual(
      seen,
      all.map((a) => a.id),
    );
    const critical = (await request('GET', '/v1/alerts?severity=critical,high&status=open')).body.alerts;
    assert.equal(critical.length, all.filter((a) => a.severity === 'critical' || a.severity === 'high').length);
    const created = new Date(NOW_MS).toISOString();
    assert.equal((await request('GET', `/v1/alerts?from=${created}&limit=500`)).body.alerts.length, all.length);
    assert.equal((await request('GET', `/v1/alerts?to=${created}`)).body.alerts.length, 0);
  });

  test('ack, then resolve as fraud: the outcome is a label of every event the alert names, applied online', async () => {
    const [alert] = (await request('GET', '/v1/alerts?kind=early_warning&entityKind=terminal&entityId=BURST-T')).body
      .alerts;
    const one = await request('GET', `/v1/alerts/${alert.id}`);
    assert.equal(one.status, 200);
    assert.equal(one.body.title, alert.title);
    const ack = await request('POST', `/v1/alerts/${alert.id}/ack`);
    assert.equal(ack.status, 200, ack.text);
    assert.equal(ack.body.status, 'acknowledged');
    assert.equal(ack.body.acknowledgedBy, ANALYST_ACTOR);
    assert.equal(ack.body.acknowledgedAtMs, NOW_MS);
    const again = await request('POST', `/v1/alerts/${alert.id}/ack`, { body: { note: 'twice' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'invalid_transition');
    const resolved = await request('POST', `/v1/alerts/${alert.id}/resolve`, {
      body: { outcome: 'fraud', note: 'card testing at a new merchant' },
      key: ADMIN,
    });
    assert.equal(resolved.status, 200, resolved.text);
    assert.equal(resolved.body.alert.status, 'resolved');
    assert.equal(resolved.body.alert.outcome, 'fraud');
    assert.equal(resolved.body.alert.note, 'card testing at a new merchant');
    assert.deepEqual(
      resolved.body.labels,
      alert.evidence.eventIds.map((eventId: string) => ({ eventId, label: 1, appliedOnline: true })),
    );
    const labels = reader
      .prepare(`SELECT event_id, label, applied_online FROM labels WHERE event_id LIKE 'burst-%' ORDER BY event_id`)
      .all();
    assert.deepEqual(
      labels,
      alert.evidence.eventIds.map((id: string) => ({ event_id: id, label: 1, applied_online: 1 })),
    );
    const twice = await request('POST', `/v1/alerts/${alert.id}/resolve`, { body: { outcome: 'not_fraud' } });
    assert.equal(twice.status, 409);
    assert.equal(twice.body.code, 'invalid_transition');
    assert.equal((await request('POST', `/v1/alerts/${alert.id}/ack`)).status, 409);
    // A not_fraud outcome labels 0.
    // The oldest open model alert: one of the stream's customers.
    const model = (await request('GET', '/v1/alerts?kind=model&status=open&limit=500')).body.alerts.at(-1);
    const cleared = await request('POST', `/v1/alerts/${model.id}/resolve`, { body: { outcome: 'not_fraud' } });
    assert.equal(cleared.status, 200, cleared.text);
    assert.ok(cleared.body.labels.length >= 1 && cleared.body.labels.every((l: { label: number }) => l.label === 0));
  });

  test('entity profiles: window features, indicators, recent decisions and open alerts; raw ids looked up by pseudonym', async () => {
    const customer = await request('GET', '/v1/entities/customer/burst-customer-1');
    assert.equal(customer.status, 200, customer.text);
    const c = customer.body;
    assert.equal(c.id, pseudonym('customerId', 'burst-customer-1'));
    assert.equal(c.pseudonymised, true);
    assert.equal(c.features.values.CUSTOMER_ID_NB_TX_1DAY_WINDOW, 4);
    assert.equal(c.features.asOf, new Date(t0 + 8 * 5000).toISOString());
    assert.deepEqual(
      c.recentDecisions.map((d: { eventId: string }) => d.eventId),
      ['burst-7', 'burst-5', 'burst-3', 'burst-1'],
    );
    assert.equal(c.recentDecisions[0].decision, 'decline');
    assert.equal(c.indicators.window.events, 4);
    assert.deepEqual(
      c.openAlerts.map((a: { kind: string; count: number }) => [a.kind, a.count]),
      [['model', 4]],
    );
    const terminal = (await request('GET', '/v1/entities/terminal/BURST-T')).body;
    // The spec's terminal windows end 7 days back (the label delay): a terminal new today counts 0 there.
    assert.equal(terminal.features.values.TERMINAL_ID_NB_TX_1DAY_WINDOW, 0);
    assert.equal(terminal.features.values.TERMINAL_ID_RISK_1DAY_WINDOW, 0);
    assert.equal(terminal.indicators.window.highRisk, 8);
    assert.equal(terminal.indicators.window.declineRate, 1);
    assert.equal(terminal.recentDecisions.length, 8);
    assert.deepEqual(terminal.openAlerts, [], 'its alert is resolved');
    const ip = (await request('GET', '/v1/entities/ip/198.51.100.23')).body;
    assert.equal(ip.indicators.distinctCustomersToday, CUSTOMERS_PER_IP + 3);
    assert.equal(ip.features.values.IP_DISTINCT_CUSTOMERS_1DAY, CUSTOMERS_PER_IP + 3);
    assert.equal(ip.recentDecisions.length, CUSTOMERS_PER_IP + 3);
    assert.equal(ip.openAlerts.length, 1);
    // A customer of the stream: its latest decisions as kept, newest first.
    const raw = (stream.events[599] as TransactionBody).customerId;
    const theirs = stream.events
      .slice(0, 600)
      .filter((e) => e.customerId === raw)
      .map((e) => e.id)
      .reverse()
      .slice(0, 20);
    const profile = (await request('GET', `/v1/entities/customer/${encodeURIComponent(raw)}`)).body;
    assert.deepEqual(
      profile.recentDecisions.map((d: { eventId: string }) => d.eventId),
      theirs,
    );
    const unknown = await request('GET', '/v1/entities/device/never-seen-device');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.code, 'unknown_entity');
    const bad = await request('GET', '/v1/entities/planet/earth');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.issues[0].path, ['kind']);
  });

  test('roles: scorers get 403 on alerts and profiles, no key 401, analysts and admins 200', async () => {
    const [alert] = (await request('GET', '/v1/alerts?limit=1')).body.alerts;
    const routes: [string, string, unknown][] = [
      ['GET', '/v1/alerts', undefined],
      ['GET', `/v1/alerts/${alert.id}`, undefined],
      ['POST', `/v1/alerts/${alert.id}/ack`, undefined],
      ['POST', `/v1/alerts/${alert.id}/resolve`, { outcome: 'fraud' }],
      ['GET', '/v1/entities/terminal/BURST-T', undefined],
    ];
    for (const [method, path, body] of routes) {
      for (const [key, status] of [
        [SCORER, 403],
        [undefined, 401],
      ] as const) {
        const r = await send(base, method, path, { ...(key === undefined ? {} : { key }), ...(body ? { body } : {}) });
        assert.equal(r.status, status, `${method} ${path} with ${key ?? 'no key'}`);
      }
    }
    for (const key of [ANALYST, ADMIN])
      assert.equal((await send(base, 'GET', '/v1/entities/terminal/BURST-T', { key })).status, 200);
  });

  test('bad queries, ids and bodies get a 4xx listing every problem', async () => {
    const list = await request('GET', '/v1/alerts?status=bogus&limit=0&from=yesterday&colour=red&entityId=x');
    assert.equal(list.status, 400);
    assert.deepEqual(
      list.body.issues.map((i: { code: string; path: string[] }) => `${i.code}@${i.path.join('.')}`).sort(),
      [
        'invalid_format@from',
        'invalid_value@status',
        'missing_field@entityKind',
        'out_of_range@limit',
        'unknown_field@colour',
      ],
    );
    const cases: [string, string, unknown, number, string][] = [
      ['GET', '/v1/alerts?status=open&status=resolved', undefined, 400, 'invalid_request'],
      ['GET', '/v1/alerts?cursor=-3', undefined, 400, 'invalid_request'],
      ['GET', '/v1/alerts/abc', undefined, 400, 'invalid_request'],
      ['GET', '/v1/alerts/0', undefined, 400, 'invalid_request'],
      ['GET', '/v1/alerts/99999', undefined, 404, 'alert_not_found'],
      ['POST', '/v1/alerts/99999/ack', undefined, 404, 'alert_not_found'],
      ['POST', '/v1/alerts/99999/resolve', { outcome: 'fraud' }, 404, 'alert_not_found'],
      ['POST', '/v1/alerts/1/resolve', { outcome: 'maybe', by: 'me' }, 400, 'invalid_request'],
      ['POST', '/v1/alerts/1/resolve', undefined, 400, 'invalid_request'],
      ['POST', '/v1/alerts/1/resolve', '{"outcome": ', 400, 'invalid_json'],
      ['POST', '/v1/alerts/1/ack', { note: 5 }, 400, 'invalid_request'],
      ['POST', '/v1/alerts/1/ack', { note: 'x'.repeat(2001) }, 400, 'invalid_request'],
      ['GET', `/v1/entities/customer/${'x'.repeat(300)}`, undefined, 400, 'invalid_request'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const r = await request(method, path, body === undefined ? {} : { body });
      assert.equal(r.status, status, `${method} ${path} ${JSON.stringify(body)}: ${r.text.slice(0, 200)}`);
      assert.equal(r.body.code, code, path);
      assert.ok(Array.isArray(r.body.issues));
    }
    const resolve = await request('POST', '/v1/alerts/1/resolve', { body: { outcome: 'maybe', by: 'me' } });
    assert.deepEqual(
      resolve.body.issues.map((i: { code: string; path: string[] }) => `${i.code}@${i.path.join('.')}`).sort(),
      ['invalid_value@outcome', 'unknown_field@by'],
    );
  });

  test('generated queries, ids and bodies of every shape get a 4xx (or 200/409), never a 5xx', async () => {
    const names = fc.constantFrom(
      'status',
      'severity',
      'kind',
      'entityKind',
      'entityId',
      'from',
      'to',
      'limit',
      'cursor',
      '__proto__',
      'x',
    );
    const query = fc
      .array(
        fc.tuple(names, fc.oneof(fc.string(), fc.constantFrom('open', 'ip', 'high', '2025-02-10T00:00:00Z', '5'))),
        {
          maxLength: 5,
        },
      )
      .map((pairs) => pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&'));
    const id = fc.oneof(fc.string({ minLength: 1 }), fc.nat().map(String), fc.constant('1'));
    const body = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null'),
      fc
        .record({ outcome: fc.oneof(fc.constantFrom('fraud', 'not_fraud'), fc.anything()), note: fc.anything() })
        .map((v) => JSON.stringify(v) ?? 'null'),
      fc.string(),
    );
    await fc.assert(
      fc.asyncProperty(
        query,
        id,
        body,
        fc.constantFrom('list', 'get', 'ack', 'resolve', 'entity'),
        async (q, i, b, route) => {
          const path = encodeURIComponent(i);
          const r =
            route === 'list'
              ? await request('GET', `/v1/alerts?${q}`)
              : route === 'get'
                ? await request('GET', `/v1/alerts/${path}`)
                : route === 'entity'
                  ? await request('GET', `/v1/entities/${['customer', 'ip', 'nope'][i.length % 3]}/${path}`)
                  : await request('POST', `/v1/alerts/${path}/${route}`, { body: b });
          return (r.status >= 400 && r.status < 500) || r.status === 200;
        },
      ),
      { numRuns: 300, seed: 11 },
    );
    assert.equal((await request('GET', '/healthz')).status, 200);
  });

  test('metrics: alerts raised by kind and severity, and the open ones', async () => {
    const metrics = await request('GET', '/metrics');
    assert.equal(metrics.status, 200);
    const open = (await request('GET', '/v1/alerts?status=open&limit=500')).body.alerts.length;
    const all = (await request('GET', '/v1/alerts?limit=500')).body.alerts.length;
    const sum = (name: string) =>
      [...metrics.text.matchAll(new RegExp(`^${name}\\{[^}]*\\} (\\d+)$`, 'gm'))].reduce((s, m) => s + Number(m[1]), 0);
    assert.equal(sum('vigil_alerts_total'), all);
    assert.equal(sum('vigil_alerts_open'), open);
    assert.match(metrics.text, /vigil_alerts_total\{kind="early_warning",severity="high"\} 2/);
  });
});

function log(eventId: string): { customer_ref: string } {
  return reader.prepare('SELECT customer_ref FROM decisions WHERE event_id = ?').get(eventId) as {
    customer_ref: string;
  };
}
