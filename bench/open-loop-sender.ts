// The load generator of bench/service-load.ts in a process of its own, which does nothing but
// send: the requests are built beforehand into one buffer (outside the JavaScript heap), sent on
// an open-loop schedule over keep-alive connections (one request in flight on each), and each
// answer's latency, status and the server's own `latencyMs` go into typed arrays. Its heap stays
// a few MB, so its garbage collections are short. With the benchmark's events held as objects in
// the sending process (~80 MB of heap), that process marked its heap every ~5 s in steps of up to
// 13 ms plus a final pause of 4–8 ms, and every request in flight meanwhile counted the wait as
// the server's latency.
//
// The parent calls `sendOpenLoop`; this file, forked with `--child`, is the sender.
import { fork } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KeepAlivePoster, requestText } from './keep-alive-poster.js';
import { startPauseProbe } from './pause-probe.mjs';
import { sendOnSchedule } from './service-harness.js';

export interface OpenLoopOptions {
  origin: string;
  connections: number;
  ratePerSec: number;
  /** Sent first at the rate, not measured (each must answer 200, or 409 as already scored). */
  warmup: readonly string[];
  /** Sent at the rate after the warm-up, measured. */
  measured: readonly string[];
  path: string;
  headers: Record<string, string>;
  /** Where the request and result files go. */
  workDir: string;
  /** A pause-probe directory: the sender records its own pauses there as role `client`. */
  probeDir?: string;
  /** More flags for the sender's node, e.g. `--trace-gc`. */
  nodeArgs?: string[];
  /** Called when the measured part starts (the warm-up is answered), e.g. to read CPU counters. */
  onMeasuring?: () => void;
}

export interface OpenLoopResult {
  /** Per measured request: ms from its scheduled send time to its answer. */
  latencyMs: Float64Array;
  /** Per measured request: the HTTP status, 0 when the connection failed. */
  status: Uint16Array;
  /** Per measured request: the answer's `latencyMs` (the server's own time), NaN when it has none. */
  serverLatencyMs: Float64Array;
  seconds: number;
  /** When measured request 0 was due, ms since the epoch. */
  startedAtMs: number;
  /** CPU of the sender process during the measured part. */
  clientCpuSeconds: number;
}

interface ChildArgs {
  origin: string;
  connections: number;
  ratePerSec: number;
  requestsFile: string;
  warmupCount: number;
  resultsFile: string;
  probeDir?: string;
}

type ChildMessage =
  | { type: 'measuring' }
  | { type: 'done'; seconds: number; startedAtMs: number; clientCpuSeconds: number }
  | { type: 'failed'; message: string };

/** Requests as one buffer: a u32 count, count + 1 u32 offsets into the bytes that follow, the bytes. */
function writeRequests(file: string, requests: readonly string[]): void {
  const bodies = requests.map((r) => Buffer.from(r, 'utf8'));
  const head = Buffer.alloc(4 * (bodies.length + 2));
  head.writeUInt32LE(bodies.length, 0);
  let at = 0;
  bodies.forEach((b, i) => {
    head.writeUInt32LE(at, 4 * (i + 1));
    at += b.length;
  });
  head.writeUInt32LE(at, 4 * (bodies.length + 1));
  writeFileSync(file, Buffer.concat([head, ...bodies]));
}

function readRequests(file: string): { length: number; at(i: number): Uint8Array } {
  const all = readFileSync(file);
  const count = all.readUInt32LE(0);
  const bytesFrom = 4 * (count + 2);
  const offset = (i: number) => bytesFrom + all.readUInt32LE(4 * (i + 1));
  return { length: count, at: (i) => all.subarray(offset(i), offset(i + 1)) };
}

/** The server's `latencyMs` in a decision answer, without parsing the whole JSON. */
function answerLatencyMs(text: string): number {
  const at = text.lastIndexOf('"latencyMs":');
  return at < 0 ? Number.NaN : Number.parseFloat(text.slice(at + 12));
}

