// Fuzz of the real-time risk service (issue 5: "10,000 malformed requests → only 4xx, the server
// stays up"). `vigil serve` runs as a child process with a real SQLite audit store; this process
// sends it malformed requests to every POST/PUT route (events, events:batch, labels, rules) over
// keep-alive HTTP, and broken HTTP over raw sockets: invalid JSON, cut-off bodies, wrong content
// types, bodies over the 1 MiB limit, huge numbers, deep nesting, invalid UTF-8, missing or garbage
// Authorization headers, absurd values (negative or non-finite amounts, far-future dates).
//
// Prints one JSON object: the counts per status (and per kind of case), the 5xx, the requests left
// without an answer though they were whole (a reset or close the server caused), the server's
// RSS and heap before and after, and the checks afterwards: the process is alive, /healthz
// answers, and a valid event is scored as an in-process OnlineScorer of the same bundle scores it,
// its decision kept in the store. Exits 1 on any 5xx, a server-caused reset, a bad key that got
// through, or a failed check afterwards.
//
// Run: npm run bench:fuzz [-- --seed 1 --count 10000 --connections 8 --model DIR --data FILE --keep]
// Without --model it trains one first (mlp on fraud-handbook features, July 2018). The cases are
// drawn from fast-check with --seed, so a run can be repeated case for case.

import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';
import { OnlineScorer } from '../src/scoring/index.js';
import {
  anyJsonText,
  cutOff,
  eventWithAbsurdValue,
  malformedEventBody,
  malformedRuleSetBody,
  validActivityEvents,
} from '../src/server/malformed-requests.js';
import { RULES_BODY_LIMIT_BYTES } from '../src/server/rules-routes.js';
import {
  ADMIN_KEY,
  ANALYST_KEY,
  DEFAULT_DATA,
  httpClient,
  rawExchange,
  readBenchEvents,
  rssMiBOf,
  SCORER_KEY,
  sampleValue,
  startServer,
  trainBenchModel,
} from './service-harness.js';

const { values } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '10000' },
    connections: { type: 'string', default: '8' },
    data: { type: 'string', default: DEFAULT_DATA },
    model: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const seed = Number(values.seed);
const count = Number(values.count);
const connections = Number(values.connections);

/** One request: over the keep-alive client (`http`), or bytes on a new socket (`raw`). */
type FuzzCase =
  | {
      kind: string;
      via: 'http';
      method: 'POST' | 'PUT';
      path: string;
      headers: Record<string, string>;
      body: string | Buffer;
      /** Sent with a missing, unknown or wrong-role key: anything but 401/403 is a failure. */
      badKey?: boolean;
      /** Over the body limit: the server may answer 413 and close while the client still writes. */
      oversized?: boolean;
    }
  | {
      kind: string;
      via: 'raw';
      bytes: Buffer;
      /** The client stops mid-request (and half-closes): no answer is then the right outcome. */
      cut?: boolean;
    };

const MiB = 1024 * 1024;
const ROUTES = [
  { method: 'POST', path: '/v1/events', key: SCORER_KEY },
  { method: 'POST', path: '/v1/events:batch', key: SCORER_KEY },
  { method: 'POST', path: '/v1/labels', key: SCORER_KEY },
  { method: 'PUT', path: '/v1/rules', key: ADMIN_KEY },
] as const;
const jsonHeaders = (key: string): Record<string, string> => ({
  'content-type': 'application/json',
  authorization: `Bearer ${key}`,
});
const printable = fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).filter((s) => /^[\x20-\x7e]*$/.test(s));

/** A valid event in the past of every other (2018, as the bundle's data), every optional field set. */
const valid = {
  kind: 'transaction',
  id: 'fuzz-template',
  timestamp: '2018-08-01T00:00:00.000Z',
  customerId: 'c-fuzz',
  terminalId: 't-fuzz',
  amount: 42.5,
  channel: 'card',
  country: 'FR',
  currency: 'EUR',
  latitude: 48.85,
  longitude: 2.35,
  ipAddress: '192.0.2.10',
  deviceId: 'device-fuzz',
};
const validText = (id: string) => JSON.stringify({ ...valid, id });
/** A login and a behaviour event with every field: the fuzzing mutates every kind the routes take. */
const activity = validActivityEvents(valid.timestamp);
const validBodyFor = (path: string, id: string) =>
  path === '/v1/events'
    ? validText(id)
    : path === '/v1/events:batch'
      ? `{"events":[${validText(id)}]}`
      : path === '/v1/labels'
        ? JSON.stringify({ eventId: id, label: 1 })
        : JSON.stringify({ version: id, rules: [] });

