import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { OnlineStateKeeper } from '../recovery/index.js';
import { OnlineScorer } from '../scoring/index.js';
import { StateStore } from '../store/index.js';
import { createPseudonymiser } from './pseudonymiser.js';
import type { EventBody, TransactionBody } from './request-schemas.js';
import {
  activityAround,
  driveStream,
  request,
  type Seen,
  startTestService,
  type TestService,
  type TestStream,
  trainSpecBundle,
  trainTestStream,
} from './test-service.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-recovery-'));
const pseudonymiser = createPseudonymiser('recovery-key-'.repeat(3));
const NOW_MS = Date.parse('2025-02-10T00:00:00Z');
const pseudonymised = (e: TransactionBody): TransactionBody => ({
  ...e,
  customerId: pseudonymiser.pseudonymise('customerId', e.customerId),
  ...(e.ipAddress === undefined ? {} : { ipAddress: pseudonymiser.pseudonymise('ipAddress', e.ipAddress) }),
  ...(e.deviceId === undefined ? {} : { deviceId: pseudonymiser.pseudonymise('deviceId', e.deviceId) }),
});
/** Events of the stream used, where the service stops, and the batch size. */
const END = 1500;
const CUT = 800;
let stream: TestStream;
let otherSpecBundle = '';

before(async () => {
  stream = await trainTestStream(root);
  otherSpecBundle = await trainSpecBundle(stream.dataPath, join(root, 'handbook'), { spec: 'fraud-handbook' });
});
after(() => rm(root, { recursive: true, force: true }));

type KeeperKind = 'event-loop' | 'background';
const startWith = (keeper: KeeperKind, db: string, policy = { everyEvents: 200, everySeconds: 0 }) =>
  startTestService(stream.bundleDir, join(root, `${keeper}-${db}`), {
    pseudonymiser,
    auth: 'none',
    nowMs: () => NOW_MS,
    policy,
    keeper,
  });

/** The features and ordinal the store keeps for every event. */
function kept(service: TestService): { features: Record<string, number>; ordinal: number }[] {
  return stream.events.slice(0, END).map((e) => {
    const r = service.log.find(e.id);
    assert.ok(r !== undefined, e.id);
    return { features: r.features, ordinal: r.ordinal };
  });
}

