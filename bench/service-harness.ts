// What the service benchmarks share: the fraud_sim events as request bodies, a model trained on
// July 2018, `vigil serve` as a child process, HTTP with keep-alive, and /proc readings.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createReadStream, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { KeepAlivePoster } from './keep-alive-poster.js';

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

/** A fraud_sim-format file as columns, in time order: 1.75M events in about 50 MB, not 1.75M objects. */
export interface EventColumns {
  n: number;
  transactionIds: Int32Array;
  timeMs: Float64Array;
  customerIds: Int32Array;
  terminalIds: Int32Array;
  amounts: Float64Array;
  /** The header and rows of July 2018, to train on (empty unless asked for). */
  trainCsvLines: string[];
}

/** Reads a whole fraud_sim-format file into columns, sorted by time (stable) if it is not already. */
export async function readEventColumns(path: string, { withTrainLines = false } = {}): Promise<EventColumns> {
  const trainFromMs = Date.UTC(2018, 6, 1);
  const trainToMs = Date.UTC(2018, 7, 1);
  const lines = createInterface({ input: createReadStream(path).pipe(createGunzip()), crlfDelay: Infinity });
  const ids: number[] = [];
  const times: number[] = [];
  const customers: number[] = [];
  const terminals: number[] = [];
  const amounts: number[] = [];
  const trainCsvLines: string[] = [];
  let columns: Record<string, number> | undefined;
  for await (const line of lines) {
    const cells = line.split(',');
    if (columns === undefined) {
      columns = Object.fromEntries(cells.map((name, i) => [name, i]));
      if (withTrainLines) trainCsvLines.push(line);
      continue;
    }
    const at = (name: string) => cells[(columns as Record<string, number>)[name] as number] as string;
    const ms = Date.parse(`${at('TX_DATETIME').replace(' ', 'T')}Z`);
    if (withTrainLines && ms >= trainFromMs && ms < trainToMs) trainCsvLines.push(line);
    ids.push(Number(at('TRANSACTION_ID')));
    times.push(ms);
    customers.push(Number(at('CUSTOMER_ID')));
    terminals.push(Number(at('TERMINAL_ID')));
    amounts.push(Number(at('TX_AMOUNT')));
  }
  const order = Array.from(times.keys());
  if (times.some((t, i) => i > 0 && t < (times[i - 1] as number)))
    order.sort((a, b) => (times[a] as number) - (times[b] as number) || a - b);
  const pick = <T extends Int32Array | Float64Array>(into: T, from: number[]) => {
    order.forEach((j, i) => {
      into[i] = from[j] as number;
    });
    return into;
  };
  const n = order.length;
  return {
    n,
    transactionIds: pick(new Int32Array(n), ids),
    timeMs: pick(new Float64Array(n), times),
    customerIds: pick(new Int32Array(n), customers),
    terminalIds: pick(new Int32Array(n), terminals),
    amounts: pick(new Float64Array(n), amounts),
    trainCsvLines,
  };
}

/**
 * `passes` times the file's events as request bodies, made when asked for (`at(i)`). Time only
 * goes forward, so pass p is the file again with its times shifted by p × (the file's span + 1 s)
 * and ids `tx{ID}-p{p}`: the same customers and terminals, later.
 */
