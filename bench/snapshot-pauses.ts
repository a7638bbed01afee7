// The service thread's pauses from state snapshots (issue 5: p99 <= 10 ms at 5,000 events/s, so
// any pause over a few ms on that thread is a defect). A log of a simulated stream is written
// (bench/recovery-log.ts: fraud-behaviour, 2,500 customers, 45 days, about 225,000 events, a
// 34 MB state) but for its last `--live` events; then three times, on copies of that file, a
// state recovered from it takes the last events live at `--rate` events/s, each event scored on
// its own and committed as the service does (one group commit per tick), every ninth followed by
// a label for the event 60 before it, with a snapshot due every `--every` events:
//   none        no snapshots (what the scoring and the commits alone cost the thread);
//   event-loop  OnlineStateKeeper: snapshots built, serialised and written on this thread;
//   background  BackgroundStateKeeper: a worker thread follows the log and writes them.
// For each: the event loop's delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution: max and
// p99), each event's time from when it was due to its commit (p50, p99, max), the snapshots
// written, the longest one on this thread, the worker's thread time (its CPU: computation and
// page writes) against the run's wall time, and the time `close()` takes (the last snapshot).
// Then restart times: recovering the state from the newest snapshot the event-loop keeper wrote
// (one row of JSON) and from the newest the worker wrote (in parts).
// Prints one JSON object.
//
// Run: node --import tsx bench/snapshot-pauses.ts [--customers 2500 --days 45 --live 20000
//        --rate 2500 --every 5000 --durability process --modes none,event-loop,background --dir /tmp/x]
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import {
  BackgroundStateKeeper,
  OnlineStateKeeper,
  type RecoveryReport,
  recoverOnlineState,
} from '../src/recovery/index.js';
import { OnlineScorer } from '../src/scoring/index.js';
import { createPseudonymiser } from '../src/server/index.js';
import {
  AUDIT_DURABILITY,
  type AuditDurability,
  AuditStore,
  labelTargetOfStoredEvent,
  StateStore,
  type StoredEvent,
  transactionOfStoredEvent,
} from '../src/store/index.js';
import { BENCH_PSEUDONYM_KEY, benchStream, decisionRecords, writeScoredLog } from './recovery-log.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '2500' },
    days: { type: 'string', default: '45' },
    live: { type: 'string', default: '20000' },
    rate: { type: 'string', default: '2500' },
    every: { type: 'string', default: '5000' },
    durability: { type: 'string', default: 'process' },
    modes: { type: 'string', default: 'none,event-loop,background' },
    dir: { type: 'string' },
  },
});
const durability = values.durability as AuditDurability;
if (!AUDIT_DURABILITY.includes(durability)) throw new Error(`--durability is one of ${AUDIT_DURABILITY.join(', ')}`);
const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'vigil-bench-pauses-')));
const [live, rate, every] = [Number(values.live), Number(values.rate), Number(values.every)];
const { bundleDir, events } = await benchStream(dir, Number(values.customers), Number(values.days));
const logged = events.slice(0, events.length - live);
const liveEvents = events.slice(events.length - live);
const baseDb = join(dir, 'base.db');
const writeLogSeconds = await writeScoredLog(bundleDir, logged, baseDb);

// A snapshot at the log's end, so that each run starts from it in a second or two.
{
  const scorer = await OnlineScorer.load(bundleDir);
  const state = StateStore.open(baseDb);
  recoverOnlineState(scorer, state);
  new OnlineStateKeeper(scorer, state, { everyEvents: 0, everySeconds: 0 }).snapshot();
  state.close();
  scorer.dispose();
}

const ms = (x: number) => Number(x.toFixed(2));
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

