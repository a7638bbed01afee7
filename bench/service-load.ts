// Load on the real-time risk service: replays the fraud_sim test weeks over HTTP, from a load
// generator (bench/open-loop-sender.ts, a process that only sends requests built beforehand) to
// `vigil serve` running as a separate process with a real SQLite audit store,
// at a fixed rate (open loop: each event has its send time, and its latency counts from then, so a
// slow answer cannot hide the ones queued behind it). Prints one JSON object: the rate reached, the
// client's latency distribution, the server's own latency, the cost split per event (features, model,
// rules, storage until committed, from the service's /metrics), the audit store's group commits on
// the service's thread (decisions per group, the thread's time per decision), CPU and memory of both
// processes, and the check that every decision the client received is in the audit store.
//
// Before the measured part, the events of --warmup-days before --from go in batches of 1,000, so the
// windows hold history, and the last --warmup-seconds × rate of them one by one at the rate, so the
// measured part starts warm (connections open, code compiled, the heap grown). The replay compresses time (a week of events in seconds), so requests on
// many connections overtake each other by minutes of event time: the server runs with
// --max-lateness 3600.
//
// The reference: the same load, warm-up singles included, against bench/reference-server.mjs
// (Fastify answering a decision-shaped object without deciding anything), run first in the same
// script; the output gives both and their ratios. --no-reference skips it.
//
// Run: npm run bench:service [-- --rate 5000 --connections 64 --from 2018-08-08 --days 14
//        --warmup-days 7 --warmup-seconds 10 --durability process|machine --model DIR --data FILE
//        --duration SECONDS --cpu-profile-dir DIR --keep --serve-args="FLAGS" --node-args="FLAGS"
//        --sender-node-args="FLAGS" --server-output --no-reference --probe-pauses --latencies-file FILE]
// Without --model it trains one first (mlp on fraud-handbook features, July 2018). --duration sends
// the first rate × duration events only; --cpu-profile-dir runs the server with node --cpu-prof;
// --keep leaves the temp directory (model, audit store) in place and prints it; --serve-args passes
// more flags to vigil serve (e.g. --serve-args="--snapshot-events 0 --snapshot-seconds 0"), --node-args
// to the node running it (e.g. --node-args="--trace-gc"), --sender-node-args to the load generator's,
// and --server-output shows what it prints.
// --probe-pauses loads bench/pause-probe.mjs into the server and the load generator and adds
// `slowRequests`: each measured request slower than 10 ms put under what overlapped it (a pause of
// the server's thread in GC, waiting for a core or running; a slow WAL sync; a pause of the load
// generator; or none of them: queueing), with the pauses and slow syncs of the measured part.
// --latencies-file writes each measured request's scheduled send time (ms since the epoch) and
// latency as CSV, to line up the slow ones with the probe's records (kept with --keep).
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { sendOpenLoop } from './open-loop-sender.js';
import {
  cpuSecondsOf,
  DEFAULT_DATA,
  decisionsTotal,
  httpClient,
  postInBatches,
  readBenchEvents,
  rssMiBOf,
  SCORER_KEY,
  sampleValue,
  stageTotals,
  startReferenceServer,
  startServer,
  type TransactionBody,
  trainBenchModel,
} from './service-harness.js';
import { pauseSummary, readProbe, slowRequestCauses } from './slow-requests.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA },
    model: { type: 'string' },
    rate: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '64' },
    from: { type: 'string', default: '2018-08-08' },
    days: { type: 'string', default: '14' },
    'warmup-days': { type: 'string', default: '7' },
    'warmup-seconds': { type: 'string', default: '10' },
    'no-reference': { type: 'boolean', default: false },
    'node-args': { type: 'string', default: '' },
    'sender-node-args': { type: 'string', default: '' },
    'server-output': { type: 'boolean', default: false },
    'probe-pauses': { type: 'boolean', default: false },
    duration: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'cpu-profile-dir': { type: 'string' },
    durability: { type: 'string', default: 'process' },
    'serve-args': { type: 'string', default: '' },
    'latencies-file': { type: 'string' },
  },
});
const rate = Number(values.rate);
const connections = Number(values.connections);
const fromMs = Date.parse(`${values.from}T00:00:00Z`);
const range = {
  warmupFromMs: fromMs - Number(values['warmup-days']) * 86_400_000,
  fromMs,
  toMs: fromMs + Number(values.days) * 86_400_000,
};
const work = await mkdtemp(join(tmpdir(), 'vigil-load-'));
const client = httpClient(connections);
const quantile = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
const round3 = (x: number) => Number(x.toFixed(3));

/** p99 and max of the latencies of each `seconds` of the schedule (event i is sent at i / rate s). */
function latencyWindows(latencyMs: Float64Array, ratePerSec: number, seconds: number) {
  const size = Math.max(1, Math.round(ratePerSec * seconds));
  const windows: { fromS: number; p99: number; max: number }[] = [];
  for (let from = 0; from < latencyMs.length; from += size) {
    const sorted = latencyMs.slice(from, from + size).sort();
    windows.push({ fromS: from / ratePerSec, p99: round3(quantile(sorted, 0.99)), max: round3(quantile(sorted, 1)) });
  }
  return windows;
}

