// Soak of the real-time risk service (issue 5: "10 minutes at half the measured capacity with flat
// memory"). `vigil serve` runs as a child process with a real SQLite audit store; this process sends
// it the fraud_sim events in time order from the file's start (2018-04-01), one per request, at a
// fixed rate (open loop, `sendOnSchedule`). Should the file run out, a second pass sends it again
// with its times shifted forward by its span and new ids (time only goes forward).
//
// Every second it reads the server's /metrics and /proc; every --sample-seconds it records a
// sample: RSS, V8 heap used (lowest and highest reading of the window), entities and held events
// of the online state (vigil_online_entities, vigil_online_held_events), decisions/s, the client's
// p50/p99 latency of the window, and non-200 answers. It also keeps the heap read in the second
// after each full (major) collection, the live heap: in between, the old generation holds garbage
// not yet collected and the readings climb until the next full collection, leak or not.
//
// Verdict: memory is flat when the least-squares slopes of RSS (10 s samples) and of the heap after
// full collections over the second half of the run are under the leak threshold,
// LEAK_BYTES_PER_DECISION × rate (null, undecided, with fewer than 3 full collections). Anything a
// service kept per decision would cost at least that: V8's smallest object is 16 bytes (a map
// pointer and one field), an entry in a Map or a string id 40 bytes or more. At 2,500/s that is
// 2.3 MiB/min. The entities and held events are printed beside memory with their own slopes: they
// grow legitimately while new customers appear and windows fill (the longest fraud-handbook window
// is 30 days, after a 7-day delay for terminals), so growth of memory with them is state, without
// them a leak.
//
// Before the timed part, the first --warmup-days of the file (default 90) go in batches of 1,000,
// unmeasured, so the state is past filling its windows when the clock starts: an empty state
// grows for weeks of event time, and the entities' arrays settle over months (each moves only
// when it fills), which in a 10-minute soak from empty reads as growth. --warmup-days 0 starts
// empty.
//
// Run: npm run bench:soak [-- --minutes 10 --rate 2500 --connections 32 --sample-seconds 10
//        --warmup-days 90 --model DIR --data FILE --keep]
// Without --model it trains one first (mlp on fraud-handbook features, July 2018).
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  DEFAULT_DATA,
  decisionsTotal,
  eventsInPasses,
  httpClient,
  postInBatches,
  readEventColumns,
  rssMiBOf,
  sampleValue,
  sendOnSchedule,
  startServer,
  trainBenchModel,
} from './service-harness.js';

/** The smallest cost of keeping anything per decision (see above). */
const LEAK_BYTES_PER_DECISION = 16;

const { values } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '2500' },
    connections: { type: 'string', default: '32' },
    'sample-seconds': { type: 'string', default: '10' },
    'warmup-days': { type: 'string', default: '90' },
    data: { type: 'string', default: DEFAULT_DATA },
    model: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const minutes = Number(values.minutes);
const rate = Number(values.rate);
const sampleSeconds = Number(values['sample-seconds']);
const MiB = 1024 * 1024;
const round = (x: number, digits = 3) => Number(x.toFixed(digits));
const quantile = (sorted: Float64Array, q: number) =>
  sorted.length === 0 ? Number.NaN : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);

/** Least-squares slope of `ys` against `xs`. */
function slope(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += ((xs[i] as number) - mx) * ((ys[i] as number) - my);
    den += ((xs[i] as number) - mx) ** 2;
  }
  return den === 0 ? Number.NaN : num / den;
}

interface Sample {
  tSeconds: number;
  rssMiB: number;
  heapUsedFloorMiB: number;
  heapUsedMaxMiB: number;
  entities: Record<string, number>;
  heldEvents: number;
  decisionsPerSec: number;
  answeredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non200: number;
  eventTime: string;
}

