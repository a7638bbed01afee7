// Load on the real-time risk service: replays the fraud_sim test weeks over HTTP, from this process
// (the load generator) to `vigil serve` running as a separate process with a real SQLite audit store,
// at a fixed rate (open loop: each event has its send time, and its latency counts from then, so a
// slow answer cannot hide the ones queued behind it). Prints one JSON object: the rate reached, the
// client's latency distribution, the server's own latency, the cost split per event (features, model,
// storage until committed, from the service's /metrics), CPU and memory of both processes, and the
// check that every decision the client received is in the audit store.
//
// Before the measured part, the events of --warmup-days before --from go in batches of 1,000, so the
// windows hold history. The replay compresses time (a week of events in seconds), so requests on
// many connections overtake each other by minutes of event time: the server runs with
// --max-lateness 3600.
//
// Run: npm run bench:service [-- --rate 5000 --connections 64 --from 2018-08-08 --days 14
//        --warmup-days 7 --model DIR --data FILE --duration SECONDS --cpu-profile-dir DIR --keep]
// (--cpu-profile-dir: the server runs with node --cpu-prof, its profile written there on exit;
// --keep: the model, audit store and training slice stay in the temp directory, which is printed).
// Without --model it trains one first (mlp on fraud-handbook features, July 2018).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createGunzip } from 'node:zlib';
import Database from 'better-sqlite3';

const { values } = parseArgs({
  options: {
    data: {
      type: 'string',
      default: new URL('../../shared/data/fraud_sim/transactions.csv.gz', import.meta.url).pathname,
    },
    model: { type: 'string' },
    rate: { type: 'string', default: '5000' },
    connections: { type: 'string', default: '64' },
    from: { type: 'string', default: '2018-08-08' },
    days: { type: 'string', default: '14' },
    'warmup-days': { type: 'string', default: '7' },
    duration: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'cpu-profile-dir': { type: 'string' },
  },
});
const rate = Number(values.rate);
const connections = Number(values.connections);
const fromMs = Date.parse(`${values.from}T00:00:00Z`);
const toMs = fromMs + Number(values.days) * 86_400_000;
const warmupFromMs = fromMs - Number(values['warmup-days']) * 86_400_000;
const root = new URL('..', import.meta.url).pathname;
const vigil = join(root, 'bin', 'vigil.js');
const work = await mkdtemp(join(tmpdir(), 'vigil-load-'));

interface Event {
  kind: 'transaction';
  id: string;
  timestamp: string;
  customerId: string;
  terminalId: string;
  amount: number;
}

/** The file's rows from `trainFromMs` on: the training slice as CSV lines, warm-up and test events as bodies. */
async function readData(trainFromMs: number, trainToMs: number) {
  const lines = createInterface({ input: createReadStream(values.data).pipe(createGunzip()), crlfDelay: Infinity });
  let header: string[] | undefined;
  const train: string[] = [];
  const warmup: Event[] = [];
  const test: Event[] = [];
  for await (const line of lines) {
    if (header === undefined) {
      header = line.split(',');
      train.push(line);
      continue;
    }
    const cells = line.split(',');
    const at = (name: string) => cells[(header as string[]).indexOf(name)] as string;
    const ms = Date.parse(`${at('TX_DATETIME').replace(' ', 'T')}Z`);
    if (ms >= trainFromMs && ms < trainToMs) train.push(line);
    if (ms < warmupFromMs || ms >= toMs) continue;
    const event: Event = {
      kind: 'transaction',
      id: `tx${at('TRANSACTION_ID')}`,
      timestamp: new Date(ms).toISOString(),
      customerId: `c${at('CUSTOMER_ID')}`,
      terminalId: `t${at('TERMINAL_ID')}`,
      amount: Number(at('TX_AMOUNT')),
    };
    (ms < fromMs ? warmup : test).push(event);
  }
  return { train, warmup, test };
}