/** What one open-loop run at `rate` measured, from the client's side and the server's process. */
interface Measured {
  seconds: number;
  /** When event 0 was due, ms since the epoch. */
  startedAtMs: number;
  latencyMs: Float64Array;
  statuses: Map<number, number>;
  acked: string[];
  serverLatencyMs: number[];
  serverCpuSeconds: number;
  clientCpuSeconds: number;
}

/**
 * Sends `singles` unmeasured, then `events` measured, each one request at `rate` per second, from
 * a load-generator process of their own (bench/open-loop-sender.ts).
 */
async function runAtRate(
  url: string,
  pid: number,
  singles: TransactionBody[],
  events: TransactionBody[],
  probeDir?: string,
): Promise<Measured> {
  let serverCpuBefore = 0;
  const sent = await sendOpenLoop({
    origin: url,
    connections,
    ratePerSec: rate,
    warmup: singles.map((e) => JSON.stringify(e)),
    measured: events.map((e) => JSON.stringify(e)),
    path: '/v1/events',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${SCORER_KEY}` },
    workDir: work,
    ...(probeDir === undefined ? {} : { probeDir }),
    nodeArgs: values['sender-node-args'].split(' ').filter((a) => a !== ''),
    onMeasuring: () => {
      serverCpuBefore = cpuSecondsOf(pid);
    },
  });
  const statuses = new Map<number, number>();
  const acked: string[] = [];
  const serverLatencyMs: number[] = [];
  sent.status.forEach((status, i) => {
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status !== 200) return;
    acked.push((events[i] as TransactionBody).id);
    serverLatencyMs.push(sent.serverLatencyMs[i] as number);
  });
  return {
    seconds: sent.seconds,
    startedAtMs: sent.startedAtMs,
    latencyMs: sent.latencyMs,
    statuses,
    acked,
    serverLatencyMs,
    serverCpuSeconds: cpuSecondsOf(pid) - serverCpuBefore,
    clientCpuSeconds: sent.clientCpuSeconds,
  };
}

/** The figures both runs print: rate reached, latency distribution and by window, CPU. */
function summary(m: Measured) {
  const sorted = Float64Array.from(m.latencyMs).sort();
  const server = Float64Array.from(m.serverLatencyMs).sort();
  return {
    seconds: round3(m.seconds),
    achievedRatePerSec: Math.round(m.latencyMs.length / m.seconds),
    statuses: Object.fromEntries(m.statuses),
    clientLatencyMs: {
      p50: round3(quantile(sorted, 0.5)),
      p90: round3(quantile(sorted, 0.9)),
      p99: round3(quantile(sorted, 0.99)),
      p999: round3(quantile(sorted, 0.999)),
      max: round3(quantile(sorted, 1)),
    },
    serverLatencyMs: { p50: round3(quantile(server, 0.5)), p99: round3(quantile(server, 0.99)) },
    // The client's p99 and max per 5 s of send schedule: a transient and a steady tail look alike in one p99.
    clientLatencyByWindow: latencyWindows(m.latencyMs, rate, 5),
    serverCpuCores: round3(m.serverCpuSeconds / m.seconds),
    serverCpuUsPerEvent: round3((m.serverCpuSeconds / m.latencyMs.length) * 1e6),
    clientCpuCores: round3(m.clientCpuSeconds / m.seconds),
  };
}

/** When measured request `i` was due to be sent, ms since the epoch (as sendOnSchedule spaces them). */
const scheduledAtMs = (m: Measured, i: number) => m.startedAtMs + (i * 1000) / rate;

/** Each measured request's scheduled send time (ms since the epoch) and latency, as CSV. */
function writeLatencies(path: string, m: Measured) {
  const lines = ['sentAtMs,latencyMs'];
  m.latencyMs.forEach((latency, i) => {
    lines.push(`${round3(scheduledAtMs(m, i))},${latency}`);
  });
  writeFileSync(path, `${lines.join('\n')}\n`);
}

/** The slow requests of the measured part by cause, and the probe's pauses and slow syncs in it. */
function probeSummary(dir: string, m: Measured) {
  const records = readProbe(dir);
  const [fromMs, toMs] = [m.startedAtMs, m.startedAtMs + m.seconds * 1000];
  const syncs = records.slowSyncs.filter((s) => s.startMs >= fromMs && s.startMs <= toMs);
  return {
    ...slowRequestCauses((i) => scheduledAtMs(m, i), m.latencyMs, records, 10),
    serverPauses: pauseSummary(records.server, fromMs, toMs),
    clientPauses: pauseSummary(records.client, fromMs, toMs),
    walSyncsOver2Ms: { count: syncs.length, maxMs: round3(syncs.reduce((x, s) => Math.max(x, s.ms), 0)) },
    ...(records.syncs === undefined
      ? {}
      : {
          walSyncsWholeRun: { count: records.syncs.count, meanMs: round3(records.syncs.totalMs / records.syncs.count) },
        }),
  };
}

try {
  const { trainCsvLines, warmup, test } = await readBenchEvents(values.data, range);
  const events = values.duration === undefined ? test : test.slice(0, Math.round(Number(values.duration) * rate));
  const singlesFrom = Math.max(0, warmup.length - Math.round(Number(values['warmup-seconds']) * rate));
  const singles = warmup.slice(singlesFrom);
  let reference: ReturnType<typeof summary> | undefined;
  if (!values['no-reference']) {
    const ref = await startReferenceServer();
    try {
      reference = summary(await runAtRate(ref.url, ref.child.pid as number, singles, events));
    } finally {
      ref.child.kill('SIGTERM');
      await once(ref.child, 'exit');
    }
  }
  const model = values.model ?? trainBenchModel(trainCsvLines, work);
  const db = join(work, 'audit.db');
  const profile = values['cpu-profile-dir'];
  const probeDir = values['probe-pauses'] ? await mkdtemp(join(work, 'probe-')) : undefined;
  const { child, url } = await startServer(model, db, {
    ...(probeDir === undefined ? {} : { env: { VIGIL_PAUSE_PROBE: probeDir } }),
    nodeArgs: [
      ...(profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`]),
      ...(probeDir === undefined ? [] : ['--import', fileURLToPath(new URL('./pause-probe.mjs', import.meta.url))]),
      ...values['node-args'].split(' ').filter((a) => a !== ''),
    ],
    echoOutput: values['server-output'],
    serveArgs: [
      '--max-lateness',
      '3600',
      '--durability',
      values.durability,
      ...values['serve-args'].split(' ').filter((a) => a !== ''),
    ],
  });
  const pid = child.pid as number;
  try {
    await postInBatches(client, url, warmup, singlesFrom, 'warm-up batch');
    const metricsBefore = (await client.get(url, '/metrics')).text;
    const measured = await runAtRate(url, pid, singles, events, probeDir);
    const metricsAfter = (await client.get(url, '/metrics')).text;
    const [before, after] = [stageTotals(metricsBefore), stageTotals(metricsAfter)];
    const decided = decisionsTotal(metricsAfter) - decisionsTotal(metricsBefore);
    const serverRssMiB = rssMiBOf(pid);
    child.kill('SIGTERM');
    await once(child, 'exit');
    // Every decision the client received in the measured part is in the audit store.
    const store = new Database(db, { readonly: true });
    const find = store.prepare('SELECT 1 FROM decisions WHERE event_id = ?');
    const missing = measured.acked.filter((id) => find.get(id) === undefined).length;
    const rows = (store.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n;
    store.close();
    const slowRequests = probeDir === undefined ? undefined : probeSummary(probeDir, measured);
    if (values['latencies-file'] !== undefined) writeLatencies(values['latencies-file'], measured);
    const perEventUs = (stage: string) => round3((((after[stage] ?? 0) - (before[stage] ?? 0)) / decided) * 1e6);
    const vigil = summary(measured);
    // 0 when the service has no such series (an older vigil serve).
    const commitDelta = (series: string) => sampleValue(metricsAfter, series) - sampleValue(metricsBefore, series) || 0;
    const commits = commitDelta('vigil_audit_commit_decisions_count');
    const committedDecisions = commitDelta('vigil_audit_commit_decisions_sum');
    const ratio = (a: number, b: number) => round3(a / b);
    console.log(
      JSON.stringify(
        {
          data: values.data,
          model,
          events: events.length,
          warmupEvents: { inBatches: singlesFrom, oneByOneAtRate: singles.length },
          targetRatePerSec: rate,
          connections,
          durability: values.durability,
          ...vigil,
          costPerEventUs: {
            features: perEventUs('features'),
            model: perEventUs('model'),
            // Part of model: the events' share of the model calls, without the wait for the turn's call.
            modelCall: perEventUs('model_call'),
            rules: perEventUs('rules'),
            storageUntilCommitted: perEventUs('storage'),
          },
          // The group commits on the service's thread (none when the writer thread commits).
          auditCommits: {
            groups: commits,
            decisionsPerGroup: commits > 0 ? round3(committedDecisions / commits) : null,
            serviceThreadUsPerDecision:
              committedDecisions > 0
                ? round3((commitDelta('vigil_audit_commit_duration_seconds_sum') / committedDecisions) * 1e6)
                : null,
          },
          serverRssMiB,
          receivedDecisions: measured.acked.length,
          receivedDecisionsMissingFromStore: missing,
          storeRows: rows,
          ...(slowRequests === undefined ? {} : { slowRequests }),
          ...(reference === undefined
            ? {}
            : {
                reference,
                // vigil serve over the reference: what deciding and keeping adds to HTTP alone.
                overReference: {
                  clientP50: ratio(vigil.clientLatencyMs.p50, reference.clientLatencyMs.p50),
                  clientP99: ratio(vigil.clientLatencyMs.p99, reference.clientLatencyMs.p99),
                  serverCpuPerEvent: ratio(vigil.serverCpuUsPerEvent, reference.serverCpuUsPerEvent),
                },
              }),
        },
        null,
        2,
      ),
    );
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
} finally {
  client.close();
  if (!values.keep) await rm(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}