function rawRequest(method: string, path: string, headers: [string, string][], body: Buffer | string = ''): Buffer {
  const head = `${method} ${path} HTTP/1.1\r\nhost: fuzz\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]);
}

async function fuzzCases(example: Record<string, unknown>): Promise<FuzzCase[]> {
  let stream = 0;
  /** `n` values of `arb`, each kind of case from its own stream of the seed. */
  const draw = <T>(arb: fc.Arbitrary<T>, n: number): T[] =>
    n === 0 ? [] : fc.sample(arb, { numRuns: n, seed: seed * 1000 + stream++ });
  const share = (fraction: number) => Math.round(count * fraction);
  const route = fc.constantFrom(...ROUTES);
  const cases: FuzzCase[] = [];
  // PUT /v1/rules has a limit of its own (8 MiB: long blocked lists).
  const bodyLimitOf = (path: string) => (path === '/v1/rules' ? RULES_BODY_LIMIT_BYTES : MiB);
  // Any case over its route's limit (deeply nested ones can be) may lose its 413 to a reset.
  const http = (kind: string, r: (typeof ROUTES)[number], body: string | Buffer, headers = jsonHeaders(r.key)) =>
    cases.push({
      kind,
      via: 'http',
      method: r.method,
      path: r.path,
      headers,
      body,
      ...(Buffer.byteLength(body) > bodyLimitOf(r.path) ? { oversized: true } : {}),
    });
  const [events, batch, labels, rules] = ROUTES;

  const eventBody = fc.oneof(
    malformedEventBody(valid),
    eventWithAbsurdValue(valid),
    malformedEventBody(activity.login),
    eventWithAbsurdValue(activity.login),
    malformedEventBody(activity.behaviour),
    eventWithAbsurdValue(activity.behaviour),
  );
  const batchBody = fc.oneof(
    eventBody.map((t) => `{"events":[${t}]}`),
    fc.tuple(eventWithAbsurdValue(valid), fc.nat()).map(([t, n]) => `{"events":[${validText(`b-${n}`)},${t}]}`),
    anyJsonText().map((t) => `{"events":${t}}`),
    fc.integer({ min: 1001, max: 1200 }).map((n) => `{"events":[${Array(n).fill(validText('x')).join(',')}]}`),
    fc.constant('{"events":[]}'),
    cutOff(eventBody.map((t) => `{"events":[${t}]}`)),
    anyJsonText(),
  );
  const labelBody = fc.oneof(
    anyJsonText(),
    fc
      .record({ eventId: fc.anything(), label: fc.anything() }, { requiredKeys: [] })
      .map((v) => JSON.stringify(v) ?? 'null'),
    fc
      .tuple(fc.string(), fc.oneof(fc.constantFrom(0, 1, 2, -1, 0.5, '1', true, null), fc.double()))
      .map(([eventId, label]) => JSON.stringify({ eventId, label })),
    cutOff(fc.constant('{"eventId":"fuzz-template","label":1}'), 30),
    fc.string(),
  );
  // The share of each kind; the event route takes what rounding leaves.
  for (const body of draw(batchBody, share(0.16))) http('batch', batch, body);
  for (const body of draw(labelBody, share(0.12))) http('labels', labels, body);
  for (const body of draw(malformedRuleSetBody(example), share(0.12))) http('rules', rules, body);

  // Keys: none, unknown, garbled, another scheme, or a key of the wrong role. A valid body, so a
  // key that got through would show as a 200.
  const badAuth = fc.oneof(
    fc.constant(undefined),
    printable.map((s) => `Bearer ${s}`),
    printable,
    fc.constantFrom(
      'Basic Zm9vOmJhcg==',
      'Bearer',
      'Bearer ',
      `Bearer${SCORER_KEY}`,
      `Bearer ${SCORER_KEY}x`,
      `Bearer ${SCORER_KEY.slice(0, -1)}`,
      `Token ${SCORER_KEY}`,
      `Bearer ${SCORER_KEY} ${SCORER_KEY}`,
    ),
    fc.constant('wrong-role'),
  );
  for (const [r, auth, n] of draw(fc.tuple(route, badAuth, fc.nat()), share(0.08))) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (auth === 'wrong-role') headers.authorization = `Bearer ${r.path === '/v1/rules' ? SCORER_KEY : ANALYST_KEY}`;
    else if (auth !== undefined) headers.authorization = auth;
    cases.push({
      kind: 'auth',
      via: 'http',
      method: r.method,
      path: r.path,
      headers,
      body: validBodyFor(r.path, `auth-${n}`),
      badKey: true,
    });
  }

  // Content types other than JSON (or none), with bodies that would otherwise be valid.
  const contentType = fc.oneof(
    fc.constantFrom(
      'text/plain',
      'text/html',
      'application/xml',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/octet-stream',
      'image/png',
      'json',
      'application/jsonp',
      'application/json-seq',
      '',
      undefined,
    ),
    printable,
  );
  for (const [r, type, n] of draw(fc.tuple(route, contentType, fc.nat()), share(0.06))) {
    const headers: Record<string, string> = { authorization: `Bearer ${r.key}` };
    if (type !== undefined) headers['content-type'] = type;
    http('content-type', r, validBodyFor(r.path, `ct-${n}`), headers);
  }

  // Invalid UTF-8: a stray continuation byte, a cut sequence, an overlong form, a surrogate, 0xFF.
  const badBytes = fc.constantFrom(
    [0xff],
    [0xfe, 0xff],
    [0xc3],
    [0xe2, 0x82],
    [0xed, 0xa0, 0x80],
    [0xc0, 0xaf],
    [0x80],
    [0xf8, 0x88, 0x80, 0x80, 0x80],
  );
  for (const [r, bytes, at, n] of draw(fc.tuple(route, badBytes, fc.nat(), fc.nat()), share(0.05))) {
    const body = Buffer.from(validBodyFor(r.path, `utf8-${n}`));
    const i = at % body.length;
    http('invalid-utf8', r, Buffer.concat([body.subarray(0, i), Buffer.from(bytes), body.subarray(i)]));
  }

  // Deep nesting, up to what fits in the body limit.
  const nested = fc.oneof(
    fc.integer({ min: 64, max: 400_000 }).map((d) => `${'['.repeat(d)}${']'.repeat(d)}`),
    fc.integer({ min: 64, max: 200_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
    fc.integer({ min: 64, max: 300_000 }).map((d) => `{"events":${'['.repeat(d)}${']'.repeat(d)}}`),
    fc
      .integer({ min: 64, max: 300_000 })
      .map((d) => `${validText('deep').slice(0, -1)},"amount":${'['.repeat(d)}1${']'.repeat(d)}}`),
    fc
      .integer({ min: 33, max: 140_000 })
      .map(
        (d) =>
          `{"version":"deep-${d}","rules":[{"id":"r","action":"review","reason":"x","when":${'{"not":'.repeat(d)}{"field":"event.amount","op":">","value":1}${'}'.repeat(d)}}]}`,
      ),
  );
  for (const [r, body] of draw(fc.tuple(route, nested), share(0.03))) http('deep-nesting', r, body);

  // Over the body limit: valid JSON padded, one long string, or bytes.
  const oversized = fc.tuple(fc.integer({ min: 1, max: 64 * 1024 }), fc.constantFrom('padded', 'string', 'bytes'));
  for (const [r, [over, shape]] of draw(fc.tuple(route, oversized), share(0.02))) {
    const size = bodyLimitOf(r.path) + over;
    const text = validBodyFor(r.path, 'big');
    const body =
      shape === 'padded'
        ? `${' '.repeat(size - text.length)}${text}`
        : shape === 'string'
          ? `{"id":"${'x'.repeat(size)}"}`
          : Buffer.alloc(size, 0x41);
    cases.push({
      kind: 'oversized',
      via: 'http',
      method: r.method,
      path: r.path,
      headers: jsonHeaders(r.key),
      body,
      oversized: true,
    });
  }

  // Broken HTTP on raw sockets. `connection: close` so a whole request ends with the server's close.
  const rawCase = fc.tuple(
    route,
    fc.nat(),
    fc.integer({ min: 0, max: 14 }),
    fc.uint8Array({ minLength: 1, maxLength: 512 }),
  );
  for (const [r, n, shape, garbage] of draw(rawCase, share(0.12))) {
    const body = validBodyFor(r.path, `raw-${n}`);
    const auth: [string, string] = ['authorization', `Bearer ${r.key}`];
    const close: [string, string] = ['connection', 'close'];
    const json: [string, string] = ['content-type', 'application/json'];
    const cutAt = 1 + (n % Math.max(1, body.length - 1));
    const push = (bytes: Buffer, cut = false) =>
      cases.push({ kind: `raw:${shape}`, via: 'raw', bytes, ...(cut ? { cut } : {}) });
    switch (shape) {
      case 0: // a body shorter than its content-length, then the client stops
        push(
          rawRequest(
            r.method,
            r.path,
            [auth, json, close, ['content-length', String(body.length)]],
            body.slice(0, cutAt),
          ),
          true,
        );
        break;
      case 1: // headers cut off before their end
        push(
          rawRequest(r.method, r.path, [auth, json, ['content-length', String(body.length)]]).subarray(
            0,
            20 + (n % 60),
          ),
          true,
        );
        break;
      case 2: // a chunked body cut mid-chunk
        push(
          rawRequest(
            r.method,
            r.path,
            [auth, json, close, ['transfer-encoding', 'chunked']],
            `${body.length.toString(16)}\r\n${body.slice(0, cutAt)}`,
          ),
          true,
        );
        break;
      case 3: // an invalid chunk size
        push(
          rawRequest(
            r.method,
            r.path,
            [auth, json, close, ['transfer-encoding', 'chunked']],
            `zz\r\n${body}\r\n0\r\n\r\n`,
          ),
        );
        break;
      case 4: // content-length and transfer-encoding both (request smuggling)
        push(
          rawRequest(
            r.method,
            r.path,
            [auth, json, close, ['content-length', '3'], ['transfer-encoding', 'chunked']],
            `0\r\n\r\n`,
          ),
        );
        break;
      case 5: // two different content-lengths
        push(
          rawRequest(
            r.method,
            r.path,
            [auth, json, close, ['content-length', String(body.length)], ['content-length', '2']],
            body,
          ),
        );
        break;
      case 6: // a negative or non-numeric content-length
        push(rawRequest(r.method, r.path, [auth, json, close, ['content-length', n % 2 ? '-5' : 'lots']], body));
        break;
      case 7: // a content-length over the limit, and only a little of it sent
        push(
          rawRequest(r.method, r.path, [auth, json, close, ['content-length', String(10 ** (7 + (n % 6)))]], body),
          true,
        );
        break;
      case 8: // a header over Node's 16 KiB header limit
        push(
          rawRequest(
            r.method,
            r.path,
            [
              ['authorization', `Bearer ${'k'.repeat(17 * 1024 + (n % 4096))}`],
              json,
              close,
              ['content-length', String(body.length)],
            ],
            body,
          ),
        );
        break;
      case 9: // control characters and NUL in the Authorization header
        push(
          rawRequest(
            r.method,
            r.path,
            [
              ['authorization', `Bearer ${SCORER_KEY}\x00\x07${n}`],
              json,
              close,
              ['content-length', String(body.length)],
            ],
            body,
          ),
        );
        break;
      case 10: // a garbage request line
        push(Buffer.concat([Buffer.from(garbage), Buffer.from('\r\n\r\n')]));
        break;
      case 11: // an HTTP version that does not exist, or HTTP/2's preface on an HTTP/1 port
        push(
          Buffer.from(
            n % 2
              ? `${r.method} ${r.path} HTTP/9.9\r\nhost: x\r\nconnection: close\r\n\r\n`
              : 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
          ),
        );
        break;
      case 12: // raw bytes as the body of a well-formed request
        push(
          rawRequest(
            r.method,
            r.path,
            [auth, json, close, ['content-length', String(garbage.length)]],
            Buffer.from(garbage),
          ),
        );
        break;
      case 13: // a body with no content-length or transfer-encoding (so none is read), then pipelined garbage
        push(rawRequest(r.method, r.path, [auth, json, close], body));
        break;
      default: // an unknown method on the routes
        push(
          rawRequest(
            n % 2 ? 'PATCH' : 'BREW',
            r.path,
            [auth, json, close, ['content-length', String(body.length)]],
            body,
          ),
        );
    }
  }

  for (const body of draw(eventBody, count - cases.length)) http('events', events, body);
  // Interleave the kinds (a seeded shuffle), so every kind meets a server already hit by the others.
  const order =
    draw(
      fc.shuffledSubarray(
        cases.map((_, i) => i),
        { minLength: cases.length },
      ),
      1,
    )[0] ?? [];
  return order.map((i) => cases[i] as FuzzCase);
}

const work = await mkdtemp(join(tmpdir(), 'vigil-fuzz-'));
const client = httpClient(connections);
let failed = false;
try {
  const model =
    values.model ??
    trainBenchModel((await readBenchEvents(values.data, { warmupFromMs: 0, fromMs: 0, toMs: 0 })).trainCsvLines, work);
  const example = JSON.parse(await readFile(new URL('../examples/rules.json', import.meta.url), 'utf8'));
  const cases = await fuzzCases(example);
  const db = join(work, 'audit.db');
  const { child, url } = await startServer(model, db);
  const pid = child.pid as number;
  try {
    const memory = async () => {
      try {
        const metrics = (await client.get(url, '/metrics')).text;
        const heapUsedMiB = Number((sampleValue(metrics, 'nodejs_heap_size_used_bytes') / MiB).toFixed(1));
        return { rssMiB: rssMiBOf(pid), heapUsedMiB };
      } catch {
        return { rssMiB: Number.NaN, heapUsedMiB: Number.NaN };
      }
    };
    const before = await memory();
    const statuses = new Map<number, number>();
    const byKind = new Map<string, Map<string, number>>();
    const unanswered: { kind: string; end: string; request: string }[] = [];
    const keysLetThrough: { kind: string; status: number; authorization?: string }[] = [];
    let clientCut = 0;
    const oversizedCut: string[] = [];
    const count1 = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
    const record = (c: FuzzCase, outcome: string, status?: number) => {
      if (status !== undefined) statuses.set(status, (statuses.get(status) ?? 0) + 1);
      const kindCounts = byKind.get(c.kind) ?? new Map<string, number>();
      byKind.set(c.kind, kindCounts);
      count1(kindCounts, outcome);
    };
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < cases.length) {
        const c = cases[next++] as FuzzCase;
        if (c.via === 'http') {
          try {
            const r = await client.send(url, c);
            record(c, String(r.status), r.status);
            if (c.badKey && r.status !== 401 && r.status !== 403)
              keysLetThrough.push({
                kind: c.kind,
                status: r.status,
                ...(c.headers.authorization === undefined ? {} : { authorization: c.headers.authorization }),
              });
          } catch (error) {
            const code = (error as NodeJS.ErrnoException).code ?? String(error);
            record(c, `no answer (${code})`);
            // Checked below against the 413s the server counted: its answer lost to the reset.
            if (c.oversized && (code === 'EPIPE' || code === 'ECONNRESET')) oversizedCut.push(c.path);
            else
              unanswered.push({
                kind: c.kind,
                end: code,
                request: `${c.method} ${c.path} ${String(c.body).slice(0, 120)}`,
              });
          }
        } else {
          const r = await rawExchange(url, c.bytes, { timeoutMs: 10_000 });
          if (r.status !== undefined) record(c, String(r.status), r.status);
          else if (c.cut) {
            clientCut++;
            record(c, `no answer after the client cut (${r.end})`);
          } else {
            record(c, `no answer (${r.end})`);
            unanswered.push({ kind: c.kind, end: r.end, request: c.bytes.toString('latin1').slice(0, 160) });
          }
        }
      }
    };
    await Promise.all(Array.from({ length: connections }, worker));
    const seconds = (performance.now() - started) / 1000;

    // Afterwards: alive, healthy, and scoring a valid event as the bundle does in-process. A fresh
    // customer and terminal (so no fuzz case touched their windows) at a time after any the fuzz
    // could have had accepted (up to an hour ahead of the clock).
    const alive = child.exitCode === null && child.signalCode === null;
    const health = await client.get(url, '/healthz').catch(() => ({ status: 0, text: '' }));
    const check = {
      kind: 'transaction',
      id: 'after-fuzz',
      timestamp: new Date(Date.now() + 3500_000).toISOString(),
      customerId: 'c-after-fuzz',
      terminalId: 't-after-fuzz',
      amount: 87.25,
    };
    const scored = await client.post(url, '/v1/events', check).catch(() => ({ status: 0, text: '{}' }));
    const answer = JSON.parse(scored.text || '{}') as { score?: number; decision?: string; rulesHit?: string[] };
    const reference = await OnlineScorer.load(model);
    const expected = await reference.scoreEvent({
      id: check.id,
      timestampSeconds: Date.parse(check.timestamp) / 1000,
      customerId: check.customerId,
      terminalId: check.terminalId,
      amount: check.amount,
    });
    reference.dispose();
    const strictness = ['approve', 'review', 'decline'];
    const kept = await client.get(url, `/v1/decisions/${check.id}`).catch(() => ({ status: 0, text: '' }));
    const scoredCorrectly =
      scored.status === 200 &&
      Math.abs((answer.score ?? Number.NaN) - expected.score) < 1e-6 &&
      // Rules a fuzz case got accepted may make the decision stricter, never milder.
      ((answer.rulesHit?.length ?? 0) === 0
        ? answer.decision === expected.decision
        : strictness.indexOf(answer.decision ?? '') >= strictness.indexOf(expected.decision)) &&
      kept.status === 200;
    const after = await memory();
    // An oversized body the client was still writing when the server answered 413 and closed
    // (RFC 9112 allows it; Linux then resets the connection and the client may lose the answer):
    // accounted for if the server counted at least that many more 413s than the client received.
    const serverMetrics = (await client.get(url, '/metrics').catch(() => ({ text: '' }))).text;
    const server413 = [...serverMetrics.matchAll(/^vigil_http_requests_total\{[^}]*status="413"\} (\d+)$/gm)].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
    const lost413 = server413 - (statuses.get(413) ?? 0);
    const oversizedUnaccounted = Math.max(0, oversizedCut.length - lost413);
    for (let i = 0; i < oversizedUnaccounted; i++)
      unanswered.push({
        kind: 'oversized',
        end: 'reset, and no 413 counted by the server',
        request: oversizedCut[i] ?? '',
      });
    const fivexx = [...statuses].filter(([s]) => s >= 500).reduce((a, [, n]) => a + n, 0);
    failed =
      fivexx > 0 ||
      unanswered.length > 0 ||
      keysLetThrough.length > 0 ||
      !alive ||
      health.status !== 200 ||
      !scoredCorrectly;
    console.log(
      JSON.stringify(
        {
          seed,
          requests: cases.length,
          connections,
          seconds: Number(seconds.toFixed(2)),
          statuses: Object.fromEntries([...statuses].sort(([a], [b]) => a - b)),
          fiveXX: fivexx,
          unansweredWholeRequests: unanswered.length,
          unansweredExamples: unanswered.slice(0, 10),
          noAnswerAfterClientCut: clientCut,
          oversized413LostToReset: {
            clientSawReset: oversizedCut.length,
            serverCounted413: server413,
            clientReceived413: statuses.get(413) ?? 0,
          },
          badKeysLetThrough: keysLetThrough.length,
          badKeyExamples: keysLetThrough.slice(0, 10),
          byKind: Object.fromEntries([...byKind].sort().map(([k, m]) => [k, Object.fromEntries([...m].sort())])),
          serverAlive: alive,
          healthz: health.status,
          validEventAfter: {
            status: scored.status,
            score: answer.score,
            expectedScore: Number(expected.score.toFixed(9)),
            decision: answer.decision,
            expectedDecision: expected.decision,
            rulesHit: answer.rulesHit,
            keptInStore: kept.status === 200,
            correct: scoredCorrectly,
          },
          serverMemory: { before, after },
          verdict: failed
            ? 'FAIL'
            : 'PASS: only 4xx (and 200/409 for cases that stayed valid), the server up and scoring',
        },
        null,
        2,
      ),
    );
    child.kill('SIGTERM');
    await once(child, 'exit');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
} finally {
  client.close();
  if (!values.keep) await rm(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}
process.exit(failed ? 1 : 0);
