import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { OnlineScorer } from '../scoring/index.js';
import { AuditStore } from '../store/index.js';
import { ApiKeys } from './api-keys.js';
import { eventWithAbsurdValue, malformedEventBody } from './malformed-requests.js';
import { createPseudonymiser } from './pseudonymiser.js';
import type { TransactionBody } from './request-schemas.js';
import { buildRiskService } from './risk-service.js';
import { request as send, type TestStream, trainTestStream } from './test-service.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-risk-service-'));
let stream: TestStream;
let scorer: OnlineScorer;
let app: FastifyInstance;
let base = '';
let log: AuditStore;
let dbPath = '';
const pseudonymiser = createPseudonymiser('test-key-'.repeat(4));
/** A separate connection, as an auditor would read the store. */
let reader: Database.Database;
const committed = (eventId: string) =>
  reader.prepare('SELECT 1 FROM decisions WHERE event_id = ?').get(eventId) !== undefined;
/** The simulated stream is from 2025; the server's clock is set just after its end. */
const NOW_MS = Date.parse('2025-02-10T00:00:00Z');

before(async () => {
  stream = await trainTestStream(root);
  scorer = await OnlineScorer.load(stream.bundleDir);
  dbPath = join(root, 'audit.db');
  log = AuditStore.open(dbPath, { keyFingerprint: pseudonymiser.keyFingerprint });
  reader = new Database(dbPath, { readonly: true });
  app = await buildRiskService({
    scorer,
    log,
    pseudonymise: pseudonymiser.pseudonymise,
    auth,
    nowMs: () => NOW_MS,
    bodyLimitBytes: 256 * 1024,
  });
  base = await app.listen({ host: '127.0.0.1', port: 0 });
});
after(async () => {
  reader?.close();
  await app?.close();
  scorer?.dispose();
  await rm(root, { recursive: true, force: true });
});

const eventAt = (i: number) => stream.events[i] as TransactionBody;
const SCORER = 'scorer-key-0123456789';
const ANALYST = 'analyst-key-0123456789';
const ADMIN = 'admin-key-0123456789';
const auth = ApiKeys.parse(`scorer:${SCORER}, analyst:${ANALYST}, admin:${ADMIN}`);
/** A request with the admin key unless another (or none: `key: undefined`) is given. */
const request = (
  _base: string,
  method: string,
  path: string,
  options: { body?: unknown; key?: string; contentType?: string } = {},
) => send(base, method, path, { key: ADMIN, ...options });