// The same checks with snapshots written on the service's thread and by the background worker.
for (const keeperKind of ['event-loop', 'background'] as const)
  describe(`restart recovery (snapshots: ${keeperKind}): a restarted service continues exactly like an uninterrupted one`, () => {
    const start = (db: string, policy?: { everyEvents: number; everySeconds: number }) =>
      startWith(keeperKind, db, policy);
    let reference: { seen: Seen; kept: ReturnType<typeof kept> };
    before(async () => {
      const service = await start('uninterrupted.db', { everyEvents: 0, everySeconds: 0 });
      const seen: Seen = { answers: [], labels: [] };
      await driveStream(service.base, stream.events, 0, END, seen, undefined, { activity: true });
      reference = { seen, kept: kept(service) };
      await service.close();
    });

    /** Runs [0, CUT) on one service, stops it with `stop`, runs [CUT, END) on a new one and compares. */
    async function cutAndCompare(db: string, policy: { everyEvents: number; everySeconds: number }, crash: boolean) {
      const seen: Seen = { answers: [], labels: [] };
      const first = await start(db, policy);
      await driveStream(first.base, stream.events, 0, CUT, seen, undefined, { activity: true });
      const labelsBeforeCut = seen.labels.length;
      if (crash) await first.abandon();
      else await first.close();
      const second = await start(db, policy);
      try {
        await driveStream(second.base, stream.events, CUT, END, seen, undefined, { activity: true });
        // Every answer (score, decision), every label answer (appliedOnline included: labels of
        // events scored before the restart find them online) and every feature kept, exactly.
        assert.deepStrictEqual(seen.answers, reference.seen.answers);
        assert.deepStrictEqual(seen.labels, reference.seen.labels);
        const got = kept(second);
        for (let i = 0; i < END; i++) assert.deepStrictEqual(got[i], reference.kept[i], `event ${i}`);
        // The login and behaviour events of both runs are kept beside, and took no ordinal.
        const activityIds = stream.events
          .slice(0, END)
          .flatMap((e, i) => Object.values(activityAround(e, i)).flat())
          .map((e) => e.id);
        assert.ok(activityIds.length > 400, String(activityIds.length));
        assert.ok(activityIds.every((id) => second.log.find(id) === undefined && second.activity.has(id)));
        assert.equal(second.log.nextOrdinal(), END);
        // Ids stay one namespace across the restart: a transaction cannot take a kept login's id.
        const reused = await request(second.base, 'POST', '/v1/events', {
          body: { ...stream.events[END], id: activityIds[0] },
        });
        assert.equal(reused.status, 409, reused.text);
        assert.equal(reused.body.code, 'duplicate_event');
        return { recovery: second.recovery, labelsBeforeCut };
      } finally {
        await second.close();
      }
    }

    test('after a clean stop: from the shutdown snapshot, nothing to replay', async () => {
      const { recovery, labelsBeforeCut } = await cutAndCompare(
        'clean.db',
        { everyEvents: 200, everySeconds: 0 },
        false,
      );
      assert.equal(recovery.snapshot?.seenEvents, CUT);
      assert.equal(recovery.replayedEvents, 0);
      assert.equal(recovery.reappliedLabels, 0);
      // Labels posted after the restart for events the first run scored, found in the recovered windows.
      const crossing = reference.seen.labels
        .slice(labelsBeforeCut)
        .filter((l) => stream.events.findIndex((e) => e.id === l.eventId) < CUT);
      assert.ok(crossing.length >= 5, String(crossing.length));
      assert.ok(crossing.every((l) => l.appliedOnline));
    });

    test('after a stop without the shutdown snapshot (as kill -9): from the last periodic snapshot plus a replay', async () => {
      const { recovery } = await cutAndCompare('crash.db', { everyEvents: 300, everySeconds: 0 }, true);
      // Snapshots are taken at quiet points once 300 events have passed: the last one before 800.
      assert.ok(recovery.snapshot !== undefined);
      assert.ok(
        recovery.snapshot.seenEvents >= 600 && recovery.snapshot.seenEvents < CUT,
        String(recovery.snapshot.seenEvents),
      );
      assert.equal(recovery.replayedEvents, CUT - recovery.snapshot.seenEvents);
      assert.ok(recovery.reappliedLabels > 0);
    });

    test('without any snapshot: the whole log replayed', async () => {
      const { recovery, labelsBeforeCut } = await cutAndCompare('replay.db', { everyEvents: 0, everySeconds: 0 }, true);
      assert.equal(recovery.snapshot, undefined);
      assert.equal(recovery.replayedEvents, CUT);
      assert.equal(recovery.reappliedLabels, labelsBeforeCut);
      // The control: a state started empty at the cut scores the rest of the stream differently.
      const fresh = await OnlineScorer.load(stream.bundleDir);
      try {
        let differ = 0;
        for (let i = CUT; i < END; i++) {
          const e = pseudonymised(stream.events[i] as TransactionBody);
          const s = await fresh.scoreEvent({ ...e, timestampSeconds: Date.parse(e.timestamp) / 1000 });
          if (s.score !== reference.seen.answers[i]?.score) differ++;
        }
        assert.ok(differ > (END - CUT) / 2, `${differ} of ${END - CUT} differ`);
      } finally {
        fresh.dispose();
      }
    });

    test('a newer snapshot of another feature spec is ignored with a warning', async () => {
      const db = join(root, `${keeperKind}-clean.db`);
      const other = await OnlineScorer.load(otherSpecBundle);
      const state = StateStore.open(db);
      try {
        for (const e of stream.events.slice(0, 50))
          await other.scoreEvent({ ...e, timestampSeconds: Date.parse(e.timestamp) / 1000 });
        new OnlineStateKeeper(other, state, { everyEvents: 0, everySeconds: 0 }).snapshot();
      } finally {
        state.close();
        other.dispose();
      }
      const service = await start('clean.db');
      try {
        assert.equal(service.recovery.skipped.length, 1);
        assert.match(service.warnings.join('\n'), /state snapshot \d+ ignored: made with another feature spec/);
        assert.equal(service.recovery.snapshot?.seenEvents, END);
        assert.equal(service.recovery.replayedEvents, 0);
        assert.equal(service.scorer.seenEvents, END);
      } finally {
        await service.close();
      }
    });
  });

