import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { recoverOnlineState } from '../recovery/index.js';
import { OnlineScorer } from '../scoring/index.js';
import { AuditStore, RuleSetStore, StateStore } from '../store/index.js';
import type { RuleAlert } from './active-rules.js';
import { ApiKeys } from './api-keys.js';
import { malformedRuleSetBody } from './malformed-requests.js';
import { createPseudonymiser } from './pseudonymiser.js';
import type { TransactionBody } from './request-schemas.js';
import { buildRiskService, type RiskServiceOptions } from './risk-service.js';
import { request, type TestStream, trainTestStream } from './test-service.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-rules-service-'));
const pseudonymiser = createPseudonymiser('rules-test-key-'.repeat(3));
const SCORER = 'scorer-key-0123456789';
const ANALYST = 'analyst-key-0123456789';
const ADMIN = 'admin-key-0123456789';
const OTHER_SCORER = 'scorer-key-other-0123456789';
const auth = ApiKeys.parse(`scorer:${SCORER},analyst:${ANALYST},admin:${ADMIN},scorer:${OTHER_SCORER}`);
const NOW_MS = Date.parse('2025-02-10T00:00:00Z');
let stream: TestStream;
const open: { app: FastifyInstance; scorer: OnlineScorer }[] = [];

before(async () => {
  stream = await trainTestStream(root);
});
after(async () => {
  for (const { app, scorer } of open) {
    await app.close();
    scorer.dispose();
  }
  await rm(root, { recursive: true, force: true });
});

interface Started {
  app: FastifyInstance;
  base: string;
  scorer: OnlineScorer;
  log: AuditStore;
  dbPath: string;
  close(): Promise<void>;
}

/** A service on a real SQLite file (its rule sets in the same file), listening on port 0. */
async function start(
  db: string,
  extra: Partial<RiskServiceOptions> = {},
  clock: () => number = () => NOW_MS,
): Promise<Started> {
  const scorer = await OnlineScorer.load(stream.bundleDir);
  const dbPath = join(root, db);
  const log = AuditStore.open(dbPath, { keyFingerprint: pseudonymiser.keyFingerprint });
  const ruleSets = RuleSetStore.open(dbPath);
  // A restart on the same file continues the online state the log holds.
  const state = StateStore.open(dbPath);
  recoverOnlineState(scorer, state, { warn: () => {} });
  state.close();
  let app: FastifyInstance;
  try {
    app = await buildRiskService({
      scorer,
      log,
      ruleSets,
      pseudonymise: pseudonymiser.pseudonymise,
      auth,
      nowMs: clock,
      ...extra,
    });
  } catch (error) {
    log.close();
    ruleSets.close();
    scorer.dispose();
    throw error;
  }
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const entry = { app, scorer };
  open.push(entry);
  return {
    app,
    base,
    scorer,
    log,
    dbPath,
    close: async () => {
      open.splice(open.indexOf(entry), 1);
      await app.close();
      scorer.dispose();
    },
  };
}

const eventAt = (i: number) => stream.events[i] as TransactionBody;
const ruleSet = (version: string, rules: unknown[], lists?: Record<string, unknown[]>) => ({
  version,
  ...(lists === undefined ? {} : { lists }),
  rules,
});

