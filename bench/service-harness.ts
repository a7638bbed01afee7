// What the service benchmarks share: the fraud_sim events as request bodies, a model trained on
// July 2018, `vigil serve` as a child process, HTTP with keep-alive, and /proc readings.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

export const DEFAULT_DATA = new URL('../../shared/data/fraud_sim/transactions.csv.gz', import.meta.url).pathname;
const vigil = join(new URL('..', import.meta.url).pathname, 'bin', 'vigil.js');

export interface TransactionBody {
  kind: 'transaction';
  id: string;
  timestamp: string;
  customerId: string;
  terminalId: string;
  amount: number;
}

export interface BenchEvents {
  /** The header and rows of July 2018, to train on. */
  trainCsvLines: string[];
  /** [warmupFromMs, fromMs): history sent before the measured part. */
  warmup: TransactionBody[];
  /** [fromMs, toMs). */
  test: TransactionBody[];
}

/** Reads a fraud_sim-format file (TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT, TX_FRAUD). */
export async function readBenchEvents(
  path: string,
  range: { warmupFromMs: number; fromMs: number; toMs: number },
): Promise<BenchEvents> {
  const trainFromMs = Date.UTC(2018, 6, 1);
  const trainToMs = Date.UTC(2018, 7, 1);
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  let header: string[] | undefined;
  const trainCsvLines: string[] = [];
  const warmup: TransactionBody[] = [];
  const test: TransactionBody[] = [];
  let columns: Record<string, number> = {};
  for await (const line of lines) {
    if (header === undefined) {
      header = line.split(',');
      columns = Object.fromEntries(header.map((name, i) => [name, i]));
      trainCsvLines.push(line);
      continue;
    }
    const cells = line.split(',');
    const at = (name: string) => cells[columns[name] as number] as string;
    const ms = Date.parse(`${at('TX_DATETIME').replace(' ', 'T')}Z`);
    if (ms >= trainFromMs && ms < trainToMs) trainCsvLines.push(line);
    if (ms < range.warmupFromMs || ms >= range.toMs) continue;
    const event: TransactionBody = {
      kind: 'transaction',
      id: `tx${at('TRANSACTION_ID')}`,
      timestamp: new Date(ms).toISOString(),
      customerId: `c${at('CUSTOMER_ID')}`,
      terminalId: `t${at('TERMINAL_ID')}`,
      amount: Number(at('TX_AMOUNT')),
    };
    (ms < range.fromMs ? warmup : test).push(event);
  }
  return { trainCsvLines, warmup, test };
}

/** Trains the benchmarks' model (mlp on fraud-handbook features, tested from 2018-07-25) into `dir`/model. */
export function trainBenchModel(trainCsvLines: string[], dir: string): string {
  const csv = join(dir, 'train.csv');
  writeFileSync(csv, `${trainCsvLines.join('\n')}\n`);
  const out = join(dir, 'model');
  const run = spawnSync(
    process.execPath,
    [vigil, 'train', '--data', csv, '--features', 'fraud-handbook', '--target', 'TX_FRAUD', '--model', 'mlp'].concat([
      '--test-from',
      '2018-07-25',
      '--epochs',
      '5',
      '--out',
      out,
      '--json',
    ]),
    { encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  if (run.status !== 0) throw new Error(`training failed: ${run.stderr}`);
  return out;
}

export const SCORER_KEY = 'bench-scorer-0123456789abcdef';
export const ANALYST_KEY = 'bench-analyst-0123456789abcdef';

/** `vigil serve` on a free port as a child process, once it listens. */
export function startServer(
  model: string,
  db: string,
  { nodeArgs = [], serveArgs = [] }: { nodeArgs?: string[]; serveArgs?: string[] } = {},
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, vigil, 'serve', '--model', model, '--db', db, '--port', '0', ...serveArgs],
    {
      env: {
        ...process.env,
        VIGIL_PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789abcdef0123',
        VIGIL_API_KEYS: `scorer:${SCORER_KEY},analyst:${ANALYST_KEY}`,
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

/** An HTTP client with `connections` keep-alive sockets. */
export function httpClient(connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const post = (
    url: string,
    path: string,
    body: unknown,
    key = SCORER_KEY,
  ): Promise<{ status: number; text: string }> => {
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
  };
  const get = async (url: string, path: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ANALYST_KEY}` } });
    return { status: response.status, text: await response.text() };
  };
  return { post, get, close: () => agent.destroy() };
}

/** user + system seconds of a process, from /proc. */
export function cpuSecondsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Resident memory of a process in MiB, from /proc. */
export function rssMiBOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Math.round(Number(line?.split(/\s+/)[1]) / 1024);
}

/** `vigil_decision_stage_seconds_total` by stage, from /metrics text. */
export function stageTotals(metrics: string): Record<string, number> {
  const totals: Record<string, number> = {};
  for (const m of metrics.matchAll(/^vigil_decision_stage_seconds_total\{stage="(\w+)"\} ([\d.e+-]+)$/gm))
    totals[m[1] as string] = Number(m[2]);
  return totals;
}

/** The sum of `vigil_decisions_total` over outcomes, from /metrics text. */
export function decisionsTotal(metrics: string): number {
  let total = 0;
  for (const m of metrics.matchAll(/^vigil_decisions_total\{decision="\w+"\} (\d+)$/gm)) total += Number(m[1]);
  return total;
}

/**
 * Sends `events` at `ratePerSec` on a schedule (open loop: every millisecond what is due goes out,
 * whatever the answers), calling `answered(i, status, text, latencyMs)` with the latency from the
 * event's scheduled time, until `stop()` returns true or every event was sent and answered.
 */
export function sendOnSchedule(
  events: readonly unknown[],
  ratePerSec: number,
  send: (event: unknown) => Promise<{ status: number; text: string }>,
  answered: (i: number, status: number, text: string, latencyMs: number) => void,
  stop: () => boolean = () => false,
): Promise<{ sent: number; seconds: number }> {
  const start = performance.now();
  let next = 0;
  let outstanding = 0;
  return new Promise((resolve) => {
    const finishIfDone = () => {
      if (outstanding === 0 && (next === events.length || stop()))
        resolve({ sent: next, seconds: (performance.now() - start) / 1000 });
    };
    const one = (i: number) => {
      const scheduled = start + (i * 1000) / ratePerSec;
      outstanding++;
      send(events[i]).then(
        ({ status, text }) => {
          outstanding--;
          answered(i, status, text, performance.now() - scheduled);
          finishIfDone();
        },
        () => {
          outstanding--;
          answered(i, 0, '', performance.now() - scheduled);
          finishIfDone();
        },
      );
    };
    const tick = () => {
      if (stop()) return finishIfDone();
      const due = Math.min(events.length, Math.floor(((performance.now() - start) * ratePerSec) / 1000) + 1);
      while (next < due) one(next++);
      if (next < events.length) setTimeout(tick, 1);
      else finishIfDone();
    };
    tick();
  });
}
