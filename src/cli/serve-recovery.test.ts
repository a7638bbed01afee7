import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { createPseudonymiser } from '../server/pseudonymiser.js';
import { driveStream, type Seen, startTestService, type TestStream, trainTestStream } from '../server/test-service.js';
import { AuditStore } from '../store/index.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-serve-recovery-'));
const KEY = 'kill-nine-key-'.repeat(3);
const VIGIL = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
const END = 1500;
const CUT = 800;
let stream: TestStream;
before(async () => {
  stream = await trainTestStream(root);
});
// Retried: the audit stores' checkpointer threads, told to stop on close, may still be removing
// their WAL files while the directory goes.
after(() => rm(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 }));

/** `vigil serve` as its own process; resolves with the process and its URL once it listens. */
async function spawnServe(db: string): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(
    process.execPath,
    [
      VIGIL,
      'serve',
      '--model',
      stream.bundleDir,
      '--db',
      db,
      '--port',
      '0',
      '--insecure-no-auth',
      '--snapshot-events',
      '300',
      '--snapshot-seconds',
      '0',
    ],
    { env: { ...process.env, VIGIL_PSEUDONYM_KEY: KEY, VIGIL_API_KEYS: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stderr?.on('data', (d) => {
    out += String(d);
  });
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d) => {
      out += String(d);
      const m = /listening on (\S+);/.exec(out);
      if (m) resolve(m[1] as string);
    });
    child.once('exit', (code) => reject(new Error(`vigil serve exited with ${code}: ${out}`)));
  });
  return { child, url, output: () => out };
}

/** The features and ordinal kept for every event of [0, END). */
function kept(db: string) {
  const store = AuditStore.open(db);
  try {
    return stream.events.slice(0, END).map((e) => {
      const r = store.find(e.id);
      assert.ok(r !== undefined, e.id);
      return { features: r.features, ordinal: r.ordinal };
    });
  } finally {
    store.close();
  }
}

describe('vigil serve after kill -9', () => {
  test('a restarted process continues exactly like an uninterrupted service: every score, label answer and feature', async () => {
    // The uninterrupted run, in this process, with the same pseudonymisation key.
    const referenceDb = join(root, 'reference.db');
    const reference = await startTestService(stream.bundleDir, referenceDb, {
      pseudonymiser: createPseudonymiser(KEY),
      auth: 'none',
    });
    const expected: Seen = { answers: [], labels: [] };
    await driveStream(reference.base, stream.events, 0, END, expected, undefined, { activity: true });
    await reference.close();

    const db = join(root, 'killed.db');
    const seen: Seen = { answers: [], labels: [] };
    const first = await spawnServe(db);
    await driveStream(first.url, stream.events, 0, CUT, seen, undefined, { activity: true });
    // The snapshot worker follows the committed log at its own pace (behind it on a loaded
    // machine): the kill comes once it has written the snapshots at 300 and 600 events.
    const deadline = Date.now() + 20_000;
    let snapshots = 0;
    while (snapshots < 2 && Date.now() < deadline) {
      const text = await (await fetch(`${first.url}/metrics`)).text();
      snapshots = Number(/^vigil_state_snapshots_total (\d+)$/m.exec(text)?.[1] ?? 0);
      if (snapshots < 2) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(snapshots, 2, 'the worker wrote the snapshots at 300 and 600 events');
    first.child.kill('SIGKILL');
    const [, signal] = await once(first.child, 'exit');
    assert.equal(signal, 'SIGKILL');

    const second = await spawnServe(db);
    try {
      // The last periodic snapshot (every 300 events, at a quiet point) and the events after it.
      const m =
        /online state: snapshot \d+ \((\d+) events\), (\d+) logged event\(s\) and (\d+) label\(s\) replayed/.exec(
          second.output(),
        );
      assert.ok(m !== null, second.output());
      const [snapshotEvents, replayed] = [Number(m[1]), Number(m[2])];
      assert.ok(snapshotEvents >= 600 && snapshotEvents < CUT, String(snapshotEvents));
      assert.equal(snapshotEvents + replayed, CUT);
      // Early warning took the log's last two days of events again (the stream is longer).
      const w = /early warning: (\d+) logged decision\(s\) and (\d+) login\/behaviour event\(s\) replayed/.exec(
        second.output(),
      );
      assert.ok(w !== null, second.output());
      assert.ok(Number(w[1]) > 0 && Number(w[1]) <= CUT && Number(w[2]) > 0, w[0]);
      await driveStream(second.url, stream.events, CUT, END, seen, undefined, { activity: true });
    } finally {
      second.child.kill('SIGTERM');
      await once(second.child, 'exit');
    }
    assert.match(second.output(), /stopped/);
    assert.deepStrictEqual(seen.answers, expected.answers);
    assert.deepStrictEqual(seen.labels, expected.labels);
    const got = kept(db);
    const want = kept(referenceDb);
    for (let i = 0; i < END; i++) assert.deepStrictEqual(got[i], want[i], `event ${i}`);
    // The login and behaviour events mixed into every batch: all kept, none in the replayed log.
    const activity = new Database(db, { readonly: true });
    try {
      const count = (table: string) => activity.prepare(`SELECT count(*) FROM ${table}`).pluck().get();
      assert.equal(count('activity_decisions'), seen.answers.length - END);
      assert.equal(count('decisions'), END);
    } finally {
      activity.close();
    }
  });
});
