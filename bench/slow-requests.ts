// What made the slow requests of a load run slow, from bench/pause-probe.mjs's records of the
// server's and the client's main threads (bench/service-load.ts --probe-pauses).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A pause of a main thread's event loop, as the probe writes it. */
export interface Pause {
  type: 'pause';
  endMs: number;
  gapMs: number;
  ranMs: number;
  waitedMs: number;
  gcMs: number;
  gcKinds: number[];
}

/** An fdatasync slower than the probe's threshold. */
export interface SlowSync {
  type: 'sync';
  startMs: number;
  ms: number;
}

export interface ProbeRecords {
  server: Pause[];
  client: Pause[];
  slowSyncs: SlowSync[];
  /** Every sync of the server's life (count and total ms), when it exited cleanly. */
  syncs?: { count: number; totalMs: number };
}

/** The causes, in the order a slow request is put under the first that applies. */
export const SLOW_CAUSES = [
  'serverGc',
  'serverWaitingForCore',
  'serverRunning',
  'walSync',
  'clientPaused',
  'queueing',
] as const;
export type SlowCause = (typeof SLOW_CAUSES)[number];

/** Reads the probe's files in `dir` (one per process: `server-PID.jsonl`, `client-PID.jsonl`). */
export function readProbe(dir: string): ProbeRecords {
  const records: ProbeRecords = { server: [], client: [], slowSyncs: [] };
  for (const name of readdirSync(dir)) {
    const role = name.startsWith('server-') ? 'server' : name.startsWith('client-') ? 'client' : undefined;
    if (role === undefined) continue;
    for (const line of readFileSync(join(dir, name), 'utf8').split('\n')) {
      if (line === '') continue;
      const r = JSON.parse(line) as Pause | SlowSync | { type: 'syncs'; count: number; totalMs: number };
      if (r.type === 'pause') records[role].push(r);
      else if (r.type === 'sync' && role === 'server') records.slowSyncs.push(r);
      else if (r.type === 'syncs' && role === 'server') records.syncs = { count: r.count, totalMs: r.totalMs };
    }
  }
  return records;
}

/**
 * Puts each request slower than `overMs` under one cause: the first of {@link SLOW_CAUSES} whose
 * record overlaps the time from its scheduled send to its answer. A pause of the server's thread
 * counts until twice its length after it ended, since the requests that arrived during it queue
 * behind it; a pause is GC when collections took at least a third of it, waiting for a core when
 * the thread waited (runnable, not running) a third of it, and running otherwise. `queueing` is
 * what none explains: a backlog of the thread's own work, with no single pause over the probe's
 * threshold.
 */
export function slowRequestCauses(
  scheduledMs: (i: number) => number,
  latencyMs: Float64Array,
  records: ProbeRecords,
  overMs: number,
): { over: number; of: number; byCause: Record<SlowCause, number> } {
  const byCause = Object.fromEntries(SLOW_CAUSES.map((c) => [c, 0])) as Record<SlowCause, number>;
  const serverCause = (p: Pause): SlowCause =>
    p.gcMs >= p.gapMs / 3 ? 'serverGc' : p.waitedMs >= p.gapMs / 3 ? 'serverWaitingForCore' : 'serverRunning';
  const spans = [
    ...records.server.map((p) => ({ from: p.endMs - p.gapMs, to: p.endMs + 2 * p.gapMs, cause: serverCause(p) })),
    ...records.slowSyncs.map((s) => ({ from: s.startMs, to: s.startMs + s.ms, cause: 'walSync' as const })),
    ...records.client.map((p) => ({ from: p.endMs - p.gapMs, to: p.endMs, cause: 'clientPaused' as const })),
  ].sort((a, b) => a.from - b.from);
  const rank = (c: SlowCause) => SLOW_CAUSES.indexOf(c);
  let over = 0;
  let first = 0;
  const longest = spans.reduce((m, s) => Math.max(m, s.to - s.from), 0);
  for (let i = 0; i < latencyMs.length; i++) {
    const latency = latencyMs[i] as number;
    if (latency <= overMs) continue;
    over++;
    const from = scheduledMs(i);
    const to = from + latency;
    // Spans sorted by start: skip those that end before any request from here on could start.
    while (first < spans.length && (spans[first]?.from as number) + longest < from) first++;
    let cause: SlowCause = 'queueing';
    for (let k = first; k < spans.length; k++) {
      const s = spans[k] as (typeof spans)[number];
      if (s.from >= to) break;
      if (s.to > from && rank(s.cause) < rank(cause)) cause = s.cause;
    }
    byCause[cause]++;
  }
  return { over, of: latencyMs.length, byCause };
}

/** Counts and extremes of the pauses within [fromMs, toMs]. */
export function pauseSummary(pauses: readonly Pause[], fromMs: number, toMs: number) {
  const within = pauses.filter((p) => p.endMs >= fromMs && p.endMs - p.gapMs <= toMs);
  const round1 = (x: number) => Number(x.toFixed(1));
  return {
    count: within.length,
    over10Ms: within.filter((p) => p.gapMs > 10).length,
    maxMs: round1(within.reduce((m, p) => Math.max(m, p.gapMs), 0)),
    totalMs: round1(within.reduce((sum, p) => sum + p.gapMs, 0)),
    gcMs: round1(within.reduce((sum, p) => sum + p.gcMs, 0)),
    waitingForCoreMs: round1(within.reduce((sum, p) => sum + Math.max(0, p.waitedMs), 0)),
  };
}
