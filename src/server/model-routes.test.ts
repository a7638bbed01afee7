import assert from 'node:assert/strict';
import { cp, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { auc } from '../evaluation/index.js';
import { OnlineScorer } from '../scoring/index.js';
import { ApiKeys } from './api-keys.js';
import { createPseudonymiser } from './pseudonymiser.js';
import type { TransactionBody } from './request-schemas.js';
import {
  request as send,
  startTestService,
  type TestService,
  type TestStream,
  trainSpecBundle,
  trainTestStream,
} from './test-service.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-models-'));
const pseudonymiser = createPseudonymiser('models-key-'.repeat(3));
const NOW_MS = Date.parse('2025-02-10T00:00:00Z');
const SCORER = 'scorer-key-0123456789';
const ANALYST = 'analyst-key-0123456789';
const ADMIN = 'admin-key-0123456789';
const auth = ApiKeys.parse(`scorer:${SCORER}, analyst:${ANALYST}, admin:${ADMIN}`);
let stream: TestStream;
let shadowBundle = '';
let otherSpecBundle = '';
/** Events scored while the shadow runs, and the first of them to get a label. */
const SCORED = 3000;
const LABELLED_FROM = 1500;
const dbPath = () => join(root, 'models.db');
const start = () => startTestService(stream.bundleDir, dbPath(), { pseudonymiser, auth, nowMs: () => NOW_MS });

before(async () => {
  stream = await trainTestStream(root);
  shadowBundle = await trainSpecBundle(stream.dataPath, join(root, 'shadow'), { model: 'mlp' });
  otherSpecBundle = await trainSpecBundle(stream.dataPath, join(root, 'handbook'), { spec: 'fraud-handbook' });
});
after(() => rm(root, { recursive: true, force: true }));

const pseudonymised = (e: TransactionBody) => ({
  ...e,
  customerId: pseudonymiser.pseudonymise('customerId', e.customerId),
  ...(e.ipAddress === undefined ? {} : { ipAddress: pseudonymiser.pseudonymise('ipAddress', e.ipAddress) }),
  ...(e.deviceId === undefined ? {} : { deviceId: pseudonymiser.pseudonymise('deviceId', e.deviceId) }),
  timestampSeconds: Date.parse(e.timestamp) / 1000,
});

/** In-process scores of events [0, n) by a bundle alone: what the service must answer (champion) or keep (shadow). */
async function scoresOf(bundleDir: string, n: number): Promise<{ score: number; decision: string }[]> {
  const scorer = await OnlineScorer.load(bundleDir);
  try {
    return await scorer.scoreEvents(stream.events.slice(0, n).map(pseudonymised));
  } finally {
    scorer.dispose();
  }
}

