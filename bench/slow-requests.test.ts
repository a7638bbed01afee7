import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type Pause, pauseSummary, readProbe, slowRequestCauses } from './slow-requests.js';

const pause = (endMs: number, gapMs: number, more: Partial<Pause> = {}): Pause => ({
  type: 'pause',
  endMs,
  gapMs,
  ranMs: gapMs,
  waitedMs: 0,
  gcMs: 0,
  gcKinds: [],
  ...more,
});

test('slow requests go under the first cause that overlaps them; a server pause reaches twice its length past its end', () => {
  // Request i is sent at 1000 + 100 i ms.
  const latencyMs = Float64Array.from([2, 30, 15, 20, 15, 20, 12, 70, 11]);
  const records = {
    server: [
      pause(1110, 10, { gcMs: 5, gcKinds: [1] }), // request 1
      pause(1205, 6, { waitedMs: 3 }), // request 2: waiting for a core
      pause(1310, 5), // request 3: running
      pause(1780, 20, { gcMs: 10, gcKinds: [4] }), // [1760, 1780], counted to 1820: requests 7 and 8
    ],
    client: [pause(1510, 8)], // request 5
    slowSyncs: [
      { type: 'sync' as const, startMs: 1405, ms: 4 }, // request 4
      { type: 'sync' as const, startMs: 1710, ms: 4 }, // request 7 too, but GC comes first
    ],
  };
  const result = slowRequestCauses((i) => 1000 + 100 * i, latencyMs, records, 10);
  assert.equal(result.over, 8);
  assert.equal(result.of, 9);
  assert.deepEqual(result.byCause, {
    serverGc: 3,
    serverWaitingForCore: 1,
    serverRunning: 1,
    walSync: 1,
    clientPaused: 1,
    queueing: 1, // request 6: nothing overlaps it
  });
});

test('pause summaries count the pauses of a span; the probe files read back by role', async () => {
  const pauses = [pause(100, 5), pause(200, 15, { gcMs: 10, waitedMs: 2 }), pause(900, 30)];
  assert.deepEqual(pauseSummary(pauses, 0, 500), {
    count: 2,
    over10Ms: 1,
    maxMs: 15,
    totalMs: 20,
    gcMs: 10,
    waitingForCoreMs: 2,
  });
  const dir = await mkdtemp(join(tmpdir(), 'vigil-probe-'));
  try {
    const lines = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join('\n')}\n`;
    await writeFile(
      join(dir, 'server-1.jsonl'),
      lines([pauses[0], { type: 'sync', startMs: 5, ms: 3 }, { type: 'syncs', count: 10, totalMs: 4 }]),
    );
    await writeFile(join(dir, 'client-2.jsonl'), lines([pauses[1]]));
    await writeFile(join(dir, 'other.txt'), 'ignored');
    assert.deepEqual(readProbe(dir), {
      server: [pauses[0]],
      client: [pauses[1]],
      slowSyncs: [{ type: 'sync', startMs: 5, ms: 3 }],
      syncs: { count: 10, totalMs: 4 },
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