describe('vigil serve: events, labels, metrics', () => {
  test('events one by one and in batches score as the online scorer in-process', async () => {
    const reference = await OnlineScorer.load(stream.bundleDir);
    try {
      const first = await request(base, 'POST', '/v1/events', { body: eventAt(0) });
      assert.equal(first.status, 200, first.text);
      assert.ok(committed(eventAt(0).id), 'the decision is in the store when the answer arrives');
      assert.deepEqual(Object.keys(first.body).sort(), [
        'decision',
        'eventId',
        'latencyMs',
        'modelVersion',
        'reasons',
        'rulesHit',
        'score',
      ]);
      assert.equal(first.body.eventId, eventAt(0).id);
      assert.equal(first.body.modelVersion, scorer.modelVersion);
      assert.deepEqual(first.body.rulesHit, []);
      const batch = await request(base, 'POST', '/v1/events:batch', { body: { events: stream.events.slice(1, 400) } });
      assert.equal(batch.status, 200, batch.text);
      assert.equal(batch.body.results.length, 399);
      assert.ok(stream.events.slice(1, 400).every((e) => committed(e.id)));
      const got = [first.body, ...batch.body.results];
      for (let i = 0; i < 400; i++) {
        const e = eventAt(i);
        const expected = await reference.scoreEvent({
          ...e,
          timestampSeconds: Date.parse(e.timestamp) / 1000,
        });
        assert.ok(Math.abs(got[i].score - expected.score) < 1e-9, `event ${i}`);
        assert.equal(got[i].decision, expected.decision);
        assert.ok(['approve', 'review', 'decline'].includes(got[i].decision));
        assert.equal(got[i].reasons.length === 0, got[i].decision === 'approve');
      }
      const kept = log.find(eventAt(399).id);
      assert.equal(kept?.score, got[399].score);
      assert.equal(kept?.event.customerId, pseudonymiser.pseudonymise('customerId', eventAt(399).customerId));
      assert.deepEqual(Object.keys(kept?.features ?? {}), scorer.featureNames);
    } finally {
      reference.dispose();
    }
  });

  test('a bad event gets a 400 listing every problem with its path', async () => {
    const { id: _id, ...noId } = eventAt(400);
    const r = await request(base, 'POST', '/v1/events', {
      body: { ...noId, customerId: 17, amount: -5, timestamp: '2031-01-01T00:00:00Z', latitude: 200, colour: 'red' },
    });
    assert.equal(r.status, 400, r.text);
    assert.equal(r.body.code, 'invalid_request');
    const problems = r.body.issues.map((i: { code: string; path: string[] }) => `${i.code}@${i.path.join('.')}`).sort();
    assert.deepEqual(problems, [
      'in_future@timestamp',
      'invalid_type@customerId',
      'missing_field@id',
      'out_of_range@amount',
      'out_of_range@latitude',
      'unknown_field@colour',
    ]);
    for (const issue of r.body.issues) assert.equal(typeof issue.message, 'string');
  });

  test('invalid JSON, unknown kinds, non-finite amounts, wrong types, oversized bodies and bad batches are 4xx', async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['/v1/events', 'invalid JSON', '{"kind": "transaction", ', 400, 'invalid_json'],
      ['/v1/events', 'empty body', '', 400, 'invalid_json'],
      ['/v1/events', 'not an object', '[1, 2]', 400, 'invalid_request'],
      ['/v1/events', 'unknown kind', { ...eventAt(400), kind: 'login' }, 400, 'invalid_request'],
      [
        '/v1/events',
        'amount 1e999',
        `{${JSON.stringify(eventAt(400)).slice(1, -1)}, "amount": 1e999}`,
        400,
        'invalid_request',
      ],
      ['/v1/events', 'an absurd amount', { ...eventAt(400), amount: 2e12 }, 400, 'invalid_request'],
      ['/v1/events', 'a number as the time', { ...eventAt(400), timestamp: 1735689600 }, 400, 'invalid_request'],
      [
        '/v1/events',
        'a time without a zone',
        { ...eventAt(400), timestamp: '2025-01-01 10:00:00' },
        400,
        'invalid_request',
      ],
      ['/v1/events', 'oversized', { ...eventAt(400), channel: 'x'.repeat(300 * 1024) }, 413, 'body_too_large'],
      ['/v1/events:batch', 'too many events', { events: Array(1001).fill(eventAt(400)) }, 400, 'invalid_request'],
      ['/v1/events:batch', 'no events', { events: [] }, 400, 'invalid_request'],
      ['/v1/events:batch', 'a bare array', [eventAt(400)], 400, 'invalid_request'],
      ['/v1/labels', 'label 2', { eventId: eventAt(0).id, label: 2 }, 400, 'invalid_request'],
      ['/v1/labels', 'unknown event', { eventId: 'never-seen', label: 1 }, 404, 'unknown_event'],
    ];
    for (const [path, what, body, status, code] of cases) {
      const r = await request(base, 'POST', path, { body });
      assert.equal(r.status, status, `${what}: ${r.text.slice(0, 300)}`);
      assert.equal(r.body?.code, code, what);
      assert.ok(Array.isArray(r.body.issues), what);
    }
    const kind = await request(base, 'POST', '/v1/events', { body: { ...eventAt(400), kind: 'logout' } });
    assert.deepEqual(
      kind.body.issues.map((i: { code: string }) => i.code),
      ['unknown_kind'],
    );
    const huge = await request(base, 'POST', '/v1/events', {
      body: `{${JSON.stringify(eventAt(400)).slice(1, -1)}, "amount": 1e999}`,
    });
    assert.deepEqual(huge.body.issues, [{ code: 'not_finite', path: ['amount'], message: 'must be a finite number' }]);
    const text = await request(base, 'POST', '/v1/events', { body: 'amount=5', contentType: 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(text.body.code, 'unsupported_media_type');
    const batch = await request(base, 'POST', '/v1/events:batch', {
      body: { events: [eventAt(400), { ...eventAt(401), amount: 'ten' }, eventAt(400)] },
    });
    assert.deepEqual(
      batch.body.issues.map((i: { code: string; path: unknown[] }) => `${i.code}@${i.path.join('.')}`),
      ['invalid_type@events.1.amount', 'duplicate_event@events.2.id'],
    );
    const missing = await request(base, 'GET', '/v1/nothing');
    assert.equal(missing.status, 404);
    // Nothing of the above was scored.
    assert.equal(log.has(eventAt(400).id), false);
  });

  test('a repeated or out-of-order event is a 409 and changes nothing', async () => {
    const again = await request(base, 'POST', '/v1/events', { body: eventAt(10) });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'duplicate_event');
    const early = { ...eventAt(400), id: 'early', timestamp: '2024-12-01T00:00:00Z' };
    const r = await request(base, 'POST', '/v1/events:batch', { body: { events: [eventAt(400), early] } });
    assert.equal(r.status, 409);
    assert.equal(r.body.code, 'out_of_order');
    assert.deepEqual(r.body.issues[0].path, ['events', 1, 'timestamp']);
    assert.equal(log.has(eventAt(400).id), false);
  });

  test('labels are accepted, kept, and fed to the online label windows', async () => {
    const r = await request(base, 'POST', '/v1/labels', { body: { eventId: eventAt(5).id, label: 1 } });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body, { eventId: eventAt(5).id, label: 1, appliedOnline: true });
    const row = reader.prepare('SELECT label, applied_online FROM labels WHERE event_id = ?').get(eventAt(5).id);
    assert.deepEqual(row, { label: 1, applied_online: 1 });
  });

  test('personal identifiers are stored only as keyed HMACs', async () => {
    const raw = { customerId: 'card-4111-RAW', ipAddress: '203.0.113.77', deviceId: 'device-RAW-1234' };
    const r = await request(base, 'POST', '/v1/events', { body: { ...eventAt(400), id: 'pii-check', ...raw } });
    assert.equal(r.status, 200, r.text);
    const kept = log.find('pii-check');
    assert.equal(kept?.event.ipAddress, pseudonymiser.pseudonymise('ipAddress', raw.ipAddress));
    assert.match(kept?.event.deviceId ?? '', /^[0-9a-f]{32}$/);
    // Nothing raw in the database, its WAL or anything else SQLite wrote.
    for (const name of await readdir(root)) {
      if (!name.startsWith('audit.db')) continue;
      const bytes = (await readFile(join(root, name))).toString('latin1');
      for (const value of Object.values(raw)) assert.ok(!bytes.includes(value), `${value} in ${name}`);
    }
  });

  test('API keys: scorers post, analysts read, admins do both; 401 without a known key, 403 for the wrong role', async () => {
    const event = { ...eventAt(450), id: 'auth-check' };
    const cases: [string, string, string | undefined, unknown, number][] = [
      ['POST', '/v1/events', undefined, event, 401],
      ['POST', '/v1/events', 'not-a-key-at-all-xyz', event, 401],
      ['POST', '/v1/events', ANALYST, event, 403],
      ['POST', '/v1/events', SCORER, event, 200],
      ['POST', '/v1/labels', ANALYST, { eventId: 'auth-check', label: 0 }, 403],
      ['POST', '/v1/labels', SCORER, { eventId: 'auth-check', label: 0 }, 200],
      ['GET', '/v1/decisions/auth-check', SCORER, undefined, 403],
      ['GET', '/v1/decisions/auth-check', ANALYST, undefined, 200],
      ['GET', '/v1/decisions/auth-check', ADMIN, undefined, 200],
      ['GET', '/v1/decisions/never-scored', ANALYST, undefined, 404],
      ['GET', '/metrics', undefined, undefined, 401],
      ['GET', '/metrics', SCORER, undefined, 403],
      ['GET', '/metrics', ANALYST, undefined, 200],
      ['GET', '/healthz', undefined, undefined, 200],
      ['GET', '/readyz', undefined, undefined, 200],
    ];
    for (const [method, path, key, body, status] of cases) {
      const r = await send(base, method, path, { key, ...(body === undefined ? {} : { body }) });
      assert.equal(
        r.status,
        status,
        `${method} ${path} with ${key?.split('-')[0] ?? 'no key'}: ${r.text.slice(0, 200)}`,
      );
      if (status === 401) {
        assert.equal(r.body.code, 'unauthenticated');
        assert.ok(!r.text.includes('not-a-key-at-all'), 'the key is not echoed');
      }
      if (status === 403) assert.equal(r.body.code, 'forbidden');
    }
    const record = (await send(base, 'GET', '/v1/decisions/auth-check', { key: ANALYST })).body;
    assert.equal(record.eventId, 'auth-check');
    assert.equal(record.event.customerId, pseudonymiser.pseudonymise('customerId', event.customerId));
    assert.deepEqual(Object.keys(record.features), scorer.featureNames);
    // An unauthenticated body is never parsed: invalid JSON without a key is a 401, not a 400.
    const unparsed = await send(base, 'POST', '/v1/events', { body: '{not json' });
    assert.equal(unparsed.status, 401);
  });

  test('API key lists: every bad entry reported, keys never echoed', () => {
    assert.throws(
      () => ApiKeys.parse('scorer:short,boss:abcdefghijklmnopq,analyst:same-key-0123456789,admin:same-key-0123456789'),
      (e: unknown) => {
        const err = e as { code: string; issues: { code: string }[]; message: string };
        assert.equal(err.code, 'invalid_api_keys');
        assert.deepEqual(
          err.issues.map((i) => i.code),
          ['weak_key', 'unknown_role', 'duplicate_key'],
        );
        assert.ok(!JSON.stringify(err.issues).includes('same-key'));
        return true;
      },
    );
    assert.equal(ApiKeys.parse('').size, 0);
    assert.equal(ApiKeys.parse('admin:abcdefghijklmnop').roleOf('abcdefghijklmnop'), 'admin');
  });

  test('health, readiness and Prometheus metrics', async () => {
    assert.deepEqual((await request(base, 'GET', '/healthz')).body, { status: 'ok' });
    const ready = await request(base, 'GET', '/readyz');
    assert.equal(ready.status, 200);
    assert.equal(ready.body.modelVersion, scorer.modelVersion);
    const metrics = await request(base, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    const total = ['approve', 'review', 'decline']
      .map((d) => Number(new RegExp(`vigil_decisions_total\\{decision="${d}"\\} (\\d+)`).exec(metrics.text)?.[1] ?? 0))
      .reduce((a, b) => a + b, 0);
    assert.equal(total, 402);
    assert.match(metrics.text, /vigil_model_score_count 402/);
    assert.match(metrics.text, /vigil_http_requests_total\{method="POST",route="\/v1\/events",status="400"\} \d+/);
    assert.match(
      metrics.text,
      /vigil_http_request_duration_seconds_bucket\{le="0.01",method="POST",route="\/v1\/events"\}/,
    );
    assert.match(metrics.text, /vigil_labels_total\{label="1"\} 1/);
    // The cost split: the events' share of the model calls is a part of the model stage.
    const stage = (name: string) =>
      Number(
        new RegExp(`vigil_decision_stage_seconds_total\\{stage="${name}"\\} ([\\d.e+-]+)`).exec(metrics.text)?.[1],
      );
    assert.ok(
      stage('model_call') > 0 && stage('model_call') <= stage('model'),
      `${stage('model_call')} of ${stage('model')}`,
    );
    assert.ok(stage('features') > 0 && stage('storage') > 0);
    // The online state's sizes and Node's heap, read at the scrape.
    const state = scorer.stateSize();
    assert.ok((state.entities.customerId ?? 0) > 0 && state.heldEventCapacity > 0);
    assert.match(
      metrics.text,
      new RegExp(`vigil_online_entities\\{key="customerId"\\} ${state.entities.customerId}\n`),
    );
    assert.match(
      metrics.text,
      new RegExp(`vigil_online_entities\\{key="terminalId"\\} ${state.entities.terminalId}\n`),
    );
    assert.match(metrics.text, new RegExp(`vigil_online_held_events ${state.heldEventCapacity}\n`));
    assert.match(metrics.text, /nodejs_heap_size_used_bytes \d+/);
    assert.match(metrics.text, /process_resident_memory_bytes \d+/);
  });

  test('malformed requests of every shape get a 4xx, never a 5xx, and the server stays up', async () => {
    const valid = eventAt(600);
    const body = fc.oneof(malformedEventBody({ ...valid }), eventWithAbsurdValue({ ...valid }, NOW_MS));
    const path = fc.constantFrom('/v1/events', '/v1/events:batch', '/v1/labels');
    await fc.assert(
      fc.asyncProperty(path, body, async (p, text) => {
        const r = await request(base, 'POST', p, { body: p === '/v1/events:batch' ? `{"events": [${text}]}` : text });
        // A mutation may leave a valid event (200) or hit a scored id or an earlier time (409).
        return (r.status >= 400 && r.status < 500) || r.status === 200;
      }),
      { numRuns: 300, seed: 7 },
    );
    assert.equal((await request(base, 'GET', '/healthz')).status, 200);
  });
});
