// Load on the real-time risk service: replays the fraud_sim test weeks over HTTP, from this process
// (the load generator) to `vigil serve` running as a separate process with a real SQLite audit store,
// at a fixed rate (open loop: each event has its send time, and its latency counts from then, so a
// slow answer cannot hide the ones queued behind it). Prints one JSON object: the rate reached, the
// client's latency distribution, the server's own latency, the cost split per event (features, model,
// rules, storage until committed, from the service's /metrics), CPU and memory of both processes, and
// the check that every decision the client received is in the audit store.
//
// Before the measured part, the events of --warmup-days before --from go in batches of 1,000, so the
// windows hold history. The replay compresses time (a week of events in seconds), so requests on
// many connections overtake each other by minutes of event time: the server runs with
// --max-lateness 3600.
//
// Run: npm run bench:service [-- --rate 5000 --connections 64 --from 2018-08-08 --days 14
//        --warmup-days 7 --durability machine|process --model DIR --data FILE --duration SECONDS
//        --cpu-profile-dir DIR --keep --serve-args="FLAGS"]
// Without --model it trains one first (mlp on fraud-handbook features, July 2018). --duration sends
// the first rate × duration events only; --cpu-profile-dir runs the server with node --cpu-prof;
// --keep leaves the temp directory (model, audit store) in place and prints it; --serve-args passes
// more flags to vigil serve (e.g. --serve-args="--snapshot-events 0 --snapshot-seconds 0").
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import {
  cpuSecondsOf,
  DEFAULT_DATA,
  decisionsTotal,
  httpClient,
  readBenchEvents,
  rssMiBOf,
  sendOnSchedule,
  stageTotals,
  startServer,
  type TransactionBody,
  trainBenchModel,
} from './service-harness.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: DEFAULT_DATA },
    model: { type: 'string' },
    rate: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '64' },
    from: { type: 'string', default: '2018-08-08' },
    days: { type: 'string', default: '14' },
    'warmup-days': { type: 'string', default: '7' },
    duration: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'cpu-profile-dir': { type: 'string' },
    durability: { type: 'string', default: 'machine' },
    'serve-args': { type: 'string', default: '' },
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

try {
  const { trainCsvLines, warmup, test } = await readBenchEvents(values.data, range);
  const model = values.model ?? trainBenchModel(trainCsvLines, work);
  const db = join(work, 'audit.db');
  const profile = values['cpu-profile-dir'];
  const { child, url } = await startServer(model, db, {
    nodeArgs: profile === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profile}`],
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
    for (let i = 0; i < warmup.length; i += 1000) {
      const r = await client.post(url, '/v1/events:batch', { events: warmup.slice(i, i + 1000) });
      if (r.status !== 200) throw new Error(`warm-up batch at ${i}: ${r.status} ${r.text.slice(0, 300)}`);
    }
    const events = values.duration === undefined ? test : test.slice(0, Math.round(Number(values.duration) * rate));
    const metricsBefore = (await client.get(url, '/metrics')).text;
    const serverCpuBefore = cpuSecondsOf(pid);
    const clientCpuBefore = process.cpuUsage();
    const latencyMs = new Float64Array(events.length);
    const serverLatencyMs: number[] = [];
    const statuses = new Map<number, number>();
    const acked: string[] = [];
    const { seconds } = await sendOnSchedule(
      events,
      rate,
      (event) => client.post(url, '/v1/events', event),
      (i, status, text, ms) => {
        latencyMs[i] = ms;
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status !== 200) return;
        acked.push((events[i] as TransactionBody).id);
        serverLatencyMs.push((JSON.parse(text) as { latencyMs: number }).latencyMs);
      },
    );
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpuSeconds = cpuSecondsOf(pid) - serverCpuBefore;
    const metricsAfter = (await client.get(url, '/metrics')).text;
    const [before, after] = [stageTotals(metricsBefore), stageTotals(metricsAfter)];
    const decided = decisionsTotal(metricsAfter) - decisionsTotal(metricsBefore);
    const serverRssMiB = rssMiBOf(pid);
    child.kill('SIGTERM');
    await once(child, 'exit');
    // Every decision the client received is in the audit store.
    const store = new Database(db, { readonly: true });
    const find = store.prepare('SELECT 1 FROM decisions WHERE event_id = ?');
    const missing = acked.filter((id) => find.get(id) === undefined).length;
    const rows = (store.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n;
    store.close();
    const sorted = Float64Array.from(latencyMs).sort();
    const server = Float64Array.from(serverLatencyMs).sort();
    const perEventUs = (stage: string) => round3((((after[stage] ?? 0) - (before[stage] ?? 0)) / decided) * 1e6);
    console.log(
      JSON.stringify(
        {
          data: values.data,
          model,
          events: events.length,
          warmupEvents: warmup.length,
          targetRatePerSec: rate,
          connections,
          durability: values.durability,
          seconds: round3(seconds),
          achievedRatePerSec: Math.round(events.length / seconds),
          statuses: Object.fromEntries(statuses),
          clientLatencyMs: {
            p50: round3(quantile(sorted, 0.5)),
            p90: round3(quantile(sorted, 0.9)),
            p99: round3(quantile(sorted, 0.99)),
            p999: round3(quantile(sorted, 0.999)),
            max: round3(quantile(sorted, 1)),
          },
          serverLatencyMs: { p50: round3(quantile(server, 0.5)), p99: round3(quantile(server, 0.99)) },
          // The client's p99 and max per 5 s of send schedule: a transient and a steady tail look alike in one p99.
          clientLatencyByWindow: latencyWindows(latencyMs, rate, 5),
          costPerEventUs: {
            features: perEventUs('features'),
            model: perEventUs('model'),
            rules: perEventUs('rules'),
            storageUntilCommitted: perEventUs('storage'),
          },
          serverCpuCores: round3(serverCpuSeconds / seconds),
          clientCpuCores: round3((clientCpu.user + clientCpu.system) / 1e6 / seconds),
          serverRssMiB,
          receivedDecisions: acked.length,
          receivedDecisionsMissingFromStore: missing,
          storeRows: rows,
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