export function eventsInPasses(c: EventColumns, passes: number): { length: number; at(i: number): TransactionBody } {
  const spanMs = (c.timeMs[c.n - 1] as number) - (c.timeMs[0] as number) + 1000;
  return {
    length: c.n * passes,
    at(i: number): TransactionBody {
      const pass = Math.floor(i / c.n);
      const j = i - pass * c.n;
      return {
        kind: 'transaction',
        id: pass === 0 ? `tx${c.transactionIds[j]}` : `tx${c.transactionIds[j]}-p${pass}`,
        timestamp: new Date((c.timeMs[j] as number) + pass * spanMs).toISOString(),
        customerId: `c${c.customerIds[j]}`,
        terminalId: `t${c.terminalIds[j]}`,
        amount: c.amounts[j] as number,
      };
    },
  };
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
export const ADMIN_KEY = 'bench-admin-0123456789abcdef';

/** `vigil serve` on a free port as a child process, once it listens. */
export function startServer(
  model: string,
  db: string,
  {
    nodeArgs = [],
    serveArgs = [],
    echoOutput = false,
    env = {},
  }: { nodeArgs?: string[]; serveArgs?: string[]; echoOutput?: boolean; env?: Record<string, string> } = {},
): Promise<{ child: ChildProcess; url: string }> {
  return spawnListening(
    [...nodeArgs, vigil, 'serve', '--model', model, '--db', db, '--port', '0', ...serveArgs],
    {
      VIGIL_PSEUDONYM_KEY: 'bench-pseudonym-key-0123456789abcdef0123',
      VIGIL_API_KEYS: `scorer:${SCORER_KEY},analyst:${ANALYST_KEY},admin:${ADMIN_KEY}`,
      ...env,
    },
    echoOutput,
  );
}

/**
 * `bench/reference-server.mjs` (Fastify, one route that checks the key and answers without
 * deciding anything) on a free port, once it listens: what HTTP alone costs under the same load.
 */
export function startReferenceServer(): Promise<{ child: ChildProcess; url: string }> {
  return spawnListening([new URL('./reference-server.mjs', import.meta.url).pathname], { REFERENCE_KEY: SCORER_KEY });
}

/**
 * Node with `args` as a child process, resolved once it prints "listening on URL"; with
 * `echoOutput`, what it prints goes on to this process's stderr (e.g. node's --trace-gc lines).
 */
function spawnListening(
  args: string[],
  env: Record<string, string>,
  echoOutput = false,
): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const stdout = child.stdout as NodeJS.ReadableStream;
  return new Promise((resolve, reject) => {
    // Read everything it prints, to the end: a pipe left unread would fail its later writes.
    stdout.on('data', (chunk) => {
      if (echoOutput) process.stderr.write(chunk);
      output += String(chunk);
      const match = /listening on (http:\/\/[^;\s]+)/.exec(output);
      if (match) resolve({ child, url: match[1] as string });
    });
    child.once('exit', () => reject(new Error(`${args.join(' ')} exited before listening: ${output}`)));
  });
}

/**
 * An HTTP client with `connections` keep-alive sockets per server. `post` (the load) goes through
 * the lean `KeepAlivePoster`, so the load generator takes as little of the machine's CPU as it
 * can; `send` and `get` through node:http and fetch.
 */