describe('rules in the service', () => {
  test('a rule declines events the model approves; reasons, rulesHit and the rules version are answered and kept', async () => {
    const terminal = eventAt(0).terminalId;
    const s = await start('decline.db', {
      rules: ruleSet('t1', [
        {
          id: 'watched-terminal',
          action: 'decline',
          reason: 'terminal under investigation',
          when: { field: 'event.terminalId', op: '==', value: terminal },
        },
        { id: 'never', action: 'review', reason: 'never', when: { field: 'event.amount', op: '<', value: 0 } },
      ]),
    });
    const events = stream.events.slice(0, 300);
    const r = await request(s.base, 'POST', '/v1/events:batch', { body: { events }, key: SCORER });
    assert.equal(r.status, 200, r.text);
    const { reviewFrom } = s.scorer.bands;
    let lowScoreDeclines = 0;
    events.forEach((e, i) => {
      const answer = r.body.results[i];
      if (e.terminalId === terminal) {
        assert.equal(answer.decision, 'decline');
        assert.deepEqual(answer.rulesHit, ['watched-terminal']);
        assert.equal(answer.reasons.at(-1), 'rule watched-terminal: terminal under investigation');
        if (answer.score < reviewFrom) lowScoreDeclines++;
      } else assert.deepEqual(answer.rulesHit, []);
    });
    assert.ok(lowScoreDeclines >= 1, 'a score in the approve band was declined by the rule');
    const reader = new Database(s.dbPath, { readonly: true });
    try {
      const row = reader
        .prepare('SELECT decision, rules_hit_json, rules_version, reasons_json FROM decisions WHERE event_id = ?')
        .get(eventAt(0).id) as {
        decision: string;
        rules_hit_json: string;
        rules_version: string;
        reasons_json: string;
      };
      assert.equal(row.decision, 'decline');
      assert.deepEqual(JSON.parse(row.rules_hit_json), ['watched-terminal']);
      assert.equal(row.rules_version, 't1');
      assert.match(row.reasons_json, /terminal under investigation/);
      const kept = reader.prepare('SELECT version, sha256, json FROM rule_sets').all() as { version: string }[];
      assert.deepEqual(
        kept.map((k) => k.version),
        ['t1'],
      );
    } finally {
      reader.close();
    }
    const record = await request(s.base, 'GET', `/v1/decisions/${eventAt(0).id}`, { key: ANALYST });
    assert.equal(record.body.rulesVersion, 't1');
    const metrics = await request(s.base, 'GET', '/metrics', { key: ANALYST });
    const declined = events.filter((e) => e.terminalId === terminal).length;
    assert.match(
      metrics.text,
      new RegExp(`vigil_rule_hits_total\\{rule="watched-terminal",action="decline"\\} ${declined}`),
    );
    await s.close();
  });

  test('a blocked IP list written with raw IPs matches pseudonymised events, and no raw IP reaches the database', async () => {
    const blocked = '203.0.113.66';
    const s = await start('blocked.db', {
      rules: ruleSet(
        'ips-1',
        [
          {
            id: 'blocked-ip',
            action: 'decline',
            reason: 'IP on the blocked list',
            when: { field: 'event.ipAddress', op: 'in', list: 'blockedIps' },
          },
          {
            id: 'blocked-card',
            action: 'review',
            reason: 'card on the watch list',
            when: { field: 'event.customerId', op: 'in', value: ['card-RAW-777'] },
          },
        ],
        { blockedIps: [blocked, '198.51.100.99'] },
      ),
    });
    const hit = await request(s.base, 'POST', '/v1/events', {
      body: { ...eventAt(0), id: 'ip-hit', ipAddress: blocked, customerId: 'card-RAW-777' },
      key: SCORER,
    });
    assert.equal(hit.status, 200, hit.text);
    assert.equal(hit.body.decision, 'decline');
    assert.deepEqual(hit.body.rulesHit, ['blocked-ip', 'blocked-card']);
    const miss = await request(s.base, 'POST', '/v1/events', {
      body: { ...eventAt(1), id: 'ip-miss', ipAddress: '192.0.2.1' },
      key: SCORER,
    });
    assert.deepEqual(miss.body.rulesHit, []);
    // The active set is shown as kept: pseudonyms where identifiers are compared.
    const active = await request(s.base, 'GET', '/v1/rules', { key: ANALYST });
    assert.equal(active.body.version, 'ips-1');
    assert.deepEqual(active.body.ruleSet.lists.blockedIps, [
      pseudonymiser.pseudonymise('ipAddress', blocked),
      pseudonymiser.pseudonymise('ipAddress', '198.51.100.99'),
    ]);
    assert.ok(!active.text.includes(blocked));
    await s.close();
    for (const name of await readdir(root)) {
      if (!name.startsWith('blocked.db')) continue;
      const bytes = (await readFile(join(root, name))).toString('latin1');
      for (const raw of [blocked, '198.51.100.99', 'card-RAW-777', '192.0.2.1'])
        assert.ok(!bytes.includes(raw), `${raw} in ${name}`);
    }
  });

  test('PUT /v1/rules swaps the set atomically; a bad set is refused with every problem and the old one stays', async () => {
    const s = await start('swap.db');
    const none = await request(s.base, 'GET', '/v1/rules', { key: ANALYST });
    assert.equal(none.status, 200);
    assert.deepEqual(none.body, { version: null, sha256: null, activatedAtMs: null, ruleCount: 0, ruleSet: null });
    const first = await request(s.base, 'POST', '/v1/events', { body: eventAt(0), key: SCORER });
    assert.deepEqual(first.body.rulesHit, []);
    assert.equal(s.log.find(eventAt(0).id)?.rulesVersion, undefined);

    const v1 = ruleSet('v1', [
      {
        id: 'all-review',
        action: 'review',
        reason: 'everything reviewed',
        when: { field: 'event.amount', op: '>=', value: 0 },
      },
    ]);
    assert.equal((await request(s.base, 'PUT', '/v1/rules', { body: v1, key: SCORER })).status, 403);
    assert.equal((await request(s.base, 'PUT', '/v1/rules', { body: v1, key: ANALYST })).status, 403);
    assert.equal((await request(s.base, 'PUT', '/v1/rules', { body: v1 })).status, 401);
    const put = await request(s.base, 'PUT', '/v1/rules', { body: v1, key: ADMIN });
    assert.equal(put.status, 200, put.text);
    assert.equal(put.body.version, 'v1');
    assert.equal(put.body.changed, true);
    assert.match(put.body.sha256, /^[0-9a-f]{64}$/);
    const second = await request(s.base, 'POST', '/v1/events', { body: eventAt(1), key: SCORER });
    assert.deepEqual(second.body.rulesHit, ['all-review']);
    assert.notEqual(second.body.decision, 'approve');
    assert.equal(s.log.find(eventAt(1).id)?.rulesVersion, 'v1');

    const bad = {
      version: 'v2',
      rules: [
        { id: 'x', action: 'block', reason: 'r', when: { field: 'features.NOT_A_FEATURE', op: '>', value: 1 } },
        { id: 'x', action: 'review', reason: 'r', when: { field: 'event.ipAddress', op: 'in', list: 'nope' } },
      ],
    };
    const refused = await request(s.base, 'PUT', '/v1/rules', { body: bad, key: ADMIN });
    assert.equal(refused.status, 400, refused.text);
    assert.equal(refused.body.code, 'invalid_rules');
    assert.deepEqual(
      refused.body.issues.map((i: { code: string; path: unknown[] }) => `${i.code}@${i.path.join('.')}`),
      [
        'unknown_action@rules.0.action',
        'unknown_feature@rules.0.when.field',
        'duplicate_id@rules.1.id',
        'unknown_list@rules.1.when.list',
      ],
    );
    for (const body of ['{"version": ', '[1]', '"v3"']) {
      const r = await request(s.base, 'PUT', '/v1/rules', { body, key: ADMIN });
      assert.ok(r.status === 400, `${body}: ${r.status} ${r.text}`);
    }
    assert.equal((await request(s.base, 'GET', '/v1/rules', { key: ANALYST })).body.version, 'v1');

    // A version names one set for good; the same set again changes nothing.
    const reused = ruleSet('v1', [
      { id: 'other', action: 'decline', reason: 'r', when: { field: 'score', op: '>', value: 0.9 } },
    ]);
    const conflict = await request(s.base, 'PUT', '/v1/rules', { body: reused, key: ADMIN });
    assert.equal(conflict.status, 409, conflict.text);
    assert.equal(conflict.body.code, 'rules_version_conflict');
    const same = await request(s.base, 'PUT', '/v1/rules', { body: v1, key: ADMIN });
    assert.equal(same.body.changed, false);

    const v2 = ruleSet('v2', []);
    assert.equal((await request(s.base, 'PUT', '/v1/rules', { body: v2, key: ADMIN })).status, 200);
    const third = await request(s.base, 'POST', '/v1/events', { body: eventAt(2), key: SCORER });
    assert.deepEqual(third.body.rulesHit, []);
    assert.equal(s.log.find(eventAt(2).id)?.rulesVersion, 'v2');
    const versions = await request(s.base, 'GET', '/v1/rules/versions', { key: ANALYST });
    assert.deepEqual(
      versions.body.versions.map((v: { version: string }) => v.version),
      ['v1', 'v2'],
    );
    const old = await request(s.base, 'GET', '/v1/rules/versions/v1', { key: ANALYST });
    assert.equal(old.body.ruleSet.rules[0].id, 'all-review');
    assert.equal((await request(s.base, 'GET', '/v1/rules/versions/v9', { key: ANALYST })).status, 404);
    await s.close();
  });

  test('rule sets are kept across a restart: the last active set returns; an initial set (--rules) wins over it', async () => {
    const a = ruleSet('keep-a', [
      { id: 'a', action: 'review', reason: 'a', when: { field: 'event.amount', op: '>', value: 0 } },
    ]);
    const b = ruleSet('keep-b', [
      { id: 'b', action: 'alert', reason: 'b', when: { field: 'event.amount', op: '>', value: 0 } },
    ]);
    const first = await start('restart.db', { rules: a });
    assert.equal((await request(first.base, 'PUT', '/v1/rules', { body: b, key: ADMIN })).status, 200);
    await first.close();

    const second = await start('restart.db');
    assert.equal((await request(second.base, 'GET', '/v1/rules', { key: ANALYST })).body.version, 'keep-b');
    const r = await request(second.base, 'POST', '/v1/events', { body: eventAt(0), key: SCORER });
    assert.deepEqual(r.body.rulesHit, ['b']);
    await second.close();

    const third = await start('restart.db', { rules: a });
    assert.equal((await request(third.base, 'GET', '/v1/rules', { key: ANALYST })).body.version, 'keep-a');
    const versions = (await request(third.base, 'GET', '/v1/rules/versions', { key: ANALYST })).body.versions;
    assert.deepEqual(
      versions.map((v: { version: string }) => v.version),
      ['keep-a', 'keep-b', 'keep-a'],
    );
    await third.close();
    // The same set as the last active one is not recorded again.
    const fourth = await start('restart.db', { rules: a });
    assert.equal((await request(fourth.base, 'GET', '/v1/rules/versions', { key: ANALYST })).body.versions.length, 3);
    await fourth.close();

    await assert.rejects(() => start('restart.db', { rules: { version: 'keep-c', rules: [{ id: 'x' }] } }), {
      code: 'invalid_rules',
    });
    await assert.rejects(
      () =>
        start('restart.db', {
          rules: ruleSet('keep-a', [
            { id: 'changed', action: 'review', reason: 'r', when: { field: 'score', op: '>', value: 0 } },
          ]),
        }),
      { code: 'rules_version_conflict' },
    );
  });

  test('an audit store written before the rules engine gets its rules_version column when opened', async () => {
    const path = join(root, 'before-rules.db');
    AuditStore.open(path, { keyFingerprint: pseudonymiser.keyFingerprint }).close();
    const old = new Database(path);
    old.exec('ALTER TABLE decisions DROP COLUMN rules_version');
    old.close();
    const s = await start('before-rules.db', { rules: ruleSet('old-file-1', []) });
    const r = await request(s.base, 'POST', '/v1/events', { body: eventAt(0), key: SCORER });
    assert.equal(r.status, 200, r.text);
    assert.equal(s.log.find(eventAt(0).id)?.rulesVersion, 'old-file-1');
    await s.close();
  });

  test('alert hits go to onAlert after the commit, with pseudonymised entity keys; a failing hook does not fail the answer', async () => {
    const alerts: RuleAlert[] = [];
    let committedWhenCalled = true;
    let reader: Database.Database | undefined;
    const s = await start('alerts.db', {
      rules: ruleSet('alerts-1', [
        {
          id: 'big',
          action: 'alert',
          severity: 'high',
          reason: 'big amount',
          when: { field: 'event.amount', op: '>=', value: 0 },
        },
        { id: 'quiet', action: 'alert', reason: 'quiet', when: { field: 'event.amount', op: '<', value: 0 } },
      ]),
      onAlert: (alert) => {
        reader ??= new Database(join(root, 'alerts.db'), { readonly: true });
        committedWhenCalled &&=
          reader.prepare('SELECT 1 FROM decisions WHERE event_id = ?').get(alert.eventId) !== undefined;
        alerts.push(alert);
        if (alert.eventId === 'alert-throws') throw new Error('alerts store down');
      },
    });
    const e = { ...eventAt(0), ipAddress: '192.0.2.10', deviceId: 'device-raw-1' };
    const r = await request(s.base, 'POST', '/v1/events', { body: e, key: SCORER });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.body.rulesHit, ['big']);
    assert.ok(!r.body.reasons.some((x: string) => x.includes('big amount')), 'an alert does not add a decision reason');
    assert.equal(alerts.length, 1);
    assert.ok(committedWhenCalled, 'the decision was committed before onAlert');
    const alert = alerts[0] as RuleAlert;
    assert.deepEqual(alert, {
      eventId: e.id,
      kind: 'transaction',
      ruleId: 'big',
      severity: 'high',
      reason: 'big amount',
      rulesVersion: 'alerts-1',
      timestamp: e.timestamp,
      score: r.body.score,
      decision: r.body.decision,
      customerId: pseudonymiser.pseudonymise('customerId', e.customerId),
      terminalId: e.terminalId,
      ipAddress: pseudonymiser.pseudonymise('ipAddress', '192.0.2.10'),
      deviceId: pseudonymiser.pseudonymise('deviceId', 'device-raw-1'),
    });
    const failing = await request(s.base, 'POST', '/v1/events', {
      body: { ...eventAt(1), id: 'alert-throws' },
      key: SCORER,
    });
    assert.equal(failing.status, 200, failing.text);
    assert.equal(alerts.length, 2);
    reader?.close();
    await s.close();
  });
});

