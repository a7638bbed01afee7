import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { sendOpenLoop } from './open-loop-sender.js';

let server: http.Server;
let origin: string;
let work: string;
const seen: { id: string; authorization: string | undefined }[] = [];

// Answers as the service does: `{..., latencyMs}` for 200; 422 for an event marked bad.
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'open-loop-'));
  server = http.createServer((request, response) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (c) => {
      body += c;
    });
    request.on('end', () => {
      const event = JSON.parse(body) as { id: string; bad?: boolean };
      seen.push({ id: event.id, authorization: request.headers.authorization });
      const [status, answer] = event.bad
        ? [422, { error: 'bad' }]
        : [
            200,
            { eventId: event.id, decision: 'approve', reasons: ['latencyMs'], latencyMs: 0.25 + seen.length / 1000 },
          ];
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(answer));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(async () => {
  server.close();
  await rm(work, { recursive: true, force: true });
});

const bodies = (from: number, n: number, bad: (i: number) => boolean = () => false) =>
  Array.from({ length: n }, (_, k) => JSON.stringify({ id: `e${from + k}`, ...(bad(from + k) ? { bad: true } : {}) }));

test('sends the warm-up then the measured requests at the rate, and returns each answer by its index', async () => {
  seen.length = 0;
  let measuringAt = -1;
  const result = await sendOpenLoop({
    origin,
    connections: 4,
    ratePerSec: 2000,
    warmup: bodies(0, 50),
    measured: bodies(50, 400, (i) => i % 100 === 7),
    path: '/v1/events',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    workDir: work,
    onMeasuring: () => {
      measuringAt = seen.length;
    },
  });
  assert.equal(seen.length, 450);
  assert.ok(seen.every((s) => s.authorization === 'Bearer k'));
  // Every warm-up request was answered before the measured part began.
  assert.ok(measuringAt >= 50 && measuringAt < 60, `measuring began after ${measuringAt} requests`);
  assert.deepEqual(new Set(seen.map((s) => s.id)), new Set(bodies(0, 450).map((b) => JSON.parse(b).id)));
  assert.equal(result.latencyMs.length, 400);
  const bad = [107, 207, 307, 407].map((i) => i - 50);
  result.status.forEach((status, i) => {
    const latency = result.latencyMs[i] as number;
    const serverLatency = result.serverLatencyMs[i] as number;
    assert.equal(status, bad.includes(i) ? 422 : 200, `request ${i}`);
    assert.ok(latency > 0 && latency < 5000);
    if (status === 200) assert.ok(serverLatency > 0.25 && serverLatency < 1, `server latency ${i}`);
    else assert.ok(Number.isNaN(serverLatency));
  });
  // 400 requests at 2,000/s: about 0.2 s, open loop (not waiting for answers to send).
  assert.ok(result.seconds >= 0.19 && result.seconds < 3, `${result.seconds} s`);
  assert.ok(Math.abs(result.startedAtMs - Date.now()) < 60_000);
  assert.ok(result.clientCpuSeconds > 0);
});

test('a warm-up answer other than 200 or 409 fails the run with the event and the answer', async () => {
  await assert.rejects(
    sendOpenLoop({
      origin,
      connections: 2,
      ratePerSec: 1000,
      warmup: bodies(1000, 20, (i) => i === 1005),
      measured: bodies(1020, 10),
      path: '/v1/events',
      headers: { 'content-type': 'application/json' },
      workDir: work,
    }),
    /warm-up event 5: 422 \{"error":"bad"\}/,
  );
});
