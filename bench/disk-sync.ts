// How long this machine's disk takes to make a small write durable, which is what the service's
// `machine` durability waits for before every answer. Two files in the chosen directory are each
// written (16 KiB, over and over within 8 MiB, as SQLite's WAL is once it starts over) and synced
// with `fdatasync` in a loop, concurrently on libuv's pool. Printed: each file's sync latency
// distribution, and how many slow syncs (over --slow-ms) of the first file overlapped in time a
// slow sync of the second. When nearly all do, the stalls are the device's (its cache flush), not
// one file's: no spreading of the log over files, and nothing the service does, avoids them.
// `spansWithSlowSync` is the share of 100 ms spans holding a sync over 10 ms: a service that
// answers only after a sync answers late for every request in such a span.
//
// Run: npm run bench:disk-sync [-- --seconds 30 --dir DIR --slow-ms 5]

import { mkdtemp, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '30' },
    dir: { type: 'string', default: process.cwd() },
    'slow-ms': { type: 'string', default: '5' },
  },
});
const seconds = Number(values.seconds);
const slowMs = Number(values['slow-ms']);
if (!(seconds > 0) || !(slowMs > 0)) throw new Error('--seconds and --slow-ms must be positive numbers');

const FILE_BYTES = 8 << 20;
const WRITE_BYTES = 16 << 10;

interface Sync {
  startMs: number;
  latencyMs: number;
}

/** Writes and syncs `path` until `endMs`; every sync's start and latency. */
async function syncLoop(path: string, endMs: number): Promise<Sync[]> {
  const file = await open(path, 'w+');
  try {
    await file.truncate(FILE_BYTES);
    const block = Buffer.alloc(WRITE_BYTES, 7);
    const syncs: Sync[] = [];
    let offset = 0;
    while (performance.now() < endMs) {
      await file.write(block, 0, WRITE_BYTES, offset);
      offset = (offset + WRITE_BYTES) % FILE_BYTES;
      const startMs = performance.now();
      await file.datasync();
      syncs.push({ startMs, latencyMs: performance.now() - startMs });
      // About as often as the service's group commits at a few thousand decisions a second.
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    return syncs;
  } finally {
    await file.close();
  }
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

function summary(syncs: readonly Sync[]) {
  const sorted = syncs.map((s) => s.latencyMs).sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 100) / 100;
  return {
    syncs: sorted.length,
    p50Ms: round(quantile(sorted, 0.5)),
    p99Ms: round(quantile(sorted, 0.99)),
    p999Ms: round(quantile(sorted, 0.999)),
    maxMs: round(sorted[sorted.length - 1] ?? Number.NaN),
    slow: sorted.filter((ms) => ms > slowMs).length,
    over10Ms: sorted.filter((ms) => ms > 10).length,
  };
}

const dir = await mkdtemp(join(values.dir, 'vigil-disk-sync-'));
try {
  const startMs = performance.now();
  const endMs = startMs + seconds * 1000;
  const [a, b] = await Promise.all([syncLoop(join(dir, 'a'), endMs), syncLoop(join(dir, 'b'), endMs)]);
  const slowB = b.filter((s) => s.latencyMs > slowMs);
  const overlaps = (s: Sync) =>
    slowB.some((t) => t.startMs < s.startMs + s.latencyMs && s.startMs < t.startMs + t.latencyMs);
  const slowA = a.filter((s) => s.latencyMs > slowMs);
  const spans = new Set<number>();
  for (const s of [...a, ...b])
    if (s.latencyMs > 10) {
      const last = Math.floor((s.startMs + s.latencyMs - startMs) / 100);
      for (let span = Math.floor((s.startMs - startMs) / 100); span <= last; span++) spans.add(span);
    }
  console.log(
    JSON.stringify(
      {
        dir: values.dir,
        seconds,
        slowMs,
        fileA: summary(a),
        fileB: summary(b),
        slowOfAOverlappingSlowOfB: `${slowA.filter(overlaps).length} of ${slowA.length}`,
        spansWithSlowSync: Math.round((Math.min(spans.size, seconds * 10) / (seconds * 10)) * 10000) / 10000,
      },
      null,
      2,
    ),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
