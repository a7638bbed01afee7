import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { trainTestBundle, writeTestApplications } from '../scoring/test-bundles.js';
import { request, type TestStream, trainTestStream } from '../server/test-service.js';
import type { CliIO } from './output.js';
import { earlyWarningOf, runServeCommand } from './serve-command.js';
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
    // The default: committed before the answer, the WAL synced on a timer.
    assert.match(s.output(), /first\.db \(durability process\)/);
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
    assert.equal(late.body.appliedOnline, true, 'the new run recovered the online state of the old one');
    assert.match(
      second.output(),
      /online state: snapshot \d+ \(50 events\), 0 logged event\(s\) and 0 label\(s\) replayed/,
    );
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

  test('--durability and --max-lateness are checked; the service starts with --durability machine', async () => {
    const io: CliIO = { stdout: () => {}, stderr: () => {}, isTTY: false };
    const flags = { model: stream.bundleDir, port: '0', db: join(root, 'durability.db') };
    const stop = new AbortController();
    await assert.rejects(
      () => runServeCommand({ ...flags, durability: 'disk' }, io, { signal: stop.signal, env: ENV }),
      {
        code: 'invalid_flag',
        message: /--durability must be one of machine, process/,
      },
    );
    await assert.rejects(
      () => runServeCommand({ ...flags, maxLateness: '-5' }, io, { signal: stop.signal, env: ENV }),
      {
        code: 'invalid_flag',
        message: /--max-lateness/,
      },
    );
    const s = serve({ ...flags, durability: 'machine' }, stop);
    await s.url;
    assert.match(s.output(), /durability\.db \(durability machine\)/);
    const read = new Database(flags.db, { readonly: true });
    assert.equal((read.prepare('SELECT count(*) AS n FROM decisions').get() as { n: number }).n, 0);
    read.close();
    stop.abort();
    await s.done;
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
    const metrics = await request(url, 'GET', '/metrics');
    assert.equal(metrics.status, 200);
    // The audit store's disk syncs are watched too (durability process: the timed WAL sync).
    assert.match(metrics.text, /^vigil_audit_unsynced_seconds \d/m);
    assert.match(metrics.text, /^vigil_audit_wal_sync_failures_total 0$/m);
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

describe('vigil serve: rules and the config file', () => {
  const examples = new URL('../../examples/rules.json', import.meta.url).pathname;

  test('--rules FILE loads a rule set at start (examples/rules.json) and the service decides with it', async () => {
    const stop = new AbortController();
    const s = serve({ model: stream.bundleDir, port: '0', db: join(root, 'rules.db'), rules: examples }, stop);
    const url = await s.url;
    try {
      assert.match(s.output(), /rules 2026-12-07\.1 \(8\)/);
      const blocked = { ...stream.events[0], ipAddress: '203.0.113.7' } as Record<string, unknown>;
      const r = await request(url, 'POST', '/v1/events', { body: blocked, key: SCORER });
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.decision, 'decline');
      assert.deepEqual(r.body.rulesHit, ['blocked-ip']);
      // The example's login rule: a failed login from a high-risk country is reviewed.
      const login = {
        kind: 'login',
        id: 'example-login',
        timestamp: stream.events[0]?.timestamp,
        customerId: 'c-example',
        success: false,
        country: 'XA',
      };
      const l = await request(url, 'POST', '/v1/events', { body: login, key: SCORER });
      assert.deepEqual(
        [l.status, l.body.decision, l.body.rulesHit],
        [200, 'review', ['failed-login-high-risk-country']],
      );
    } finally {
      // Stopped even when an assertion fails, so a failure never leaves the test process hanging.
      stop.abort();
      await s.done;
    }
  });

  test('a bad rule set file refuses the start, listing every problem with its path', async () => {
    const bad = join(root, 'bad-rules.json');
    await writeFile(
      bad,
      JSON.stringify({
        version: 'b1',
        rules: [
          { id: 'a', action: 'decline', reason: 'r', when: { field: 'features.NO_SUCH_FEATURE', op: '>', value: 1 } },
          { id: 'b', action: 'hold', reason: 'r', when: { field: 'event.ipAddress', op: 'in', list: 'missing' } },
        ],
      }),
    );
    const run = await runVigil(
      'serve',
      '--model',
      stream.bundleDir,
      '--db',
      join(root, 'bad-rules.db'),
      '--rules',
      bad,
    );
    assert.equal(run.code, 1);
    assert.match(run.stderr, /bad-rules\.json has 3 problem/);
    assert.match(run.stderr, /rules, 0, when, field: NO_SUCH_FEATURE is not a feature/);
    assert.match(run.stderr, /rules, 1, action: action is one of review, decline, alert/);
    assert.match(run.stderr, /rules, 1, when, list: "missing" is not a list/);
    assertNoStack(run);
    const missing = await runVigil('serve', '--model', stream.bundleDir, '--rules', join(root, 'nope.json'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read the rule set/);
  });

  test('--config FILE: settings, hashed keys and a rate limit from the file; flags win over it', async () => {
    const admin = 'admin-key-from-config-0123';
    const scorer = 'scorer-key-from-config-0123';
    const configPath = join(root, 'service.json');
    await writeFile(
      configPath,
      JSON.stringify({
        model: stream.bundleDir,
        db: 'from-config.db', // relative to the config file
        port: 65000,
        host: '127.0.0.1',
        rules: examples,
        apiKeys: [{ role: 'scorer', key: scorer }],
        apiKeysSha256: [{ role: 'admin', sha256: createHash('sha256').update(admin).digest('hex') }],
        bodyLimitBytes: 64 * 1024,
        rateLimit: { perKeyPerSecond: 0.001, burst: 2 },
      }),
    );
    const stop = new AbortController();
    // --port and --db on the command line win over the file's.
    const s = serve({ config: configPath, port: '0', db: join(root, 'from-flags.db') }, stop);
    const url = await s.url;
    assert.doesNotMatch(url, /:65000$/);
    assert.match(s.output(), /from-flags\.db/);
    assert.match(s.output(), /4 API key\(s\)/, 'the file’s two keys and the environment’s scorer and analyst keys');
    await access(join(root, 'from-flags.db'));
    await assert.rejects(() => access(join(root, 'from-config.db')));
    const rules = await request(url, 'GET', '/v1/rules', { key: admin });
    assert.equal(rules.status, 200, rules.text);
    assert.equal(rules.body.version, '2026-12-07.1');
    const post = (i: number, key: string) => request(url, 'POST', '/v1/events', { body: stream.events[i], key });
    assert.equal((await post(0, scorer)).status, 200);
    assert.equal((await post(1, scorer)).status, 200);
    const limited = await post(2, scorer);
    assert.equal(limited.status, 429);
    assert.equal(limited.body.code, 'rate_limited');
    assert.equal((await post(2, SCORER)).status, 200, 'the environment key has its own bucket');
    const big = await request(url, 'POST', '/v1/events', {
      body: { ...stream.events[3], channel: 'x'.repeat(70 * 1024) },
      key: SCORER,
    });
    assert.equal(big.status, 413, 'the body limit of the file');
    stop.abort();
    await s.done;
  });

  test('early warning from --config and flags: shared IP and device alerts at the file’s and the flag’s thresholds; no model alerts', async () => {
    const configPath = join(root, 'early-warning.json');
    await writeFile(
      configPath,
      JSON.stringify({
        model: stream.bundleDir,
        earlyWarning: {
          customersPerIpPerDay: 6,
          customersPerDevicePerDay: 5,
          failedLoginsInWindow: 3,
          newDeviceLogin: false,
        },
        modelAlerts: false,
      }),
    );
    const stop = new AbortController();
    const s = serve(
      { config: configPath, port: '0', db: join(root, 'early-warning.db'), alertCustomersPerDevice: '3' },
      stop,
    );
    const url = await s.url;
    const timestamp = stream.events[0]?.timestamp as string;
    const logins = Array.from({ length: 9 }, (_, i) => ({
      kind: 'login',
      id: `shared-${i}`,
      timestamp,
      customerId: `customer-${i}`,
      ipAddress: '198.51.100.77',
      // The first four customers share a device.
      deviceId: i < 4 ? 'shared-device' : `device-${i}`,
      success: true,
    }));
    const r = await request(url, 'POST', '/v1/events:batch', { body: { events: logins }, key: SCORER });
    assert.equal(r.status, 200, r.text);
    const ip = await request(url, 'GET', '/v1/alerts?entityKind=ip&entityId=198.51.100.77', { key: ANALYST });
    assert.equal(ip.body.alerts.length, 1, JSON.stringify(ip.body.alerts));
    const [alert] = ip.body.alerts;
    assert.equal(alert.rule, 'shared_customers');
    assert.equal(alert.count, 1);
    assert.match(alert.title, /shared by 6 customers today \(logins\)$/, 'the file’s threshold');
    assert.deepEqual(
      alert.evidence.eventIds,
      logins.slice(0, 6).map((l) => l.id),
    );
    const device = await request(url, 'GET', '/v1/alerts?entityKind=device&entityId=shared-device', { key: ANALYST });
    assert.deepEqual(
      device.body.alerts.map((a: { rule: string; evidence: { eventIds: string[] } }) => [a.rule, a.evidence.eventIds]),
      [['shared_customers', ['shared-0', 'shared-1', 'shared-2']]],
      'the flag (3) wins over the file (5)',
    );
    // modelAlerts: false — declines raise no model alert.
    const history = stream.events.slice(0, 300);
    const t0 = Date.parse((history[299] as { timestamp: string }).timestamp);
    const burst = Array.from({ length: 8 }, (_, i) => ({
      ...history[i],
      id: `burst-${i}`,
      terminalId: 'BURST-T',
      amount: 5000 + i,
      timestamp: new Date(t0 + (i + 1) * 5000).toISOString(),
    }));
    const scored = await request(url, 'POST', '/v1/events:batch', {
      body: { events: [...history, ...burst] },
      key: SCORER,
    });
    assert.equal(scored.status, 200, scored.text);
    const declines = scored.body.results.filter((a: { decision: string }) => a.decision === 'decline').length;
    assert.ok(declines >= 8, `${declines} declines`);
    const model = await request(url, 'GET', '/v1/alerts?kind=model', { key: ANALYST });
    assert.deepEqual(model.body.alerts, []);
    // The file's failed-login threshold (3, not the default 5).
    const failed = Array.from({ length: 3 }, (_, i) => ({ ...logins[0], id: `failed-${i}`, success: false }));
    assert.equal(
      (await request(url, 'POST', '/v1/events:batch', { body: { events: failed }, key: SCORER })).status,
      200,
    );
    const customer = await request(url, 'GET', '/v1/alerts?entityKind=customer&entityId=customer-0', { key: ANALYST });
    assert.deepEqual(
      customer.body.alerts.map((a: { rule: string }) => a.rule),
      ['failed_login_burst'],
    );
    stop.abort();
    await s.done;
  });

  test('early-warning flags win over the file: off with --no-early-warning, on again with a threshold flag', () => {
    const file = { apiKeys: [], earlyWarning: { customersPerIpPerDay: 5, spikeZ: 4 } };
    assert.deepEqual(earlyWarningOf({ alertFailedLogins: '7' }, file), {
      customersPerIpPerDay: 5,
      spikeZ: 4,
      failedLoginsInWindow: 7,
    });
    assert.equal(earlyWarningOf({ earlyWarning: false, alertCustomersPerIp: '9' }, file), false);
    assert.equal(earlyWarningOf({}, { apiKeys: [], earlyWarning: false }), false);
    assert.deepEqual(earlyWarningOf({ alertHighRiskInWindow: '20' }, { apiKeys: [], earlyWarning: false }), {
      highRiskInWindow: 20,
    });
    assert.deepEqual(earlyWarningOf({}, { apiKeys: [] }), {}, 'the defaults');
    assert.throws(
      () => earlyWarningOf({ alertCustomersPerDevice: '0' }, file),
      /--alert-customers-per-device must be an integer ≥ 1/,
    );
  });

  test('bad early-warning settings in the config file are listed with their paths', async () => {
    const configPath = join(root, 'bad-early-warning.json');
    await writeFile(
      configPath,
      JSON.stringify({
        model: stream.bundleDir,
        earlyWarning: { spikeZ: -1, windowBuckets: 2.5, newIpLogin: 'yes', declineRate: 2, shoeSize: 44 },
        modelAlerts: 'no',
      }),
    );
    const run = await runVigil('serve', '--config', configPath);
    assert.equal(run.code, 1);
    for (const line of [
      /earlyWarning, shoeSize: shoeSize is not an early-warning option/,
      /earlyWarning, windowBuckets: must be a positive integer/,
      /earlyWarning, spikeZ: must be a positive number/,
      /earlyWarning, declineRate: must be in \(0, 1\]/,
      /earlyWarning, newIpLogin: must be true or false/,
      /modelAlerts: modelAlerts is true or false/,
    ])
      assert.match(run.stderr, line);
    assert.match(run.stderr, /has 6 problem/);
    assertNoStack(run);
    const flag = await runVigil('serve', '--model', stream.bundleDir, '--alert-customers-per-ip', 'many');
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--alert-customers-per-ip must be an integer/);
  });

  test('a bad config file lists every bad entry with its path and never echoes a key', async () => {
    const configPath = join(root, 'bad-service.json');
    await writeFile(
      configPath,
      JSON.stringify({
        port: 'eighty',
        colour: 'red',
        apiKeys: [
          { role: 'boss', key: 'secret-key-0123456789' },
          { role: 'scorer', key: 'short-secret' },
        ],
        apiKeysSha256: [{ role: 'admin', sha256: 'abc' }],
        rateLimit: { perKeyPerSecond: 0, burst: 1.5 },
        bodyLimitBytes: 10,
      }),
    );
    const run = await runVigil('serve', '--config', configPath);
    assert.equal(run.code, 1);
    for (const line of [
      /colour: colour is not a setting/,
      /port: port is an integer from 0 to 65535/,
      /bodyLimitBytes: bodyLimitBytes is an integer/,
      /rateLimit, perKeyPerSecond: perKeyPerSecond is a number > 0/,
      /rateLimit, burst: burst is an integer/,
      /apiKeys, 0, role: role is one of scorer, analyst, admin/,
      /apiKeys, 1, key: a key is a string of at least 16 characters/,
      /apiKeysSha256, 0, sha256: sha256 is the key/,
    ])
      assert.match(run.stderr, line);
    assert.match(run.stderr, /has 8 problem/);
    assert.ok(!run.stderr.includes('secret-key') && !run.stderr.includes('short-secret'), 'no key echoed');
    assertNoStack(run);
    const noModel = await runVigil('serve', '--db', join(root, 'none.db'));
    assert.equal(noModel.code, 2);
    assert.match(noModel.stderr, /--model DIR/);
  });
});
