import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { trainTestBundle, writeTestApplications } from '../scoring/test-bundles.js';
import { request, type TestStream, trainTestStream } from '../server/test-service.js';
import type { CliIO } from './output.js';
import { runServeCommand } from './serve-command.js';
import { assertNoStack, runVigil } from './test-cli.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-serve-'));
let stream: TestStream;
before(async () => {
  stream = await trainTestStream(root);
});
after(() => rm(root, { recursive: true, force: true }));

/** Runs `vigil serve` in this process until `stop` aborts; resolves with its URL once it listens. */
function serve(flags: Parameters<typeof runServeCommand>[0], stop: AbortController) {
  let out = '';
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
    stderr: () => {},
    isTTY: false,
  };
  const done = runServeCommand(flags, io, stop.signal);
  done.catch(() => listening(''));
  return { url, done, output: () => out };
}

describe('vigil serve', () => {
  test('listens on a loopback port, scores an event, and stops on a signal', async () => {
    const stop = new AbortController();
    const s = serve({ model: stream.bundleDir, port: '0' }, stop);
    const url = await s.url;
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.match(s.output(), /decline from 0\.\d+, review from 0\.\d+/);
    const r = await request(url, 'POST', '/v1/events', { body: stream.events[0] });
    assert.equal(r.status, 200, r.text);
    stop.abort();
    await s.done;
    assert.match(s.output(), /stopped/);
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