async function run(mode: 'none' | 'event-loop' | 'background') {
  const db = join(dir, `${mode}.db`);
  await copyFile(baseDb, db);
  const { keyFingerprint } = createPseudonymiser(BENCH_PSEUDONYM_KEY);
  const log = AuditStore.open(db, { keyFingerprint, durability });
  const state = StateStore.open(db);
  const scorer = await OnlineScorer.load(bundleDir);
  const recovery: RecoveryReport = recoverOnlineState(scorer, state);
  const policy = { everyEvents: mode === 'none' ? 0 : every, everySeconds: 0 };
  const warnings: string[] = [];
  const keeper =
    mode === 'background'
      ? new BackgroundStateKeeper(scorer, state, policy, { recovery, warn: (m) => void warnings.push(m) })
      : mode === 'event-loop'
        ? new OnlineStateKeeper(scorer, state, policy)
        : undefined;
  const eventLoopPauses: number[] = [];
  // Each group commit's time on this thread, waits for the file's write lock included (the worker
  // writes snapshots into the same file): wraps the store's flush, which runs the commit.
  const commitMs: number[] = [];
  const store = log as unknown as { flush: () => void };
  const flush = store.flush.bind(log);
  store.flush = () => {
    const t = performance.now();
    flush();
    commitMs.push(performance.now() - t);
  };
  if (keeper instanceof BackgroundStateKeeper) await keeper.settled();
  let inFlight = 0;
  const isQuiet = () => inFlight === 0;
  const ordinals: number[] = [];
  const latencies: number[] = [];
  const delay = monitorEventLoopDelay({ resolution: 1 });
  const send = async (i: number, dueMs: number) => {
    inFlight++;
    try {
      const e = liveEvents[i] as StoredEvent;
      const scores = await scorer.scoreEvents([transactionOfStoredEvent(e)]);
      ordinals[i] = (scores[0] as { ordinal: number }).ordinal;
      await log.append(decisionRecords([e], scores));
      if (i % 9 === 0 && i >= 60) {
        const target = liveEvents[i - 60] as StoredEvent;
        const seenEvents = scorer.seenEvents;
        const appliedOnline = scorer.applyLabel(labelTargetOfStoredEvent(target, ordinals[i - 60] as number), i % 2);
        await log.appendLabel({
          eventId: target.id,
          label: i % 2,
          receivedAtMs: Date.now(),
          appliedOnline,
          seenEvents,
        });
      }
      latencies.push(performance.now() - dueMs);
    } finally {
      inFlight--;
      // The event-loop keeper writes in a later tick; its pauses are read from `last` in the ticks.
      keeper?.committed(isQuiet);
    }
  };
  // The worker's lag, once a second.
  const lagSamples: number[] = [];
  const sampler = setInterval(() => {
    if (keeper instanceof BackgroundStateKeeper) lagSamples.push(keeper.status().lagEvents);
  }, 1000);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const busyBefore = keeper instanceof BackgroundStateKeeper ? keeper.status().busyMs : undefined;
  delay.enable();
  let next = 0;
  const pending: Promise<void>[] = [];
  let lastSeenSnapshot = keeper instanceof OnlineStateKeeper ? keeper.last : undefined;
  await new Promise<void>((resolve) => {
    const tick = () => {
      if (keeper instanceof OnlineStateKeeper && keeper.last !== lastSeenSnapshot) {
        lastSeenSnapshot = keeper.last;
        if (lastSeenSnapshot !== undefined) eventLoopPauses.push(lastSeenSnapshot.durationMs);
      }
      const now = performance.now();
      const due = Math.min(liveEvents.length, Math.floor(((now - started) / 1000) * rate));
      for (; next < due; next++) pending.push(send(next, started + (next / rate) * 1000));
      if (next >= liveEvents.length) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  await Promise.all(pending);
  clearInterval(sampler);
  delay.disable();
  const wallSeconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  if (keeper instanceof OnlineStateKeeper && keeper.last !== lastSeenSnapshot && keeper.last !== undefined)
    eventLoopPauses.push(keeper.last.durationMs);
  const sorted = latencies.sort((a, b) => a - b);
  const status = keeper instanceof BackgroundStateKeeper ? keeper.status() : undefined;
  const closing = performance.now();
  await keeper?.close();
  const closeMs = performance.now() - closing;
  const result = {
    mode,
    restartFromEventLoopSnapshotMs: Math.round(recovery.durationMs),
    events: live,
    wallSeconds: ms(wallSeconds),
    eventLoopDelayMs: { max: ms(delay.max / 1e6), p99: ms(delay.percentile(99) / 1e6), mean: ms(delay.mean / 1e6) },
    eventMs: { p50: ms(quantile(sorted, 0.5)), p99: ms(quantile(sorted, 0.99)), max: ms(sorted.at(-1) ?? 0) },
    processCpuSeconds: ms((cpu.user + cpu.system) / 1e6),
    commitMs: (() => {
      const c = commitMs.sort((a, b) => a - b);
      return { count: c.length, p99: ms(quantile(c, 0.99)), max: ms(c.at(-1) ?? 0) };
    })(),
    ...(keeper instanceof OnlineStateKeeper
      ? {
          snapshotsOnThisThread: eventLoopPauses.length,
          longestSnapshotPauseMs: ms(Math.max(0, ...eventLoopPauses)),
          snapshotMegabytes: ms((keeper.last?.bytes ?? 0) / 2 ** 20),
        }
      : {}),
    ...(status !== undefined && busyBefore !== undefined
      ? {
          worker: {
            snapshotsWritten: status.written,
            lastSnapshot: status.last,
            threadSecondsReplay: ms((status.busyMs.replay - busyBefore.replay) / 1000),
            threadSecondsSnapshots: ms((status.busyMs.snapshot - busyBefore.snapshot) / 1000),
            shareOfOneCore: ms(
              (status.busyMs.replay - busyBefore.replay + status.busyMs.snapshot - busyBefore.snapshot) /
                1000 /
                wallSeconds,
            ),
            lagAtEndEvents: status.lagEvents,
            lagEverySecond: lagSamples,
            keeperOnServiceThreadMs: {
              total: ms(status.serviceThreadMs.total),
              longest: ms(status.serviceThreadMs.longest),
            },
            failures: status.failures,
            warnings,
          },
        }
      : {}),
    closeMs: Math.round(closeMs),
  };
  log.close();
  // The restart from the newest snapshot this run left (the last one, written at close).
  const fresh = await OnlineScorer.load(bundleDir);
  const restart = recoverOnlineState(fresh, state);
  fresh.dispose();
  scorer.dispose();
  state.close();
  return {
    ...result,
    restartAfter: {
      ms: Math.round(restart.durationMs),
      snapshotEvents: restart.snapshot?.seenEvents,
      replayed: restart.replayedEvents,
    },
  };
}

const runs = [];
for (const mode of values.modes.split(',') as ('none' | 'event-loop' | 'background')[]) runs.push(await run(mode));
// Restart times from the two kinds of snapshot of the same state (each run's last, at the same
// ordinal), alternated three times: the lowest and the median of each.
const restartMs: Record<string, number[]> = {};
const withSnapshots = runs.map((r) => r.mode).filter((m) => m !== 'none');
for (let repeat = 0; repeat < 3; repeat++)
  for (const mode of withSnapshots) {
    const state = StateStore.open(join(dir, `${mode}.db`));
    const fresh = await OnlineScorer.load(bundleDir);
    const report = recoverOnlineState(fresh, state);
    fresh.dispose();
    state.close();
    (restartMs[mode] ??= []).push(Math.round(report.durationMs));
  }
const restarts = Object.fromEntries(
  Object.entries(restartMs).map(([mode, xs]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return [mode, { min: sorted[0], median: sorted[1], all: xs }];
  }),
);
console.log(
  JSON.stringify(
    { loggedEvents: logged.length, liveEvents: live, rate, every, durability, writeLogSeconds, runs, restarts },
    null,
    1,
  ),
);
if (values.dir === undefined) await rm(dir, { recursive: true, force: true });
