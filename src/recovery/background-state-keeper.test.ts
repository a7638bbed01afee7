import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import type { FeatureStateSnapshot } from '../features/index.js';
import { OnlineScorer } from '../scoring/index.js';
import { type TestStream, trainTestStream } from '../server/test-service.js';
import {
  AuditStore,
  type DecisionRecord,
  labelTargetOfStoredEvent,
  StateStore,
  type StoredEvent,
  transactionOfStoredEvent,
} from '../store/index.js';
import { BackgroundStateKeeper } from './background-state-keeper.js';
import { recoverOnlineState } from './online-state.js';
import { registerSnapshotMetrics } from './snapshot-metrics.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-background-snapshots-'));
let stream: TestStream;
/** The stream with every 7th event moved after the next two (late by up to their gap), as clients send them. */
let events: StoredEvent[];
const LATENESS_SECONDS = 6 * 3600;

before(async () => {
  stream = await trainTestStream(root);
  const inOrder = stream.events.slice(0, 1500) as StoredEvent[];
  events = [];
  for (let i = 0; i < inOrder.length; i++) {
    const e = inOrder[i] as StoredEvent;
    const next = inOrder.slice(i + 1, i + 3);
    const gap = next.length === 2 ? Date.parse((next[1] as StoredEvent).timestamp) - Date.parse(e.timestamp) : 0;
    if (i % 7 === 3 && next.length === 2 && gap > 0 && gap <= LATENESS_SECONDS * 1000) {
      events.push(...next, e);
      i += 2;
    } else events.push(e);
  }
});
after(() => rm(root, { recursive: true, force: true, maxRetries: 3 }));

/**
 * The service's side, in this process: scores events in batches of 50 and commits them, and
 * after each batch gives late labels (every ninth event labels the one 60 before it) as
 * `POST /v1/labels` does: applied online, then appended with the events the state had taken.
 * `onBatch` sees the state before each batch.
 */
class Service {
  constructor(
    readonly scorer: OnlineScorer,
    readonly log: AuditStore,
  ) {}

  static async open(db: string): Promise<Service> {
    const scorer = await OnlineScorer.load(stream.bundleDir, { maxLatenessSeconds: LATENESS_SECONDS });
    return new Service(scorer, AuditStore.open(db));
  }

  async drive(from: number, to: number, onBatch: (seen: number) => void = () => {}): Promise<void> {
    for (let i = from; i < to; i += 50) {
      onBatch(this.scorer.seenEvents);
      const batch = events.slice(i, Math.min(to, i + 50));
      const scores = await this.scorer.scoreEvents(batch.map(transactionOfStoredEvent));
      const records: DecisionRecord[] = scores.map((s, k) => ({
        eventId: (batch[k] as StoredEvent).id,
        receivedAtMs: 0,
        event: batch[k] as StoredEvent,
        features: s.features,
        modelVersion: s.modelVersion,
        score: s.score,
        decision: s.decision,
        reasons: s.reasons,
        rulesHit: [],
        latencyMs: 0,
        ordinal: s.ordinal,
        runId: 'test',
      }));
      await this.log.append(records);
      for (let j = i; j < i + batch.length; j++) {
        if (j % 9 !== 0 || j < 60) continue;
        const record = this.log.find((events[j - 60] as StoredEvent).id);
        assert.ok(record !== undefined);
        const seenEvents = this.scorer.seenEvents;
        const appliedOnline = this.scorer.applyLabel(labelTargetOfStoredEvent(record.event, record.ordinal), j % 2);
        await this.log.appendLabel({
          eventId: record.eventId,
          label: j % 2,
          receivedAtMs: 0,
          appliedOnline,
          seenEvents,
        });
      }
    }
  }

  close(): void {
    this.log.close();
    this.scorer.dispose();
  }
}

const noRecovery = { endsAt: { seenEvents: 0, labelId: 0 } };
const stateOf = (store: StateStore, id: number) => JSON.parse(store.snapshotState(id)) as FeatureStateSnapshot;

/**
 * Recovers a fresh scorer from the store (newest snapshot, then the log) and checks that it
 * continues exactly like the service's own state: the same features and scores for the next
 * `count` events of the stream, the same label answers. (Snapshots of the two are not compared
 * byte for byte: a restored entity's ring of held events is compacted at other moments.)
 */