describe('restart recovery: early warning continues from the log', () => {
  /** Thresholds low enough for the test stream to raise alerts of most rules on both sides of the cut. */
  const earlyWarning = {
    highRiskInWindow: 3,
    declineRate: 0.3,
    declineRateMinEvents: 4,
    spikeZ: 2,
    spikeMinCount: 3,
    spikeHistoryBuckets: 5,
    customersPerIpPerDay: 3,
    customersPerDevicePerDay: 2,
    failedLoginsInWindow: 2,
    failedLoginsPerDay: 3,
    botEventsInWindow: 2,
  };
  const start = (db: string, history = true) =>
    startTestService(stream.bundleDir, join(root, `warning-${db}`), {
      pseudonymiser,
      auth: 'none',
      nowMs: () => NOW_MS,
      policy: { everyEvents: 200, everySeconds: 0 },
      keeper: 'background',
      alerting: { earlyWarning, history },
    });
  type AlertRow = {
    kind: string;
    rule: string;
    entity_id: string;
    title: string;
    count: number;
    evidence_json: string;
  };
  /** Every alert raised, as the store keeps it (the clock is fixed, so times are equal too). */
  const alertsOf = (service: TestService) =>
    service.log.connection
      .prepare(
        'SELECT kind, rule, severity, entity_kind, entity_id, title, count, evidence_json, status FROM alerts ORDER BY id',
      )
      .all() as AlertRow[];
  const earlyOnly = (rows: AlertRow[]) => rows.filter((r) => r.kind === 'early_warning');
  let reference: AlertRow[];
  let beforeCut: AlertRow[];
  /**
   * Events that leave early-warning state just short of a trigger at the cut and cross it after:
   * declines at one terminal (3 in the window raise `high_risk_window`), customers on one IP (3 in
   * a day raise `shared_customers`) and failed logins of one customer (2 raise
   * `failed_login_burst`). At the time of the last event before the cut, so the stream stays in order.
   */
  const straddling = (part: 'before' | 'after'): EventBody[] => {
    const last = stream.events[CUT - 1] as TransactionBody;
    const n = part === 'before' ? 2 : 1;
    return Array.from({ length: n }, (_, i): EventBody[] => {
      const id = `${part}-${i}`;
      return [
        { ...last, id: `decline-${id}`, terminalId: 'W-T', customerId: `w-customer-${id}`, amount: 5000 + i },
        { ...last, id: `shared-${id}`, customerId: `w-shared-${id}`, ipAddress: '203.0.113.9', amount: 20 },
        ...(i === 0
          ? [
              {
                kind: 'login' as const,
                id: `failed-${id}`,
                timestamp: last.timestamp,
                customerId: 'w-login',
                success: false,
              },
            ]
          : []),
      ];
    }).flat();
  };
  const post = async (service: TestService, events: EventBody[]) => {
    const r = await request(service.base, 'POST', '/v1/events:batch', { body: { events } });
    assert.equal(r.status, 200, r.text);
  };
  const drive = (service: TestService, from: number, to: number) =>
    driveStream(service.base, stream.events, from, to, { answers: [], labels: [] }, undefined, { activity: true });

  before(async () => {
    const service = await start('uninterrupted.db');
    await drive(service, 0, CUT);
    await post(service, straddling('before'));
    await post(service, straddling('after'));
    await drive(service, CUT, END);
    reference = alertsOf(service);
    await service.close();
  });

  /** Runs [0, CUT), stops (cleanly or not), runs [CUT, END) on a new service and returns its alerts. */
  async function cutAt(db: string, crash: boolean, history = true) {
    const first = await start(db, history);
    await drive(first, 0, CUT);
    await post(first, straddling('before'));
    beforeCut = alertsOf(first);
    if (crash) await first.abandon();
    else await first.close();
    const second = await start(db, history);
    try {
      await post(second, straddling('after'));
      await drive(second, CUT, END);
      return { alerts: alertsOf(second), replay: second.warningReplay };
    } finally {
      await second.close();
    }
  }

  test('the stream raises early-warning alerts of several rules, some after the cut', () => {
    const rules = new Set(earlyOnly(reference).map((r) => r.rule));
    for (const rule of ['high_risk_window', 'shared_customers', 'failed_login_burst'])
      assert.ok(rules.has(rule), `${rule} in ${[...rules].join()}`);
  });

  for (const crash of [false, true])
    test(`after ${crash ? 'a crash' : 'a clean stop'}: the same alerts, counts and evidence as the uninterrupted run`, async () => {
      const { alerts, replay } = await cutAt(crash ? 'crash.db' : 'clean.db', crash);
      assert.ok(earlyOnly(reference).length > earlyOnly(beforeCut).length, 'some are raised after the cut');
      assert.deepStrictEqual(alerts, reference);
      // Early warning's memory is the last two days of event time (idleSeconds): those are replayed.
      const lastMs = Date.parse((stream.events[CUT - 1] as TransactionBody).timestamp);
      const inSpan = stream.events.slice(0, CUT).filter((e) => Date.parse(e.timestamp) >= lastMs - 172_800_000).length;
      assert.ok(inSpan < CUT, 'the stream is longer than the span');
      assert.equal(replay?.decisions, inSpan + 4);
      assert.ok((replay?.activity ?? 0) > 10, JSON.stringify(replay));
    });

  /** The alerts of the straddling events: raised only with the state from before the cut. */
  const straddled = (rows: AlertRow[]) =>
    earlyOnly(rows)
      .filter(
        (r) =>
          (r.rule === 'high_risk_window' && r.entity_id === 'W-T') ||
          (r.rule === 'shared_customers' && r.entity_id === pseudonymiser.pseudonymise('ipAddress', '203.0.113.9')) ||
          (r.rule === 'failed_login_burst' && r.entity_id === pseudonymiser.pseudonymise('customerId', 'w-login')),
      )
      .map((r) => r.rule);

  test('control: early warning started empty misses what straddles the cut', async () => {
    assert.deepEqual(straddled(reference).sort(), ['failed_login_burst', 'high_risk_window', 'shared_customers']);
    const { alerts } = await cutAt('empty.db', false, false);
    assert.deepEqual(straddled(alerts), []);
  });
});