describe('rule sets of every shape', () => {
  test('malformed rule sets get a 4xx, never a 5xx; the active set is always one that was accepted', async () => {
    const s = await start('fuzz-rules.db');
    const example = JSON.parse(await readFile(new URL('../../examples/rules.json', import.meta.url), 'utf8'));
    const accepted = new Set<string>();
    const statuses = new Map<number, number>();
    const body = malformedRuleSetBody(example);
    await fc.assert(
      fc.asyncProperty(body, async (text) => {
        const r = await request(s.base, 'PUT', '/v1/rules', { body: text, key: ADMIN });
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.status === 200) accepted.add(r.body.sha256);
        // A mutation may leave a valid set (200) or reuse a version with other rules (409).
        return (r.status >= 400 && r.status < 500) || r.status === 200;
      }),
      { numRuns: 300, seed: 11 },
    );
    assert.ok((statuses.get(400) ?? 0) > 100, `mostly refused: ${JSON.stringify([...statuses])}`);
    assert.ok((statuses.get(200) ?? 0) > 0, `some mutations stay valid: ${JSON.stringify([...statuses])}`);
    console.log(`PUT /v1/rules fuzz: ${JSON.stringify(Object.fromEntries(statuses))}`);
    const active = await request(s.base, 'GET', '/v1/rules', { key: ANALYST });
    assert.ok(active.body.sha256 === null || accepted.has(active.body.sha256));
    assert.equal((await request(s.base, 'POST', '/v1/events', { body: eventAt(0), key: SCORER })).status, 200);
    await s.close();
  });
});