async function assertContinuesAlike(
  store: StateStore,
  service: Service,
  count = 150,
): Promise<ReturnType<typeof recoverOnlineState>> {
  const fresh = await OnlineScorer.load(stream.bundleDir, { maxLatenessSeconds: LATENESS_SECONDS });
  try {
    const report = recoverOnlineState(fresh, store);
    assert.equal(fresh.seenEvents, service.scorer.seenEvents);
    const next = events.slice(service.scorer.seenEvents, service.scorer.seenEvents + count);
    assert.equal(next.length, count);
    const asEvents = next.map(transactionOfStoredEvent);
    for (let i = 0; i < next.length; i += 25) {
      const [a, b] = [
        await service.scorer.scoreEvents(asEvents.slice(i, i + 25)),
        await fresh.scoreEvents(asEvents.slice(i, i + 25)),
      ];
      assert.deepStrictEqual(
        b.map((s) => [s.ordinal, s.features, s.score]),
        a.map((s) => [s.ordinal, s.features, s.score]),
      );
      // A label for an event the recovered windows must hold (scored before the snapshot's end).
      const labelled = service.log.find((events[(a[0] as { ordinal: number }).ordinal - 40] as StoredEvent).id);
      if (labelled !== undefined) {
        const t = labelTargetOfStoredEvent(labelled.event, labelled.ordinal);
        assert.equal(fresh.applyLabel(t, 1), service.scorer.applyLabel(t, 1));
      }
    }
    return report;
  } finally {
    fresh.dispose();
  }
}