describe('models: champion and shadow', () => {
  let service: TestService;
  const request = (method: string, path: string, options: { body?: unknown; key?: string } = {}) =>
    send(service.base, method, path, { key: ADMIN, ...options });

  test('GET /v1/models lists the champion; POST deploys a shadow; bundles that do not verify or have another spec are refused', async () => {
    service = await start();
    const list = await request('GET', '/v1/models', { key: ANALYST });
    assert.equal(list.status, 200, list.text);
    assert.equal(list.body.models.length, 1);
    const [champion] = list.body.models;
    assert.equal(champion.role, 'champion');
    assert.equal(champion.modelVersion, service.scorer.modelVersion);
    assert.equal(champion.kind, 'logistic');
    assert.equal(champion.specSha256, service.scorer.specSha256);
    assert.equal(champion.threshold, service.scorer.bands.declineFrom);
    assert.deepEqual([champion.scored, champion.labelled, champion.auc], [0, 0, null]);

    const forbidden = await request('POST', '/v1/models', {
      body: { path: shadowBundle, role: 'shadow' },
      key: ANALYST,
    });
    assert.equal(forbidden.status, 403);
    const bad = await request('POST', '/v1/models', { body: { path: '', role: 'boss', extra: 1 } });
    assert.equal(bad.status, 400, bad.text);
    assert.deepEqual(bad.body.issues.map((i: { path: string[] }) => i.path.join('.')).sort(), [
      'extra',
      'path',
      'role',
    ]);

    const other = await request('POST', '/v1/models', { body: { path: otherSpecBundle, role: 'shadow' } });
    assert.equal(other.status, 422, other.text);
    assert.equal(other.body.code, 'feature_spec_mismatch');
    assert.match(other.body.message, /one feature state serves every deployed model, so they must share the spec/);
    const missing = await request('POST', '/v1/models', { body: { path: join(root, 'nowhere'), role: 'shadow' } });
    assert.equal(missing.status, 422, missing.text);
    assert.equal(missing.body.code, 'invalid_bundle');
    const tampered = join(root, 'tampered');
    await cp(shadowBundle, tampered, { recursive: true });
    await writeFile(join(tampered, 'manifest.json'), '{"tampered": true}');
    const altered = await request('POST', '/v1/models', { body: { path: tampered, role: 'shadow' } });
    assert.equal(altered.status, 422, altered.text);
    assert.equal(altered.body.code, 'invalid_bundle');

    const deployed = await request('POST', '/v1/models', { body: { path: shadowBundle, role: 'shadow' } });
    assert.equal(deployed.status, 201, deployed.text);
    assert.equal(deployed.body.role, 'shadow');
    assert.equal(deployed.body.kind, 'mlp');
    assert.match(deployed.body.modelVersion, /^mlp-[0-9a-f]{12}$/);
    const again = await request('POST', '/v1/models', { body: { path: shadowBundle, role: 'shadow' } });
    assert.equal(again.status, 409);
    assert.equal(again.body.code, 'already_deployed');
  });

  test('a shadow scores every event, its scores are kept, and it never changes an answer', async () => {
    const n = SCORED;
    const events = stream.events.slice(0, n);
    const answers: { score: number; decision: string; modelVersion: string }[] = [];
    for (let i = 0; i < n; i += 500) {
      const r = await request('POST', '/v1/events:batch', { body: { events: events.slice(i, i + 500) }, key: SCORER });
      assert.equal(r.status, 200, r.text);
      answers.push(...r.body.results);
    }
    const champion = await scoresOf(stream.bundleDir, n);
    const shadow = await scoresOf(shadowBundle, n);
    const shadowVersion = service.models.shadows[0]?.modelVersion;
    const read = new Database(dbPath(), { readonly: true });
    try {
      const kept = read
        .prepare('SELECT event_id, score, decision FROM shadow_scores WHERE model_version = ?')
        .all(shadowVersion) as { event_id: string; score: number; decision: string }[];
      assert.equal(kept.length, n);
      const byId = new Map(kept.map((k) => [k.event_id, k]));
      for (let i = 0; i < n; i++) {
        assert.equal(answers[i]?.score, champion[i]?.score, `answer ${i} is the champion's alone`);
        assert.equal(answers[i]?.decision, champion[i]?.decision);
        assert.equal(answers[i]?.modelVersion, service.scorer.modelVersion);
        const s = byId.get(events[i]?.id as string);
        assert.ok(Math.abs((s?.score as number) - (shadow[i]?.score as number)) < 1e-6, `shadow score ${i}`);
        assert.equal(s?.decision, shadow[i]?.decision);
      }
    } finally {
      read.close();
    }
    const metrics = await request('GET', '/metrics');
    assert.match(metrics.text, new RegExp(`vigil_shadow_score_count\\{model_version="${shadowVersion}"\\} ${n}`));
  });

  test('with delayed labels, GET /v1/models gives each model its count scored and its AUC over labelled events', async () => {
    // Label the second half of the events scored (the simulated frauds begin there) as the
    // simulation has them: frauds confirmed, the rest cleared.
    const labelled = stream.events.slice(LABELLED_FROM, SCORED);
    const truth = await import('node:fs/promises').then((fs) => fs.readFile(stream.dataPath, 'utf8'));
    const header = truth.split('\n')[0]?.split(',') ?? [];
    const idCol = header.indexOf('TRANSACTION_ID');
    const fraudCol = header.indexOf('TX_FRAUD');
    const fraudOf = new Map(
      truth
        .split('\n')
        .slice(1)
        .filter((l) => l !== '')
        .map((l) => {
          const f = l.split(',');
          return [f[idCol] as string, Number(f[fraudCol])];
        }),
    );
    for (const e of labelled) {
      const r = await request('POST', '/v1/labels', { body: { eventId: e.id, label: fraudOf.get(e.id) }, key: SCORER });
      assert.equal(r.status, 200, r.text);
    }
    const y = Float32Array.from(labelled, (e) => fraudOf.get(e.id) as number);
    assert.ok(y.some((v) => v === 1) && y.some((v) => v === 0), 'both classes among the labels');
    const champion = (await scoresOf(stream.bundleDir, SCORED)).slice(LABELLED_FROM);
    const shadow = (await scoresOf(shadowBundle, SCORED)).slice(LABELLED_FROM);
    const list = (await request('GET', '/v1/models', { key: ANALYST })).body.models;
    const [c, s] = list;
    const n = SCORED - LABELLED_FROM;
    assert.deepEqual([c.role, c.scored, c.labelled], ['champion', SCORED, n]);
    assert.deepEqual([s.role, s.scored, s.labelled], ['shadow', SCORED, n]);
    const championAuc = auc(
      y,
      Float64Array.from(champion, (r) => r.score),
    );
    const shadowAuc = auc(
      y,
      Float64Array.from(shadow, (r) => r.score),
    );
    assert.ok(Math.abs(c.auc - championAuc) < 1e-12, `${c.auc} vs ${championAuc}`);
    assert.ok(Math.abs(s.auc - shadowAuc) < 1e-6, `${s.auc} vs ${shadowAuc}`);
    // Two different models, told apart on the same delayed labels (an mlp of one epoch ranks poorly).
    assert.notEqual(c.auc, s.auc);
  });

  test('deployments are kept across a restart; a shadow deployed as champion is promoted; shadows can be removed, the champion not', async () => {
    const shadowVersion = service.models.shadows[0]?.modelVersion as string;
    await service.close();
    service = await start();
    let list = (await request('GET', '/v1/models', { key: ANALYST })).body.models;
    assert.deepEqual(
      list.map((m: { role: string; modelVersion: string; scored: number }) => [m.role, m.modelVersion, m.scored]),
      [
        ['champion', service.scorer.modelVersion, SCORED],
        ['shadow', shadowVersion, SCORED],
      ],
    );
    const championVersion = service.scorer.modelVersion;
    const removeChampion = await request('DELETE', `/v1/models/${championVersion}`);
    assert.equal(removeChampion.status, 409);
    assert.equal(removeChampion.body.code, 'champion_not_removable');
    assert.equal((await request('DELETE', '/v1/models/logistic-000000000000')).status, 404);

    const promoted = await request('POST', '/v1/models', { body: { path: shadowBundle, role: 'champion' } });
    assert.equal(promoted.status, 201, promoted.text);
    assert.equal(promoted.body.role, 'champion');
    list = (await request('GET', '/v1/models', { key: ANALYST })).body.models;
    assert.deepEqual(
      list.map((m: { role: string; modelVersion: string }) => [m.role, m.modelVersion]),
      [['champion', shadowVersion]],
    );
    const next = await request('POST', '/v1/events', { body: stream.events[SCORED], key: SCORER });
    assert.equal(next.status, 200, next.text);
    assert.equal(next.body.modelVersion, shadowVersion);
    assert.equal(service.log.find(stream.events[SCORED]?.id as string)?.modelVersion, shadowVersion);

    // The old champion back as a shadow, then removed; its earlier scores stay in the store.
    const back = await request('POST', '/v1/models', { body: { path: stream.bundleDir, role: 'shadow' } });
    assert.equal(back.status, 201, back.text);
    const removed = await request('DELETE', `/v1/models/${championVersion}`);
    assert.equal(removed.status, 200, removed.text);
    assert.equal((await request('GET', '/v1/models', { key: ANALYST })).body.models.length, 1);
    await service.close();

    // On restart the --model bundle is the champion again.
    service = await start();
    list = (await request('GET', '/v1/models', { key: ANALYST })).body.models;
    assert.deepEqual(
      list.map((m: { role: string; modelVersion: string }) => [m.role, m.modelVersion]),
      [['champion', championVersion]],
    );
    await service.close();
  });
});
