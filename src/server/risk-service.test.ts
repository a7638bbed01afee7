import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { FastifyInstance } from 'fastify';
import { OnlineScorer } from '../scoring/index.js';
import { AuditStore } from '../store/index.js';
import { createPseudonymiser } from './pseudonymiser.js';
import type { TransactionBody } from './request-schemas.js';
import { buildRiskService } from './risk-service.js';
import { request, type TestStream, trainTestStream } from './test-service.js';

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
    const kind = await request(base, 'POST', '/v1/events', { body: { ...eventAt(400), kind: 'login' } });
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
    assert.equal(total, 401);
    assert.match(metrics.text, /vigil_model_score_count 401/);
    assert.match(metrics.text, /vigil_http_requests_total\{method="POST",route="\/v1\/events",status="400"\} \d+/);
    assert.match(
      metrics.text,
      /vigil_http_request_duration_seconds_bucket\{le="0.01",method="POST",route="\/v1\/events"\}/,
    );
    assert.match(metrics.text, /vigil_labels_total\{label="1"\} 1/);
  });
});