describe('BackgroundStateKeeper: snapshots by a worker thread following the log', () => {
  test("its snapshots equal the service's own state at the same ordinal, with late events and labels in the log", async () => {
    const db = join(root, 'equal.db');
    const service = await Service.open(db);
    const expected = new Map<number, FeatureStateSnapshot>();
    await service.drive(0, 1500, (seen) => {
      if (seen === 500 || seen === 1000) expected.set(seen, service.scorer.snapshotState());
    });
    const store = StateStore.open(db);
    const keeper = new BackgroundStateKeeper(
      service.scorer,
      store,
      { everyEvents: 500, everySeconds: 0 },
      {
        recovery: noRecovery,
      },
    );
    await keeper.settled();
    await keeper.close();
    const snapshots = store.snapshots();
    assert.deepStrictEqual(
      snapshots.map((s) => s.seenEvents),
      [1500, 1000, 500],
    );
    for (const s of snapshots.slice(1))
      assert.deepStrictEqual(stateOf(store, s.id), expected.get(s.seenEvents), `at ${s.seenEvents}`);
    assert.deepStrictEqual(stateOf(store, (snapshots[0] as { id: number }).id), service.scorer.snapshotState());
    // Late events were taken as of the latest time, and labels reached the windows.
    assert.ok(keeper.status().written === 3 && keeper.status().failures === 0);
    store.close();
    service.close();
  });

  test('following the log live, killed between snapshots: a restart recovers the exact state', async () => {
    const db = join(root, 'live.db');
    const service = await Service.open(db);
    const store = StateStore.open(db);
    const keeper = new BackgroundStateKeeper(
      service.scorer,
      store,
      { everyEvents: 300, everySeconds: 0 },
      { recovery: noRecovery, catchUpMs: 20 },
    );
    await service.drive(0, 1000, () => keeper.committed());
    await keeper.settled();
    await service.drive(1000, 1150, () => keeper.committed());
    await keeper.abandon();
    // Written at every 300 events, exactly at that ordinal (points more than two intervals
    // behind the log are passed over while the worker starts).
    const points = store.snapshots().map((s) => s.seenEvents);
    assert.equal(points[0], 900);
    assert.ok(
      points.every((n) => n % 300 === 0),
      String(points),
    );
    const report = await assertContinuesAlike(store, service);
    assert.equal(report.snapshot?.seenEvents, 900);
    assert.equal(report.replayedEvents, 250);
    assert.ok(report.reappliedLabels > 0);
    store.close();
    service.close();
  });

  test('a worker that fails is started again from the newest snapshot; the store stays readable and exact', async () => {
    const db = join(root, 'crash.db');
    const service = await Service.open(db);
    await service.drive(0, 700);
    const store = StateStore.open(db);
    // A write cut off by a crash: a temporary file no snapshot refers to.
    await mkdir(store.snapshotDir, { recursive: true });
    await writeFile(join(store.snapshotDir, 'cut-off-write.json.tmp'), '{"format":');
    const warnings: string[] = [];
    const keeper = new BackgroundStateKeeper(
      service.scorer,
      store,
      { everyEvents: 300, everySeconds: 0 },
      {
        recovery: noRecovery,
        catchUpMs: 20,
        restartDelayMs: 50,
        warn: (m) => void warnings.push(m),
        faults: { failAfterEvents: 650 },
      },
    );
    const registry = new Registry();
    registerSnapshotMetrics(registry, keeper);
    while (keeper.status().failures === 0) await new Promise((r) => setTimeout(r, 10));
    await service.drive(700, 1200, () => keeper.committed());
    await keeper.settled();
    const status = keeper.status();
    assert.equal(status.failures, 1);
    assert.equal(status.workerUp, true);
    assert.equal(status.lagEvents, 0);
    assert.match(warnings.join('\n'), /snapshot worker failed: .*fault injected.*starting it again in 50 ms/);
    const text = await registry.metrics();
    assert.match(text, /vigil_state_snapshot_worker_failures_total 1\n/);
    assert.match(text, /vigil_state_snapshot_worker_up 1\n/);
    assert.match(text, /vigil_state_snapshot_age_events 0\n/);
    assert.match(text, /vigil_state_snapshot_bytes [1-9]\d+\n/);
    assert.match(text, /vigil_state_snapshot_duration_seconds_count [1-9]/);
    assert.match(text, /vigil_state_snapshot_worker_busy_seconds_total\{phase="replay"\} \d/);
    await keeper.close();
    assert.deepStrictEqual(
      store.snapshots().map((s) => s.seenEvents),
      [1200, 900, 600],
    );
    // Every snapshot reads, and no file is left that none refers to.
    for (const s of store.snapshots()) stateOf(store, s.id);
    assert.deepStrictEqual((await readdir(store.snapshotDir)).length, 3);
    assert.equal(await store.dropUnreferencedFiles(), 0);
    const report = await assertContinuesAlike(store, service);
    assert.equal(report.snapshot?.seenEvents, 1200);
    assert.equal(report.replayedEvents, 0);
    // A newest file cut short (a disk that lost its end) is skipped with a warning: the snapshot
    // before it and the log after it give the same state as the intact one.
    const load = () => OnlineScorer.load(stream.bundleDir, { maxLatenessSeconds: LATENESS_SECONDS });
    const [intact, fallback] = [await load(), await load()];
    recoverOnlineState(intact, store);
    const newest = store.snapshots()[0] as { id: number };
    const file = join(store.snapshotDir, (await readdir(store.snapshotDir)).sort().at(-1) as string);
    await writeFile(file, '{"format":"vigil-feature-state/1"');
    const again = recoverOnlineState(fallback, store);
    assert.equal(again.skipped[0]?.snapshot.id, newest.id);
    assert.match(again.skipped[0]?.reason ?? '', /holds 33 of its \d+ bytes/);
    assert.equal(again.snapshot?.seenEvents, 900);
    const next = events.slice(1200, 1350).map(transactionOfStoredEvent);
    const [a, b] = [await intact.scoreEvents(next), await fallback.scoreEvents(next)];
    assert.deepStrictEqual(
      b.map((x) => [x.ordinal, x.features, x.score]),
      a.map((x) => [x.ordinal, x.features, x.score]),
    );
    intact.dispose();
    fallback.dispose();
    store.close();
    service.close();
  });

  test('a worker that keeps failing is given up with a warning; the last snapshot is then written on close by the calling thread', async () => {
    const db = join(root, 'gave-up.db');
    const service = await Service.open(db);
    await service.drive(0, 400);
    const store = StateStore.open(db);
    const warnings: string[] = [];
    const keeper = new BackgroundStateKeeper(
      service.scorer,
      store,
      { everyEvents: 1000, everySeconds: 0 },
      {
        recovery: noRecovery,
        catchUpMs: 20,
        maxRestarts: 0,
        warn: (m) => void warnings.push(m),
        faults: { failAfterEvents: 100 },
      },
    );
    while (!keeper.status().gaveUp) await new Promise((r) => setTimeout(r, 10));
    assert.match(warnings.join('\n'), /1 failures in a row: state snapshots are off until the next start/);
    // The service goes on without snapshots: its lag grows, nothing else changes.
    await service.drive(400, 600, () => keeper.committed());
    assert.equal(keeper.status().lagEvents, 600);
    await keeper.close();
    assert.deepStrictEqual(
      store.snapshots().map((s) => s.seenEvents),
      [600],
    );
    await assertContinuesAlike(store, service);
    store.close();
    service.close();
  });

  test('after a restart it starts where the service recovered to, leftover labels applied as the recovery did', async () => {
    const db = join(root, 'restart.db');
    const first = await Service.open(db);
    await first.drive(0, 600);
    // A label applied while later events were in flight that never committed (a kill before
    // their commit): the restart applies it at the end of its replay.
    const record = first.log.find((events[550] as StoredEvent).id);
    assert.ok(record !== undefined);
    await first.log.appendLabel({
      eventId: record.eventId,
      label: 1,
      receivedAtMs: 0,
      appliedOnline: true,
      seenEvents: 620,
    });
    first.close();
    const second = await Service.open(db);
    const store = StateStore.open(db);
    const recovery = recoverOnlineState(second.scorer, store);
    assert.equal(recovery.endsAt.seenEvents, 600);
    const keeper = new BackgroundStateKeeper(
      second.scorer,
      store,
      { everyEvents: 200, everySeconds: 0 },
      { recovery, catchUpMs: 20 },
    );
    await second.drive(600, 900, () => keeper.committed());
    await keeper.settled();
    await keeper.close();
    assert.deepStrictEqual(
      store.snapshots().map((s) => s.seenEvents),
      [900, 800, 600],
    );
    for (const s of store.snapshots()) stateOf(store, s.id);
    await assertContinuesAlike(store, second);
    store.close();
    second.close();
  });
});
