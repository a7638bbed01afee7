// Crash under load: `vigil serve` (a child process, real SQLite audit store) takes the fraud_sim
// test weeks at a fixed rate from this process; after --kill-after seconds it is killed with
// SIGKILL, then restarted on the same audit store. The script checks and prints:
// - every decision the client received before the kill is in the store (and how many the store
//   holds that the client never heard about: committed, answer lost with the process);
// - the online features continue from where they were: a second, uninterrupted server is given the
//   same events the store holds, in the order the first one scored them, then both get the next
//   --continue events one at a time, and every feature and score of the two must be equal.
// Exits non-zero when a check fails.
//
// Run: npm run bench:crash [-- --rate 3000 --kill-after 5 --continue 2000 --durability process|machine
//        --model DIR --data FILE]
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import {
  DEFAULT_DATA,
  httpClient,
  postInBatches,
  readBenchEvents,
  sendOnSchedule,
  startServer,
  type TransactionBody,
  trainBenchModel,
} from './service-harness.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA },
    model: { type: 'string' },
    rate: { type: 'string', default: '3000' },
    connections: { type: 'string', default: '64' },
    'kill-after': { type: 'string', default: '5' },
    continue: { type: 'string', default: '2000' },
    durability: { type: 'string', default: 'process' },
    keep: { type: 'boolean', default: false },
  },
});
const rate = Number(values.rate);
const fromMs = Date.UTC(2018, 7, 8);
const work = await mkdtemp(join(tmpdir(), 'vigil-crash-'));
const client = httpClient(Number(values.connections));
const serveArgs = ['--max-lateness', '3600', '--durability', values.durability];
let failed = false;
const check = (ok: boolean, what: string) => {
  if (!ok) failed = true;
  console.error(`${ok ? 'ok' : 'FAILED'}: ${what}`);
};

try {
  const { trainCsvLines, test } = await readBenchEvents(values.data, {
    warmupFromMs: fromMs,
    fromMs,
    toMs: fromMs + 14 * 86_400_000,
  });
  const model = values.model ?? trainBenchModel(trainCsvLines, work);
  const db = join(work, 'audit.db');
  const first = await startServer(model, db, { serveArgs });
  const acked = new Set<string>();
  let killed = false;
  const killAtMs = performance.now() + Number(values['kill-after']) * 1000;
  const load = sendOnSchedule(
    test,
    rate,
    (event) => client.post(first.url, '/v1/events', event),
    (i, status) => {
      if (status === 200 && !killed) acked.add((test[i] as TransactionBody).id);
    },
    () => killed,
  );
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, killAtMs - performance.now())));
  killed = true;
  first.child.kill('SIGKILL');
  await once(first.child, 'exit');
  const { sent } = await load;

  // Every received decision is in the store.
  const store = new Database(db, { readonly: true });
  const find = store.prepare('SELECT 1 FROM decisions WHERE event_id = ?');
  const missing = [...acked].filter((id) => find.get(id) === undefined).length;
  const logged = (store.prepare('SELECT event_id AS id FROM decisions ORDER BY ordinal').all() as { id: string }[]).map(
    (r) => r.id,
  );
  store.close();
  check(missing === 0, `${acked.size} decisions received before the kill, ${missing} of them missing from the store`);

  // The restarted server continues from where the killed one was; a reference server that never
  // stopped is given the same events in the order the store holds them.
  const restartStart = performance.now();
  const restarted = await startServer(model, db, { serveArgs });
  const restartSeconds = (performance.now() - restartStart) / 1000;
  const reference = await startServer(model, join(work, 'reference.db'), { serveArgs });
  const byId = new Map(test.map((e) => [e.id, e]));
  const history = logged.map((id) => byId.get(id) as TransactionBody);
  await postInBatches(client, reference.url, history, history.length, 'reference history');
  // The events after the last one the store holds: those the kill cut off in flight are earlier.
  const position = new Map(test.map((e, i) => [e.id, i]));
  const lastLogged = logged.reduce((last, id) => Math.max(last, position.get(id) as number), -1);
  const next = test.slice(lastLogged + 1, lastLogged + 1 + Number(values.continue));
  let differing = 0;
  for (const event of next) {
    const [a, b] = await Promise.all([
      client.post(restarted.url, '/v1/events', event),
      client.post(reference.url, '/v1/events', event),
    ]);
    if (a.status !== 200 || b.status !== 200) throw new Error(`continued event ${event.id}: ${a.status} / ${b.status}`);
    const da = await client.get(restarted.url, `/v1/decisions/${encodeURIComponent(event.id)}`);
    const dbb = await client.get(reference.url, `/v1/decisions/${encodeURIComponent(event.id)}`);
    const [ra, rb] = [JSON.parse(da.text), JSON.parse(dbb.text)] as { features: unknown; score: number }[];
    if (JSON.stringify(ra?.features) !== JSON.stringify(rb?.features) || ra?.score !== rb?.score) differing++;
  }
  check(
    differing === 0,
    `${next.length} events after the restart: ${differing} with features or score unlike an uninterrupted server's`,
  );
  for (const s of [restarted, reference]) {
    s.child.kill('SIGTERM');
    await once(s.child, 'exit');
  }
  console.log(
    JSON.stringify(
      {
        rate,
        durability: values.durability,
        killAfterSeconds: Number(values['kill-after']),
        sentBeforeKill: sent,
        receivedDecisions: acked.size,
        receivedDecisionsMissingFromStore: missing,
        storedDecisions: logged.length,
        storedButNeverAnswered: logged.length - acked.size,
        restartSeconds: Number(restartSeconds.toFixed(2)),
        continuedEvents: next.length,
        continuedEventsDiffering: differing,
      },
      null,
      2,
    ),
  );
} finally {
  client.close();
  if (!values.keep) await rm(work, { recursive: true, force: true });
}
process.exitCode = failed ? 1 : 0;
