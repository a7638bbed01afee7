import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { trainTestBundle, writeTestApplications } from '../scoring/test-bundles.js';
import { request, type TestStream, trainTestStream } from '../server/test-service.js';
import type { CliIO } from './output.js';
import { runServeCommand } from './serve-command.js';
import { assertNoStack, runVigil } from './test-cli.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-serve-'));
const KEY = 'k'.repeat(40);
const SCORER = 'scorer-key-0123456789';
const ANALYST = 'analyst-key-0123456789';
const ENV = { VIGIL_PSEUDONYM_KEY: KEY, VIGIL_API_KEYS: `scorer:${SCORER},analyst:${ANALYST}` };
// runVigil reads the process environment.
Object.assign(process.env, ENV);
let stream: TestStream;
before(async () => {
  stream = await trainTestStream(root);
});
after(() => rm(root, { recursive: true, force: true }));

/** Runs `vigil serve` in this process until `stop` aborts; resolves with its URL once it listens. */
function serve(flags: Parameters<typeof runServeCommand>[0], stop: AbortController, env: NodeJS.ProcessEnv = ENV) {
  let out = '';
  let err = '';
  let listening: (url: string) => void = () => {};
  const url = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const io: CliIO = {
    stdout: (t) => {
      out += t;
      const m = /listening on (\S+);/.exec(out);
      if (m) listening(m[1] as string);
    },
    stderr: (t) => {
      err += t;
    },
    isTTY: false,
  };
  const done = runServeCommand(flags, io, { signal: stop.signal, env });
  done.catch(() => listening(''));
  return { url, done, output: () => out, errors: () => err };
}