describe('rate limits and the OpenAPI document', () => {
  test('a token bucket per key: 429 rate_limited with Retry-After once the burst is spent; other keys go on', async () => {
    let now = NOW_MS;
    const s = await start('rate.db', { rateLimit: { perKeyPerSecond: 2, burst: 3 } }, () => now);
    const post = (i: number, key: string) => request(s.base, 'POST', '/v1/events', { body: eventAt(i), key });
    for (let i = 0; i < 3; i++) assert.equal((await post(i, SCORER)).status, 200);
    const limited = await fetch(`${s.base}/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${SCORER}`, 'content-type': 'application/json' },
      body: JSON.stringify(eventAt(3)),
    });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '1');
    const body = (await limited.json()) as { code: string };
    assert.equal(body.code, 'rate_limited');
    assert.equal(s.log.has(eventAt(3).id), false, 'a limited request is not scored');
    // The same key written otherwise (scheme case, spacing) is the same bucket.
    for (const header of [`bearer ${SCORER}`, `Bearer   ${SCORER}`, `BEARER ${SCORER} `]) {
      const again = await fetch(`${s.base}/v1/events`, {
        method: 'POST',
        headers: { authorization: header, 'content-type': 'application/json' },
        body: JSON.stringify(eventAt(3)),
      });
      assert.equal(again.status, 429, JSON.stringify(header));
    }
    assert.equal((await post(3, OTHER_SCORER)).status, 200, 'another key has its own bucket');
    assert.equal((await request(s.base, 'GET', '/healthz')).status, 200, 'open routes are not limited');
    now += 500; // one token back at 2 per second
    assert.equal((await post(4, SCORER)).status, 200);
    assert.equal((await post(5, SCORER)).status, 429);
    const metrics = await request(s.base, 'GET', '/metrics', { key: ANALYST });
    assert.match(metrics.text, /vigil_http_requests_total\{method="POST",route="\/v1\/events",status="429"\} 5/);
    await s.close();
  });

  test('/docs/openapi.json lists every route with its request schema and role; /docs is a page; both open', async () => {
    const s = await start('docs.db');
    const r = await request(s.base, 'GET', '/docs/openapi.json');
    assert.equal(r.status, 200, r.text);
    const doc = r.body;
    assert.equal(doc.openapi, '3.1.0');
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const expected = [
      'POST /v1/events',
      'POST /v1/events:batch',
      'POST /v1/labels',
      'GET /v1/decisions/{eventId}',
      'GET /v1/rules',
      'PUT /v1/rules',
      'GET /v1/rules/versions',
      'GET /v1/rules/versions/{version}',
      'GET /healthz',
      'GET /readyz',
      'GET /metrics',
      'GET /docs',
      'GET /docs/openapi.json',
    ];
    assert.deepEqual([...documented].sort(), [...expected].sort());
    const schemaOf = (path: string, method: string) =>
      doc.paths[path][method].requestBody?.content['application/json'].schema;
    // One body per event kind: a transaction, a login, a behaviour event.
    const [transaction, login, behaviour] = schemaOf('/v1/events', 'post').anyOf;
    assert.deepEqual(transaction.required, ['kind', 'id', 'timestamp', 'customerId', 'terminalId', 'amount']);
    assert.deepEqual(login.required, ['kind', 'id', 'timestamp', 'customerId', 'success']);
    assert.deepEqual(behaviour.required, ['kind', 'id', 'timestamp', 'customerId']);
    assert.equal(behaviour.properties.dwellTimeMs.minimum, 0);
    assert.equal(transaction.properties.timestamp.format, 'date-time');
    assert.deepEqual(
      doc.paths['/v1/events'].post.responses['200'].content['application/json'].schema.properties.score.anyOf,
      [{ type: 'number' }, { type: 'null' }],
    );
    assert.equal(schemaOf('/v1/events:batch', 'post').properties.events.maxItems, 1000);
    assert.deepEqual(Object.keys(schemaOf('/v1/labels', 'post').properties), ['eventId', 'label']);
    assert.ok(schemaOf('/v1/rules', 'put').properties.rules, 'the rule set body');
    assert.equal(doc.paths['/v1/events'].post['x-vigil-role'], 'scorer');
    assert.equal(doc.paths['/v1/rules'].put['x-vigil-role'], 'admin');
    assert.deepEqual(doc.paths['/healthz'].get.security, []);
    assert.equal(doc.paths['/v1/decisions/{eventId}'].get.parameters[0].name, 'eventId');
    assert.ok(doc.paths['/v1/events'].post.responses['200'].content['application/json'].schema.properties.rulesHit);
    const page = await request(s.base, 'GET', '/docs');
    assert.equal(page.status, 200);
    assert.match(page.text, /<table>/);
    assert.match(page.text, /\/v1\/events:batch/);
    assert.match(page.text, /href="\/docs\/openapi.json"/);
    await s.close();
  });
});
