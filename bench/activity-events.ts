// What login and behaviour events cost the service, and what keeping them costs its transaction
// path: the service in this process on a loopback port with a real audit store (durability
// `process`, as the load benchmark's server runs), alerting on with its defaults. Sends, in
// batches of 100: transactions of a simulated stream before any login is kept, as many login and
// behaviour events (a mix: logins from the transactions' customers, IPs and devices, one in ten
// failed, and behaviour events), then the next transactions with the login table in use (each id
// also looked up there). Prints µs per event end to end (HTTP, decisions, commit) for each part.
//
// Run: node --import tsx bench/activity-events.ts [--events 1300 --rounds 2]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnlineScorer } from '../src/scoring/index.js';
import { buildRiskService, createPseudonymiser } from '../src/server/index.js';
import type { EventBody, TransactionBody } from '../src/server/request-schemas.js';
import { request, trainTestStream } from '../src/server/test-service.js';
import { AlertStore, AuditStore, EntityDecisions } from '../src/store/index.js';

const { values } = parseArgs({
  options: { events: { type: 'string', default: '1300' }, rounds: { type: 'string', default: '2' } },
});
const perPart = Number(values.events);
const rounds = Number(values.rounds);
const BATCH = 100;

const root = await mkdtemp(join(tmpdir(), 'vigil-activity-bench-'));
try {
  const stream = await trainTestStream(root);
  const needed = 300 + 2 * perPart * rounds;
  if (stream.events.length < needed)
    throw new Error(
      `the stream has ${stream.events.length} transactions; give --events ≤ ${Math.floor((stream.events.length - 300) / (2 * rounds))}`,
    );
  const scorer = await OnlineScorer.load(stream.bundleDir);
  const pseudonymiser = createPseudonymiser('bench-key-'.repeat(4));
  const audit = AuditStore.open(join(root, 'audit.db'), {
    keyFingerprint: pseudonymiser.keyFingerprint,
    durability: 'process',
  });
  const app = await buildRiskService({
    scorer,
    log: audit,
    auth: 'none',
    pseudonymise: pseudonymiser.pseudonymise,
    nowMs: () => Date.parse('2030-01-01T00:00:00Z'),
    alerting: { store: AlertStore.on(audit), entityDecisions: EntityDecisions.on(audit) },
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const send = async (events: readonly EventBody[]): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < events.length; i += BATCH) {
      const r = await request(base, 'POST', '/v1/events:batch', { body: { events: events.slice(i, i + BATCH) } });
      if (r.status !== 200) throw new Error(`${r.status} ${r.text}`);
    }
    return ((performance.now() - started) * 1000) / events.length;
  };
  const activityOf = (tx: readonly TransactionBody[]): EventBody[] =>
    tx.map((e, i) =>
      i % 2 === 0
        ? {
            kind: 'login',
            id: `${e.id}-login`,
            timestamp: e.timestamp,
            customerId: e.customerId,
            success: i % 10 !== 0,
            ...(e.ipAddress === undefined ? {} : { ipAddress: e.ipAddress }),
            ...(e.deviceId === undefined ? {} : { deviceId: e.deviceId }),
          }
        : {
            kind: 'behaviour',
            id: `${e.id}-behaviour`,
            timestamp: e.timestamp,
            customerId: e.customerId,
            dwellTimeMs: 4000 + (i % 17) * 500,
            clicks: i % 11,
            keystrokes: i % 23,
          },
    );
  const parts: { round: number; transactionsBeforeUs: number; activityUs: number; transactionsAfterUs: number }[] = [];
  // Warm-up (JIT, caches), not counted: transactions only, so round 0 still starts with no login kept.
  const WARM_UP = 300;
  await send(stream.events.slice(0, WARM_UP));
  let at = WARM_UP;
  for (let round = 0; round < rounds; round++) {
    // Round 0's first part runs before any login is kept; later rounds' with the table in use.
    const before = stream.events.slice(at, at + perPart);
    at += perPart;
    const transactionsBeforeUs = await send(before);
    const activityUs = await send(activityOf(before));
    const after = stream.events.slice(at, at + perPart);
    at += perPart;
    const transactionsAfterUs = await send(after);
    parts.push({ round, transactionsBeforeUs, activityUs, transactionsAfterUs });
  }
  await app.close();
  scorer.dispose();
  const round1 = (x: number) => Math.round(x * 10) / 10;
  console.log(
    JSON.stringify(
      {
        eventsPerPart: perPart,
        batch: BATCH,
        parts: parts.map((p) => ({
          round: p.round,
          transactionsBeforeUs: round1(p.transactionsBeforeUs),
          activityUs: round1(p.activityUs),
          transactionsAfterUs: round1(p.transactionsAfterUs),
        })),
      },
      null,
      2,
    ),
  );
} finally {
  await rm(root, { recursive: true, force: true });
}