describe('vigil serve', () => {
  test('listens on a loopback port, scores an event, and stops on a signal', async () => {
    const stop = new AbortController();
    const s = serve({ model: stream.bundleDir, port: '0', db: join(root, 'first.db') }, stop);
    const url = await s.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(s.output(), /decline from 0\.\d+, review from 0\.\d+/);
    const r = await request(url, 'POST', '/v1/events', { body: stream.events[0], key: SCORER });
    assert.equal(r.status, 200, r.text);
    // Alerts and entity profiles are served, on the same file.
    const alerts = await request(url, 'GET', '/v1/alerts', { key: ANALYST });
    assert.equal(alerts.status, 200, alerts.text);
    assert.deepEqual(alerts.body.alerts, r.body.decision === 'decline' ? alerts.body.alerts : []);
    const terminal = await request(url, 'GET', `/v1/entities/terminal/${stream.events[0]?.terminalId}`, {
      key: ANALYST,
    });
    assert.equal(terminal.status, 200, terminal.text);
    assert.deepEqual(
      terminal.body.recentDecisions.map((d: { eventId: string }) => d.eventId),
      [stream.events[0]?.id],
    );
    stop.abort();
    await s.done;
    assert.match(s.output(), /stopped/);
  });

  test('a restart on the same audit store keeps its decisions and labels, and finds old events', async () => {
    const db = join(root, 'restart.db');
    const stop1 = new AbortController();
    const first = serve({ model: stream.bundleDir, port: '0', db }, stop1);
    const url1 = await first.url;
    const batch = await request(url1, 'POST', '/v1/events:batch', {
      body: { events: stream.events.slice(0, 50) },
      key: SCORER,
    });
    assert.equal(batch.status, 200, batch.text);
    const label = await request(url1, 'POST', '/v1/labels', {
      body: { eventId: stream.events[3]?.id, label: 1 },
      key: SCORER,
    });
    assert.equal(label.body.appliedOnline, true);
    stop1.abort();
    await first.done;

    const stop2 = new AbortController();
    const second = serve({ model: stream.bundleDir, port: '0', db }, stop2);
    const url2 = await second.url;
    const again = await request(url2, 'POST', '/v1/events', { body: stream.events[10], key: SCORER });
    assert.equal(again.status, 409, 'an event scored before the restart is still known');
    const late = await request(url2, 'POST', '/v1/labels', {
      body: { eventId: stream.events[20]?.id, label: 0 },
      key: SCORER,
    });
    assert.equal(late.status, 200, late.text);
    assert.equal(late.body.appliedOnline, false, 'the new run holds no online state of the old one');
    const next = await request(url2, 'POST', '/v1/events', { body: stream.events[50], key: SCORER });
    assert.equal(next.status, 200, next.text);
    stop2.abort();
    await second.done;

    const read = new Database(db, { readonly: true });
    try {
      assert.equal((read.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n, 51);
      assert.equal((read.prepare('SELECT count(*) AS n FROM labels').get() as { n: number }).n, 2);
      const runs = read.prepare('SELECT count(DISTINCT run_id) AS n FROM decisions').get() as { n: number };
      assert.equal(runs.n, 2);
    } finally {
      read.close();
    }
  });

  test('without VIGIL_PSEUDONYM_KEY, or with another key than the store was written with, it refuses to start', async () => {
    const stop = new AbortController();
    const io: CliIO = { stdout: () => {}, stderr: () => {}, isTTY: false };
    const flags = { model: stream.bundleDir, port: '0', db: join(root, 'keys.db') };
    await assert.rejects(
      () => runServeCommand(flags, io, { signal: stop.signal, env: { VIGIL_API_KEYS: ENV.VIGIL_API_KEYS } }),
      {
        code: 'missing_pseudonym_key',
      },
    );
    await assert.rejects(
      () => runServeCommand(flags, io, { signal: stop.signal, env: { ...ENV, VIGIL_PSEUDONYM_KEY: 'short' } }),
      {
        code: 'weak_pseudonym_key',
      },
    );
    const s = serve(flags, stop);
    await s.url;
    stop.abort();
    await s.done;
    await assert.rejects(
      () => runServeCommand(flags, io, { signal: stop.signal, env: { ...ENV, VIGIL_PSEUDONYM_KEY: 'x'.repeat(40) } }),
      { code: 'pseudonym_key_mismatch' },
    );
  });

  test('without API keys it refuses to start unless --insecure-no-auth, which opens every route', async () => {
    const io: CliIO = { stdout: () => {}, stderr: () => {}, isTTY: false };
    const flags = { model: stream.bundleDir, port: '0', db: join(root, 'auth.db') };
    const stop = new AbortController();
    await assert.rejects(() => runServeCommand(flags, io, { signal: stop.signal, env: { VIGIL_PSEUDONYM_KEY: KEY } }), {
      code: 'no_api_keys',
    });
    await assert.rejects(
      () =>
        runServeCommand(flags, io, {
          signal: stop.signal,
          env: { VIGIL_PSEUDONYM_KEY: KEY, VIGIL_API_KEYS: 'root:x' },
        }),
      { code: 'invalid_api_keys' },
    );
    const s = serve({ ...flags, insecureNoAuth: true }, stop, { VIGIL_PSEUDONYM_KEY: KEY });
    const url = await s.url;
    assert.match(s.errors(), /--insecure-no-auth/);
    assert.match(s.output(), /no authentication/);
    const r = await request(url, 'POST', '/v1/events', { body: stream.events[0] });
    assert.equal(r.status, 200, r.text);
    assert.equal((await request(url, 'GET', '/metrics')).status, 200);
    stop.abort();
    await s.done;
  });

  test('with keys, requests without one get 401', async () => {
    const stop = new AbortController();
    const s = serve({ model: stream.bundleDir, port: '0', db: join(root, 'keyed.db') }, stop);
    const url = await s.url;
    assert.match(s.output(), /2 API key/);
    assert.equal((await request(url, 'POST', '/v1/events', { body: stream.events[0] })).status, 401);
    stop.abort();
    await s.done;
  });

  test('bad flags exit 2, a table bundle exits 1, each with one message', async () => {
    const port = await runVigil('serve', '--model', stream.bundleDir, '--port', 'http');
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be an integer/);
    const band = await runVigil('serve', '--model', stream.bundleDir, '--review-from', '0.99');
    assert.equal(band.code, 2);
    assert.match(band.stderr, /--review-from/);
    const apps = await writeTestApplications(root, 600);
    const table = await trainTestBundle(apps, root, 'table', { model: 'logistic' });
    const refused = await runVigil('serve', '--model', table);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /not on transaction features/);
    assertNoStack(refused);
  });
});
