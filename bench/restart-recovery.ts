// Startup time of `vigil serve` against the size of its log: a simulated stream is scored into an
// audit store in this process (as the service would: pseudonymised events, one decision each,
// committed in groups), then the online state is recovered from the store by replaying the whole
// log, a snapshot is written (its size and the time it holds the event loop), and the state is
// recovered again from the snapshot, alone and with the last part of the log after it.
// Prints one JSON object.
//
// Run: node --import tsx bench/restart-recovery.ts [-- --customers 2500 --days 45 --dir /tmp/x]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnlineStateKeeper, recoverOnlineState } from '../src/recovery/index.js';
import { OnlineScorer } from '../src/scoring/index.js';
import { StateStore, transactionOfStoredEvent } from '../src/store/index.js';
import { benchStream, writeScoredLog } from './recovery-log.js';

const { values } = parseArgs({
  options: {
    customers: { type: 'string', default: '2500' },
    days: { type: 'string', default: '45' },
    tail: { type: 'string', default: '50000' },
    dir: { type: 'string' },
  },
});
const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'vigil-bench-recovery-')));
const customers = Number(values.customers);
const { bundleDir, events } = await benchStream(dir, customers, Number(values.days));
const tx = { nRows: events.length };
const dbPath = join(dir, 'audit.db');
const logSeconds = await writeScoredLog(bundleDir, events, dbPath);

const state = StateStore.open(dbPath);
/** A fresh scorer recovered from the store, with the CPU seconds it took. */
async function recover() {
  const fresh = await OnlineScorer.load(bundleDir);
  const cpu = process.cpuUsage();
  const report = recoverOnlineState(fresh, state);
  const used = process.cpuUsage(cpu);
  fresh.dispose();
  return { report, cpuSeconds: Number(((used.user + used.system) / 1e6).toFixed(2)) };
}
const full = await recover();

// Snapshots of the state at the end, and `tail` events before it (the newest, so the last
// recovery starts there: a service killed that long after its last snapshot).
const tail = Number(values.tail);
const cut = tx.nRows - tail;
const atEnd = await OnlineScorer.load(bundleDir);
const atCut = await OnlineScorer.load(bundleDir);
for (const { ordinal, event } of state.eventsFrom(0)) {
  atEnd.replayEvent(transactionOfStoredEvent(event), ordinal);
  if (ordinal < cut) atCut.replayEvent(transactionOfStoredEvent(event), ordinal);
}
const policy = { everyEvents: 0, everySeconds: 0 };
const written = new OnlineStateKeeper(atEnd, state, policy).snapshot();
const fromSnapshot = await recover();
new OnlineStateKeeper(atCut, state, policy).snapshot();
const withTail = await recover();
atEnd.dispose();
atCut.dispose();
state.close();

console.log(
  JSON.stringify(
    {
      events: tx.nRows,
      customers,
      writeLogSeconds: Number(logSeconds.toFixed(1)),
      replayWholeLog: {
        ms: Math.round(full.report.durationMs),
        cpuSeconds: full.cpuSeconds,
        eventsPerSecond: Math.round(tx.nRows / (full.report.durationMs / 1000)),
      },
      snapshot: {
        megabytes: Number((written.bytes / 2 ** 20).toFixed(1)),
        ms: Math.round(written.durationMs),
        entities: atEnd.entityCounts(),
      },
      restoreSnapshotOnly: {
        ms: Math.round(fromSnapshot.report.durationMs),
        replayed: fromSnapshot.report.replayedEvents,
      },
      restoreSnapshotAndTail: { ms: Math.round(withTail.report.durationMs), replayed: withTail.report.replayedEvents },
    },
    null,
    1,
  ),
);
if (values.dir === undefined) await rm(dir, { recursive: true, force: true });