const work = await mkdtemp(join(tmpdir(), 'vigil-soak-'));
const client = httpClient(Number(values.connections));
try {
  const columns = await readEventColumns(values.data, { withTrainLines: values.model === undefined });
  const model = values.model ?? trainBenchModel(columns.trainCsvLines, work);
  const warmupMs = Number(values['warmup-days']) * 86_400_000;
  const firstMs = columns.timeMs[0] as number;
  let warmupEvents = 0;
  while (warmupEvents < columns.n && (columns.timeMs[warmupEvents] as number) < firstMs + warmupMs) warmupEvents++;
  const needed = warmupEvents + Math.ceil(rate * minutes * 60) + rate;
  const all = eventsInPasses(columns, Math.ceil(needed / columns.n));
  // The timed part: the events after the warm-up's.
  const events = { length: all.length - warmupEvents, at: (i: number) => all.at(warmupEvents + i) };
  const { child, url } = await startServer(model, join(work, 'audit.db'), {
    // The replay compresses months into minutes, so requests on many connections overtake each
    // other by minutes of event time (as in bench:service).
    serveArgs: ['--max-lateness', '3600'],
  });
  const pid = child.pid as number;
  try {
    const warmupStart = performance.now();
    await postInBatches(client, url, all, warmupEvents, 'warm-up batch');
    const warmupSeconds = (performance.now() - warmupStart) / 1000;
    const durationMs = minutes * 60_000;
    const samples: Sample[] = [];
    const statuses = new Map<number, number>();
    let windowLatencies: number[] = [];
    let windowNon200 = 0;
    let lastIndex = 0;
    let heapFloor = Number.POSITIVE_INFINITY;
    let heapMax = 0;
    let lastMetrics = '';
    // The heap read in the second after a full (major) collection: the live heap plus at most a
    // second of new allocation. Between those, the old generation also holds garbage not yet
    // collected, so the heap's readings rise until the next full collection whether or not
    // anything leaks; these readings are the ones a leak lifts.
    const afterMajorGc: { tSeconds: number; heapUsedMiB: number }[] = [];
    let majorGcs = Number.NaN;
    const start = performance.now();
    let windowStart = start;
    let decisionsBefore = 0;
    const readMetrics = async () => {
      lastMetrics = (await client.get(url, '/metrics')).text;
      const heap = sampleValue(lastMetrics, 'nodejs_heap_size_used_bytes') / MiB;
      heapFloor = Math.min(heapFloor, heap);
      heapMax = Math.max(heapMax, heap);
      const major = sampleValue(lastMetrics, 'nodejs_gc_duration_seconds_count{kind="major"}');
      if (major > majorGcs)
        afterMajorGc.push({ tSeconds: round((performance.now() - start) / 1000, 1), heapUsedMiB: round(heap, 1) });
      majorGcs = major;
    };
    const takeSample = () => {
      const now = performance.now();
      const seconds = (now - windowStart) / 1000;
      const decisions = decisionsTotal(lastMetrics);
      const sorted = Float64Array.from(windowLatencies).sort();
      const entities: Record<string, number> = {};
      for (const m of lastMetrics.matchAll(/^vigil_online_entities\{key="(\w+)"\} (\d+)$/gm))
        entities[m[1] as string] = Number(m[2]);
      samples.push({
        tSeconds: round((now - start) / 1000, 1),
        rssMiB: rssMiBOf(pid),
        heapUsedFloorMiB: round(heapFloor, 1),
        heapUsedMaxMiB: round(heapMax, 1),
        entities,
        heldEvents: sampleValue(lastMetrics, 'vigil_online_held_events'),
        decisionsPerSec: Math.round((decisions - decisionsBefore) / seconds),
        answeredPerSec: Math.round(windowLatencies.length / seconds),
        p50Ms: round(quantile(sorted, 0.5)),
        p99Ms: round(quantile(sorted, 0.99)),
        non200: windowNon200,
        eventTime: events.at(lastIndex).timestamp,
      });
      decisionsBefore = decisions;
      windowStart = now;
      windowLatencies = [];
      windowNon200 = 0;
      heapFloor = Number.POSITIVE_INFINITY;
      heapMax = 0;
    };
    await readMetrics();
    // The warm-up's decisions are not the timed part's.
    decisionsBefore = decisionsTotal(lastMetrics);
    takeSample();
    // Readings every second, a sample every sampleSeconds; a scrape is skipped while one is out.
    let scraping = false;
    let ticks = 0;
    const timer = setInterval(() => {
      if (scraping) return;
      scraping = true;
      ticks++;
      readMetrics()
        .then(() => {
          if (ticks % sampleSeconds === 0) takeSample();
        })
        .finally(() => {
          scraping = false;
        });
    }, 1000);
    const { sent, seconds } = await sendOnSchedule(
      events,
      rate,
      (event) => client.post(url, '/v1/events', event),
      (i, status, _text, ms) => {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        windowLatencies.push(ms);
        if (status !== 200) windowNon200++;
        lastIndex = Math.max(lastIndex, i);
      },
      () => performance.now() - start >= durationMs,
    );
    clearInterval(timer);
    const alive = child.exitCode === null;

    // The second half of the run (the first sample at or after half time, to the last).
    const half = samples.filter((s) => s.tSeconds >= (minutes * 60) / 2);
    const perMinute = (pick: (s: Sample) => number) =>
      half.length < 3
        ? Number.NaN
        : round(
            slope(
              half.map((s) => s.tSeconds / 60),
              half.map(pick),
            ),
          );
    const thresholdMiBPerMin = round((LEAK_BYTES_PER_DECISION * rate * 60) / MiB);
    const rssSlope = perMinute((s) => s.rssMiB);
    const heapFloorSlope = perMinute((s) => s.heapUsedFloorMiB);
    const halfGcs = afterMajorGc.filter((g) => g.tSeconds >= (minutes * 60) / 2);
    // At least 3 full collections, a quarter of the run apart from first to last: fewer, or
    // bunched, and a slope says nothing.
    const gcSpanSeconds = (halfGcs.at(-1)?.tSeconds ?? 0) - (halfGcs[0]?.tSeconds ?? 0);
    const heapSlope =
      halfGcs.length < 3 || gcSpanSeconds < (minutes * 60) / 4
        ? Number.NaN
        : round(
            slope(
              halfGcs.map((g) => g.tSeconds / 60),
              halfGcs.map((g) => g.heapUsedMiB),
            ),
          );
    const entityKeys = Object.keys(samples.at(-1)?.entities ?? {});
    // Too few full collections in the second half (a short run): the heap cannot be judged.
    const memoryFlat = Number.isNaN(heapSlope) ? null : rssSlope < thresholdMiBPerMin && heapSlope < thresholdMiBPerMin;
    // Held events growing by over 1 % a minute: windows still filling, memory may grow with them.
    const heldSlope = perMinute((s) => s.heldEvents);
    const heldMean = half.reduce((a, s) => a + s.heldEvents, 0) / Math.max(1, half.length);
    const stateGrowthPctPerMin = round((100 * heldSlope) / heldMean, 2);
    console.log(
      JSON.stringify(
        {
          data: values.data,
          model,
          minutes,
          targetRatePerSec: rate,
          connections: Number(values.connections),
          sent,
          // Until the last answer: a server behind schedule drains its queue after the send stops.
          seconds: round(seconds, 1),
          achievedRatePerSec: Math.round(sent / seconds),
          passesOverFile: round((warmupEvents + sent) / columns.n),
          warmup: { days: Number(values['warmup-days']), events: warmupEvents, seconds: round(warmupSeconds, 1) },
          statuses: Object.fromEntries(statuses),
          serverAlive: alive,
          samples,
          heapAfterMajorGc: afterMajorGc,
          secondHalf: {
            fromSeconds: half[0]?.tSeconds,
            samples: half.length,
            rssSlopeMiBPerMin: rssSlope,
            heapAfterMajorGcSlopeMiBPerMin: heapSlope,
            majorGcs: halfGcs.length,
            heapUsedFloorSlopeMiBPerMin: heapFloorSlope,
            heldEventsSlopePerMin: heldSlope,
            heldEventsGrowthPctPerMin: stateGrowthPctPerMin,
            entitiesSlopePerMin: Object.fromEntries(entityKeys.map((k) => [k, perMinute((s) => s.entities[k] ?? 0)])),
            p99MsMax: Math.max(...half.map((s) => s.p99Ms)),
          },
          verdict: {
            thresholdMiBPerMin,
            threshold: `${LEAK_BYTES_PER_DECISION} bytes per decision at ${rate}/s: the smallest cost of keeping anything per decision`,
            memoryFlat,
            ...(memoryFlat === null
              ? {
                  why: `${halfGcs.length} full collection(s) over ${round(gcSpanSeconds, 1)} s of the second half; 3 over a quarter of the run are needed to judge the heap`,
                }
              : {}),
            stateStillGrowing: stateGrowthPctPerMin > 1,
            ...(memoryFlat === false && stateGrowthPctPerMin > 1
              ? {
                  note: `the online state grew ${stateGrowthPctPerMin} %/min over the same span (windows still filling): run past 37 days of event time to tell state from a leak`,
                }
              : {}),
          },
        },
        null,
        2,
      ),
    );
    child.kill('SIGTERM');
    await once(child, 'exit');
    if (!alive || memoryFlat === false) process.exitCode = 1;
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
} finally {
  client.close();
  if (!values.keep) await rm(work, { recursive: true, force: true });
  else console.error(`kept ${work}`);
}