export function httpClient(connections: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const posters = new Map<string, KeepAlivePoster>();
  const post = (
    url: string,
    path: string,
    body: unknown,
    key = SCORER_KEY,
  ): Promise<{ status: number; text: string }> => {
    let poster = posters.get(url);
    if (poster === undefined) posters.set(url, (poster = new KeepAlivePoster(url, connections)));
    return poster.post(path, JSON.stringify(body), {
      'content-type': 'application/json',
      authorization: `Bearer ${key}`,
    });
  };
  /**
   * Any request: `body` sent as given (text or bytes, with its content-length), `headers` exactly
   * as given (no content type or key added). Rejects with the socket's error (code `ECONNRESET`,
   * `EPIPE`, …) when no answer came.
   */
  const send = (
    url: string,
    {
      method,
      path,
      headers = {},
      body,
    }: { method: string; path: string; headers?: http.OutgoingHttpHeaders; body?: string | Buffer },
  ): Promise<{ status: number; text: string }> =>
    new Promise((resolve, reject) => {
      const request = http.request(
        `${url}${path}`,
        {
          method,
          agent,
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (c) => {
            text += c;
          });
          response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
          response.on('error', reject);
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  const get = async (url: string, path: string): Promise<{ status: number; text: string }> => {
    const response = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${ANALYST_KEY}` } });
    return { status: response.status, text: await response.text() };
  };
  const close = () => {
    agent.destroy();
    for (const poster of posters.values()) poster.close();
  };
  return { post, send, get, close };
}

/**
 * Sends events `0 … count − 1` of `events` (`at(i)`) to `url` as `POST /v1/events:batch` of 1,000,
 * one batch at a time, in order (history before a measured part). Throws, naming `what` and the
 * first event of the batch, on any answer but 200.
 */
export async function postInBatches(
  client: ReturnType<typeof httpClient>,
  url: string,
  events: { at(i: number): unknown },
  count: number,
  what: string,
): Promise<void> {
  for (let i = 0; i < count; i += 1000) {
    const batch = Array.from({ length: Math.min(1000, count - i) }, (_, k) => events.at(i + k));
    const r = await client.post(url, '/v1/events:batch', { events: batch });
    if (r.status !== 200) throw new Error(`${what} at ${i}: ${r.status} ${r.text.slice(0, 300)}`);
  }
}

/** What came back on a raw connection: the status line's code if any, everything read, and how it ended. */
export interface RawAnswer {
  /** The status of the first response, or undefined when none came. */
  status: number | undefined;
  text: string;
  /** `closed` (the server ended it), `reset` (ECONNRESET / EPIPE), `timeout` (still open after the wait). */
  end: 'closed' | 'reset' | 'timeout';
}

/**
 * Writes `bytes` to a new TCP connection to `url`'s host and port, as they are (any HTTP, broken
 * or not), then half-closes it unless `keepWriting` (so a server waiting for more of a body sees
 * the client stop), and reads until the server closes or `timeoutMs` passes.
 */
export function rawExchange(
  url: string,
  bytes: Buffer,
  { timeoutMs = 5000, keepWriting = false }: { timeoutMs?: number; keepWriting?: boolean } = {},
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let end: RawAnswer['end'] = 'closed';
    const socket = net.connect({ host: hostname, port: Number(port) });
    const timer = setTimeout(() => {
      end = 'timeout';
      socket.destroy();
    }, timeoutMs);
    socket.on('connect', () => {
      socket.write(bytes);
      if (!keepWriting) socket.end();
    });
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (end !== 'timeout') end = error.code === 'ECONNRESET' || error.code === 'EPIPE' ? 'reset' : 'closed';
    });
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: m ? Number(m[1]) : undefined, text, end });
    });
  });
}

/** The value of a Prometheus sample (`name` or `name{labels}` exactly as printed), or NaN. */
export function sampleValue(metrics: string, series: string): number {
  const escaped = series.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`^${escaped} ([\\d.e+-]+|NaN)$`, 'm').exec(metrics);
  return m ? Number(m[1]) : Number.NaN;
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
 * `events` is an array or anything with `length` and `at(i)` (events made as they are sent).
 * Event i is scheduled at `startedAtMs + i × 1000 / ratePerSec` (ms since the epoch).
 */
export function sendOnSchedule(
  events: { readonly length: number; at(i: number): unknown },
  ratePerSec: number,
  send: (event: unknown) => Promise<{ status: number; text: string }>,
  answered: (i: number, status: number, text: string, latencyMs: number) => void,
  stop: () => boolean = () => false,
): Promise<{ sent: number; seconds: number; startedAtMs: number }> {
  const start = performance.now();
  let next = 0;
  let outstanding = 0;
  return new Promise((resolve) => {
    const finishIfDone = () => {
      if (outstanding === 0 && (next === events.length || stop()))
        resolve({
          sent: next,
          seconds: (performance.now() - start) / 1000,
          startedAtMs: performance.timeOrigin + start,
        });
    };
    const one = (i: number) => {
      const scheduled = start + (i * 1000) / ratePerSec;
      outstanding++;
      send(events.at(i)).then(
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
