// Where a request's time went when it was slow: a probe for bench/service-load.ts --probe-pauses.
//
// Loaded into a process with `node --import ./bench/pause-probe.mjs` and VIGIL_PAUSE_PROBE=DIR set
// (or started by startPauseProbe), it writes one JSON line to DIR/<role>-<pid>.jsonl for each:
// - pause of the main thread's event loop longer than PAUSE_MS (a 1 ms timer fires late), with the
//   wall time it ended, how long the thread ran and how long it waited for a core in the meantime
//   (/proc/self/task/<tid>/schedstat: time spent runnable but not running), and the garbage
//   collections inside it;
// - fdatasync slower than SLOW_SYNC_MS (fs.fdatasync is wrapped: the audit store syncs its WAL
//   with it on libuv's pool), with the count and total of all syncs on exit.
// The timer costs the probed thread about 1,000 wake-ups a second. Plain JavaScript: it runs in
// `vigil serve` without tsx.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { PerformanceObserver, performance } from 'node:perf_hooks';
import { isMainThread } from 'node:worker_threads';

const PAUSE_MS = 4;
const SLOW_SYNC_MS = 2;

/** Starts probing this process's main thread; lines go to `dir/role-pid.jsonl`. */
export function startPauseProbe(dir, role) {
  const fd = fs.openSync(join(dir, `${role}-${process.pid}.jsonl`), 'w');
  const write = (o) => fs.writeSync(fd, `${JSON.stringify(o)}\n`);
  const schedstat = `/proc/self/task/${process.pid}/schedstat`;
  const readSched = () => {
    try {
      const [ran, waited] = fs.readFileSync(schedstat, 'utf8').split(' ').map(Number);
      return { ran: ran / 1e6, waited: waited / 1e6 };
    } catch {
      return { ran: Number.NaN, waited: Number.NaN };
    }
  };
  const gcs = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcs.push({ start: e.startTime, ms: e.duration, kind: e.detail?.kind });
  }).observe({ entryTypes: ['gc'] });
  let last = performance.now();
  let lastSched = readSched();
  setInterval(() => {
    const now = performance.now();
    const sched = readSched();
    const gapMs = now - last;
    if (gapMs > PAUSE_MS) {
      const gc = gcs.filter((g) => g.start + g.ms > last && g.start < now);
      write({
        type: 'pause',
        endMs: performance.timeOrigin + now,
        gapMs,
        ranMs: sched.ran - lastSched.ran,
        waitedMs: sched.waited - lastSched.waited,
        gcMs: gc.reduce((sum, g) => sum + g.ms, 0),
        gcKinds: gc.map((g) => g.kind),
      });
    }
    while (gcs.length > 0 && gcs[0].start + gcs[0].ms < now - 1000) gcs.shift();
    last = now;
    lastSched = sched;
  }, 1).unref();

  const syncs = { count: 0, totalMs: 0 };
  const fdatasync = fs.fdatasync;
  fs.fdatasync = (file, done) => {
    const started = performance.now();
    fdatasync(file, (error) => {
      const ms = performance.now() - started;
      syncs.count++;
      syncs.totalMs += ms;
      if (ms > SLOW_SYNC_MS) write({ type: 'sync', startMs: performance.timeOrigin + started, ms });
      done(error);
    });
  };
  // Named imports of node:fs (the audit store's) see the wrapper only after this.
  syncBuiltinESMExports();
  process.on('exit', () => write({ type: 'syncs', ...syncs }));
}

const dir = process.env.VIGIL_PAUSE_PROBE;
// Loaded with --import into the server; the load generator calls startPauseProbe itself.
if (dir !== undefined && dir !== '' && isMainThread) startPauseProbe(dir, 'server');