function trainModel(trainCsv: string): string {
  const out = join(work, 'model');
  const run = spawnSync(
    process.execPath,
    [
      vigil,
      'train',
      '--data',
      trainCsv,
      '--features',
      'fraud-handbook',
      '--target',
      'TX_FRAUD',
      '--model',
      'mlp',
    ].concat(['--test-from', '2018-07-25', '--epochs', '5', '--out', out, '--json']),
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (run.status !== 0) throw new Error(`training failed: ${run.stderr}`);
  return out;
}

const scorerKey = 'load-scorer-0123456789abcdef';
const analystKey = 'load-analyst-0123456789abcdef';

async function startServer(model: string, db: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [
      ...(values['cpu-profile-dir'] === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${values['cpu-profile-dir']}`]),
      vigil,
      'serve',
      ...['--model', model, '--db', db, '--port', '0', '--max-lateness', '3600'],
    ],
    {
      env: {
        ...process.env,
        VIGIL_PSEUDONYM_KEY: 'load-bench-pseudonym-key-0123456789abcdef',
        VIGIL_API_KEYS: `scorer:${scorerKey},analyst:${analystKey}`,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let output = '';
  const stdout = child.stdout as NodeJS.ReadableStream;
  return new Promise((resolve, reject) => {
    // Read everything it prints, to the end: a pipe left unread would fail its later writes.
    stdout.on('data', (chunk) => {
      output += String(chunk);
      const match = /listening on (http:\/\/[^;\s]+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string });
    });
    child.once('exit', () => reject(new Error(`vigil serve exited before listening: ${output}`)));
  });
}

const agent = new http.Agent({ keepAlive: true, maxSockets: connections });

function post(url: string, path: string, body: unknown, key = scorerKey): Promise<{ status: number; text: string }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      `${url}${path}`,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          authorization: `Bearer ${key}`,
        },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (c) => {
          text += c;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

async function get(url: string, path: string): Promise<string> {
  const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${analystKey}` } });
  return response.text();
}

/** user + system seconds of a process, from /proc. */
function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function rssMiBOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1]) / 1024);
}

function stageTotals(metrics: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const m of metrics.matchAll(/^vigil_decision_stage_seconds_total\{stage="(\w+)"\} ([\d.e+-]+)$/gm))
    totals[m[1] as string] = Number(m[2]);
  return totals;
}

function decisionsTotal(metrics: string): number {
  let total = 0;
  for (const m of metrics.matchAll(/^vigil_decisions_total\{decision="\w+"\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

const quantile = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
const round3 = (x: number) => Number(x.toFixed(3));

try {
  const { train, warmup, test } = await readData(Date.UTC(2018, 6, 1), Date.UTC(2018, 7, 1));
  let model = values.model;
  if (model === undefined) {
    const trainCsv = join(work, 'train.csv');
    writeFileSync(trainCsv, `${train.join('\n')}\n`);
    model = trainModel(trainCsv);
  }
  const db = join(work, 'audit.db');
  const { child, url } = await startServer(model, db);
  const pid = child.pid as number;
  try {
    for (let i = 0; i < warmup.length; i += 1000) {
      const r = await post(url, '/v1/events:batch', { events: warmup.slice(i, i + 1000) });
      if (r.status !== 200) throw new Error(`warm-up batch at ${i}: ${r.status} ${r.text.slice(0, 300)}`);
    }
    const events = values.duration === undefined ? test : test.slice(0, Math.round(Number(values.duration) * rate));
    const before = stageTotals(await get(url, '/metrics'));
    const decisionsBefore = decisionsTotal(await get(url, '/metrics'));
    const serverCpuBefore = cpuSecondsOf(pid);
    const clientCpuBefore = process.cpuUsage();
    const latencyMs = new Float64Array(events.length);
    const serverLatencyMs = new Float64Array(events.length);
    const statuses = new Map<number, number>();
    const acked: string[] = [];
    let done = 0;
    let next = 0;
    const start = performance.now();
    const finished = new Promise<void>((resolve) => {
      const send = (i: number) => {
        const event = events[i] as Event;
        const scheduled = start + (i * 1000) / rate;
        post(url, '/v1/events', event).then(
          ({ status, text }) => {
            latencyMs[i] = performance.now() - scheduled;
            statuses.set(status, (statuses.get(status) ?? 0) + 1);
            if (status === 200) {
              acked.push(event.id);
              serverLatencyMs[i] = (JSON.parse(text) as { latencyMs: number }).latencyMs;
            } else serverLatencyMs[i] = Number.NaN;
            if (++done === events.length) resolve();
          },
          () => {
            latencyMs[i] = performance.now() - scheduled;
            statuses.set(0, (statuses.get(0) ?? 0) + 1);
            if (++done === events.length) resolve();
          },
        );
      };
      // Every millisecond, send what is due: the schedule, not the answers, sets the pace.
      const tick = () => {
        const due = Math.min(events.length, Math.floor(((performance.now() - start) * rate) / 1000) + 1);
        while (next < due) send(next++);
        if (next < events.length) setTimeout(tick, 1);
      };
      tick();
    });
    await finished;
    const seconds = (performance.now() - start) / 1000;
    const clientCpu = process.cpuUsage(clientCpuBefore);
    const serverCpuSeconds = cpuSecondsOf(pid) - serverCpuBefore;
    const metrics = await get(url, '/metrics');
    const after = stageTotals(metrics);
    const decided = decisionsTotal(metrics) - decisionsBefore;
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
    const server = Float64Array.from(serverLatencyMs.filter((x) => Number.isFinite(x))).sort();
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
  agent.destroy();
  if (!values.keep) await rm(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}