/** Runs the warm-up and the measured part from a child process and returns what it measured. */
export async function sendOpenLoop(o: OpenLoopOptions): Promise<OpenLoopResult> {
  const host = new URL(o.origin).host;
  const requestsFile = join(o.workDir, 'open-loop-requests.bin');
  const resultsFile = join(o.workDir, 'open-loop-results.bin');
  writeRequests(
    requestsFile,
    [...o.warmup, ...o.measured].map((body) => requestText(host, o.path, body, o.headers)),
  );
  const args: ChildArgs = {
    origin: o.origin,
    connections: o.connections,
    ratePerSec: o.ratePerSec,
    requestsFile,
    warmupCount: o.warmup.length,
    resultsFile,
    ...(o.probeDir === undefined ? {} : { probeDir: o.probeDir }),
  };
  const child = fork(fileURLToPath(import.meta.url), ['--child', JSON.stringify(args)], {
    execArgv: ['--import', 'tsx', ...(o.nodeArgs ?? [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const done = await new Promise<Extract<ChildMessage, { type: 'done' }>>((resolve, reject) => {
    child.on('message', (m: ChildMessage) => {
      if (m.type === 'measuring') o.onMeasuring?.();
      else if (m.type === 'done') resolve(m);
      else reject(new Error(m.message));
    });
    child.on('exit', (code) => reject(new Error(`the load generator exited with code ${code} before it was done`)));
  });
  const n = o.measured.length;
  const bytes = readFileSync(resultsFile);
  const copy = (from: number, length: number) =>
    bytes.buffer.slice(bytes.byteOffset + from, bytes.byteOffset + from + length);
  return {
    latencyMs: new Float64Array(copy(0, 8 * n)),
    serverLatencyMs: new Float64Array(copy(8 * n, 8 * n)),
    status: new Uint16Array(copy(16 * n, 2 * n)),
    seconds: done.seconds,
    startedAtMs: done.startedAtMs,
    clientCpuSeconds: done.clientCpuSeconds,
  };
}

async function runChild(args: ChildArgs): Promise<void> {
  const send = (m: ChildMessage) => (process.send as (m: ChildMessage) => boolean)(m);
  if (args.probeDir !== undefined) startPauseProbe(args.probeDir, 'client');
  const requests = readRequests(args.requestsFile);
  const poster = new KeepAlivePoster(args.origin, args.connections);
  const post = (request: unknown) => poster.send(request as Uint8Array);
  const warmup = { length: args.warmupCount, at: (i: number) => requests.at(i) };
  let warmupFailure: string | undefined;
  await sendOnSchedule(
    warmup,
    args.ratePerSec,
    post,
    (i, status, text) => {
      if (status !== 200 && status !== 409 && warmupFailure === undefined)
        warmupFailure = `warm-up event ${i}: ${status} ${text.slice(0, 300)}`;
    },
    () => warmupFailure !== undefined,
  );
  if (warmupFailure !== undefined) {
    send({ type: 'failed', message: warmupFailure });
    poster.close();
    return;
  }
  send({ type: 'measuring' });
  const n = requests.length - args.warmupCount;
  const results = new ArrayBuffer(18 * n);
  const latencyMs = new Float64Array(results, 0, n);
  const serverLatencyMs = new Float64Array(results, 8 * n, n);
  const status = new Uint16Array(results, 16 * n, n);
  const cpuBefore = process.cpuUsage();
  const measured = { length: n, at: (i: number) => requests.at(args.warmupCount + i) };
  const { seconds, startedAtMs } = await sendOnSchedule(measured, args.ratePerSec, post, (i, code, text, ms) => {
    latencyMs[i] = ms;
    status[i] = code;
    serverLatencyMs[i] = code === 200 ? answerLatencyMs(text) : Number.NaN;
  });
  const cpu = process.cpuUsage(cpuBefore);
  poster.close();
  writeFileSync(args.resultsFile, new Uint8Array(results));
  send({ type: 'done', seconds, startedAtMs, clientCpuSeconds: (cpu.user + cpu.system) / 1e6 });
}

if (process.argv[2] === '--child' && process.send !== undefined)
  runChild(JSON.parse(process.argv[3] as string) as ChildArgs).then(
    () => process.disconnect(),
    (error: unknown) => {
      (process.send as (m: ChildMessage) => boolean)({
        type: 'failed',
        message: error instanceof Error ? error.message : String(error),
      });
      process.exitCode = 1;
    },
  );
