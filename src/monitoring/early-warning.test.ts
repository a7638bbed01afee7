import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import type { RaiseAlertInput } from './alert.js';
import { EarlyWarning, type ObservedEvent } from './early-warning.js';
import { declineAlert, declineSeverity } from './model-alerts.js';

const T0 = Date.parse('2026-12-03T00:00:00Z') / 1000;
/** A tiny deterministic generator (mulberry32). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

let n = 0;
const ev = (t: number, fields: Partial<ObservedEvent> = {}): ObservedEvent => ({
  eventId: `e${n++}`,
  timestampSeconds: t,
  customerId: `c${n % 50}`,
  terminalId: 'T',
  decision: 'approve',
  score: 0.01,
  ...fields,
});

function run(warning: EarlyWarning, events: ObservedEvent[]): RaiseAlertInput[] {
  const alerts: RaiseAlertInput[] = [];
  for (const e of events) alerts.push(...warning.observe(e));
  return alerts;
}

test('a burst of high-risk transactions on one terminal raises one window alert naming its events', () => {
  const warning = new EarlyWarning({ kinds: ['terminal'] });
  const events: ObservedEvent[] = [];
  // An hour of steady traffic: 2 approved transactions a minute.
  for (let m = 0; m < 60; m++) for (let j = 0; j < 2; j++) events.push(ev(T0 + m * 60 + j * 20));
  assert.deepEqual(run(warning, events), [], 'steady traffic raises nothing');
  // Then 15 declines in 3 minutes (5 a minute), between the usual approvals.
  const burst: ObservedEvent[] = [];
  for (let m = 60; m < 63; m++) {
    burst.push(ev(T0 + m * 60));
    for (let j = 0; j < 5; j++) burst.push(ev(T0 + m * 60 + 10 + j, { decision: 'decline', score: 0.95 }));
  }
  // 5 high-risk a minute is under the spike minimum of 10: the window threshold is what fires.
  const alerts = run(warning, burst);
  assert.deepEqual(
    alerts.map((a) => a.rule),
    ['high_risk_window'],
  );
  const window = alerts[0] as RaiseAlertInput;
  assert.equal(window.title, 'terminal T: 12 high-risk transactions in 10 minutes');
  assert.equal(window.kind, 'early_warning');
  assert.equal(window.severity, 'high');
  assert.deepEqual(window.entityKind, 'terminal');
  const declined = burst.filter((e) => e.decision === 'decline').map((e) => e.eventId);
  assert.deepEqual(window.evidence.eventIds, declined.slice(0, 12));
  assert.deepEqual(window.evidence.indicators, { highRiskInWindow: 12, eventsInWindow: 29 });
  const indicators = warning.indicatorsOf('terminal', 'T');
  assert.equal(indicators?.window.highRisk, 15);
  assert.equal(indicators?.window.events, 32);
  assert.equal(indicators?.bucket.declines, 5);
  assert.equal(indicators?.history.buckets, 62);
  // Ten quiet minutes later the window is clear; 12 reviews in one minute then raise the window
  // alert again and, against the terminal's 2 a minute and almost no high-risk ones, two spikes.
  const quiet = Array.from({ length: 20 }, (_, i) => ev(T0 + 63 * 60 + i * 30));
  assert.deepEqual(run(warning, quiet), []);
  assert.equal(warning.indicatorsOf('terminal', 'T')?.window.highRisk, 0);
  const again = Array.from({ length: 12 }, (_, i) => ev(T0 + 73 * 60 + i * 4, { decision: 'review', score: 0.4 }));
  const second = run(warning, again);
  assert.deepEqual(
    second.map((a) => a.rule),
    ['high_risk_spike', 'volume_spike', 'high_risk_window'],
  );
  assert.match(second[0]?.title ?? '', /^terminal T: 10 high-risk transactions in 1 minute, usually 0\.\d$/);
  assert.equal(second[0]?.evidence.eventIds.length, 10);
});

test('steady random traffic over many entities raises no alert', () => {
  const warning = new EarlyWarning();
  const rand = random(11);
  const events: ObservedEvent[] = [];
  for (let s = 0; s < 4 * 3600; s += 1) {
    // About 1.2 events a second over 40 terminals, 400 customers with their own IP and device; 5 % reviewed, 1 % declined.
    if (rand() > 1.2 / 2) continue;
    for (let j = 0; j < 2; j++) {
      const c = Math.floor(rand() * 400);
      const u = rand();
      events.push(
        ev(T0 + s, {
          customerId: `c${c}`,
          terminalId: `T${Math.floor(rand() * 40)}`,
          ipAddress: `ip${c}`,
          deviceId: `d${c}`,
          decision: u < 0.01 ? 'decline' : u < 0.06 ? 'review' : 'approve',
          score: u,
        }),
      );
    }
  }
  assert.ok(events.length > 15_000);
  assert.deepEqual(run(warning, events), []);
  assert.deepEqual(warning.entityCounts(), { customer: 400, terminal: 40, ip: 400, device: 400 });
});

test('an IP shared by N customers raises one alert at the threshold, once a day', () => {
  const warning = new EarlyWarning({ kinds: ['ip', 'device'], customersPerIpPerDay: 40 });
  const events = Array.from({ length: 60 }, (_, i) =>
    ev(T0 + 3600 + i * 60, { customerId: `c${i}`, ipAddress: 'IPX', deviceId: `d${i}` }),
  );
  // The same customers again the same day: no new alert.
  const repeat = events.map((e, i) => ({ ...e, eventId: `r${i}`, timestampSeconds: T0 + 8 * 3600 + i * 60 }));
  const alerts = run(warning, [...events, ...repeat]);
  assert.deepEqual(
    alerts.map((a) => a.title),
    ['IP IPX shared by 40 customers today'],
  );
  const [alert] = alerts as [RaiseAlertInput];
  assert.equal(alert.rule, 'shared_customers');
  assert.equal(alert.entityKind, 'ip');
  assert.equal(alert.title, 'IP IPX shared by 40 customers today');
  assert.deepEqual(alert.evidence.indicators, { distinctCustomersToday: 40 });
  assert.equal(alert.evidence.eventIds.at(-1), events[39]?.eventId, 'the alert names the event that reached 40');
  assert.equal(warning.indicatorsOf('ip', 'IPX')?.distinctCustomersToday, 60);
  // The next UTC day counts again from zero.
  const tomorrow = Array.from({ length: 40 }, (_, i) =>
    ev(T0 + 86_400 + 3600 + i * 60, { customerId: `c${i}`, ipAddress: 'IPX' }),
  );
  assert.equal(run(warning, tomorrow).length, 1);
  // 39 customers on a device under a threshold of 40 would be an alert at the default 10.
  const device = run(
    new EarlyWarning({ kinds: ['device'] }),
    Array.from({ length: 12 }, (_, i) => ev(T0 + i, { customerId: `k${i}`, deviceId: 'D1' })),
  );
  assert.deepEqual(
    device.map((a) => a.title),
    ['device D1 shared by 10 customers today'],
  );
});

test('spikes against the entity’s own history: a quiet terminal going to a few is not one, a busy one going five-fold is', () => {
  const warning = new EarlyWarning({ kinds: ['terminal'] });
  const quiet: ObservedEvent[] = [];
  // One transaction an hour for two days, then 9 in one minute: under the minimum count of 10.
  for (let h = 0; h < 48; h++) quiet.push(ev(T0 + h * 3600, { terminalId: 'Q' }));
  for (let j = 0; j < 9; j++) quiet.push(ev(T0 + 48 * 3600 + j, { terminalId: 'Q' }));
  assert.deepEqual(run(warning, quiet), []);
  // About 4 a minute (3 to 5) for two hours, then 20 in a minute: a spike once 4 + 6 × 2 = 16 are in.
  const rand = random(3);
  const busy: ObservedEvent[] = [];
  const from = T0 + 50 * 3600;
  for (let m = 0; m < 120; m++) {
    const k = 3 + Math.floor(rand() * 3);
    for (let j = 0; j < k; j++) busy.push(ev(from + m * 60 + j, { terminalId: 'B' }));
  }
  assert.deepEqual(run(warning, busy), []);
  const surge = Array.from({ length: 20 }, (_, j) => ev(from + 120 * 60 + j, { terminalId: 'B' }));
  const alerts = run(warning, surge);
  assert.deepEqual(
    alerts.map((a) => a.rule),
    ['volume_spike'],
  );
  const z = alerts[0]?.evidence.indicators?.z as number;
  assert.ok(z >= 6 && z < 6.6, `z = ${z}`);
  assert.match(alerts[0]?.title ?? '', /^terminal B: 1[67] events in 1 minute, usually [34]\.\d$/);
});

test('the history after gaps of any length is what folding each empty bucket one by one gives', () => {
  const halfLife = 60;
  // Idle entities are forgotten after idleSeconds: longer than the longest gap here.
  const warning = new EarlyWarning({ kinds: ['terminal'], historyHalfLifeBuckets: halfLife, idleSeconds: 7 * 86_400 });
  const a = 1 - 2 ** (-1 / halfLife);
  // Buckets (of 60 s) with events and how many; gaps of 0 to 5,000 empty buckets between them.
  const busyBuckets: [bucket: number, events: number][] = [
    [0, 3],
    [1, 5],
    [2, 1],
    [40, 7],
    [41, 2],
    [300, 4],
    [5_301, 6],
    [5_302, 1],
  ];
  let mean = 0;
  let variance = 0;
  let folded = 0;
  const fold = (x: number) => {
    if (folded++ === 0) {
      mean = x;
      return;
    }
    const d = x - mean;
    mean += a * d;
    variance = (1 - a) * (variance + a * d * d);
  };
  let previous: number | undefined;
  for (const [bucket, events] of busyBuckets) {
    if (previous !== undefined) {
      fold(busyBuckets.find(([b]) => b === previous)?.[1] as number);
      for (let empty = previous + 1; empty < bucket; empty++) fold(0);
    }
    for (let j = 0; j < events; j++) warning.observe(ev(T0 + bucket * 60 + j, { terminalId: 'G' }));
    const history = warning.indicatorsOf('terminal', 'G')?.history;
    assert.ok(history !== undefined);
    assert.ok(
      Math.abs(history.eventsMean - mean) <= 1e-12 * Math.max(1, mean),
      `bucket ${bucket}: mean ${history.eventsMean} ${mean}`,
    );
    assert.ok(Math.abs(history.eventsSd - Math.sqrt(variance)) <= 1e-9, `bucket ${bucket}: sd`);
    previous = bucket;
  }
  assert.ok(mean > 0 && variance > 0);
});

test('a high decline rate over the window raises an alert', () => {
  const warning = new EarlyWarning({ kinds: ['customer'], highRiskInWindow: 1000 });
  const events = Array.from({ length: 20 }, (_, i) =>
    ev(T0 + i * 20, { customerId: 'C1', decision: i % 2 === 0 ? 'decline' : 'approve' }),
  );
  const alerts = run(warning, events);
  assert.deepEqual(
    alerts.map((a) => a.title),
    ['customer C1: 50% of 20 transactions declined in 10 minutes'],
  );
});

test('memory stays bounded on ever-new IPs: idle entities and, past the cap, the least recently seen are forgotten', () => {
  const idle = new EarlyWarning({ kinds: ['ip', 'terminal'], idleSeconds: 600 });
  // Two hours, two events a second, each from a new IP, at one terminal.
  for (let i = 0; i < 14_400; i++) idle.observe(ev(T0 + i / 2, { ipAddress: `new-${i}` }));
  const counts = idle.entityCounts();
  // At most the idle time plus the sweep interval (a quarter of it) of new IPs: 2 × (600 + 150).
  assert.ok((counts.ip as number) <= 1500, `${counts.ip} IPs held`);
  assert.equal(counts.terminal, 1, 'the busy terminal is kept');
  assert.equal(idle.indicatorsOf('ip', 'new-0'), undefined);
  const capped = new EarlyWarning({ kinds: ['ip', 'terminal'], maxEntitiesPerKind: 1000 });
  for (let i = 0; i < 50_000; i++) capped.observe(ev(T0 + i / 1000, { ipAddress: `burst-${i}` }));
  assert.ok((capped.entityCounts().ip as number) <= 1000);
  assert.ok(capped.indicatorsOf('ip', 'burst-49999') !== undefined, 'the newest are kept');
  assert.equal(capped.indicatorsOf('ip', 'burst-0'), undefined);
  // An entity seen again moves to the back of the line: the terminal survives every eviction.
  assert.equal(capped.indicatorsOf('terminal', 'T')?.window.events !== undefined, true);
});

test('options are checked, every problem listed', () => {
  assert.throws(
    () => new EarlyWarning({ bucketSeconds: 0, windowBuckets: 2.5, declineRate: 2, kinds: ['planet' as never] }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.deepEqual(
        e.issues.map((i) => i.path[0]),
        ['bucketSeconds', 'windowBuckets', 'declineRate', 'kinds'],
      );
      return true;
    },
  );
});

test('model alerts: one per decline, severity from where the score lies above the threshold', () => {
  assert.equal(declineSeverity(0.4, 0.4), 'medium');
  assert.equal(declineSeverity(0.65, 0.4), 'high');
  assert.equal(declineSeverity(0.85, 0.4), 'critical');
  const alert = declineAlert({ eventId: 't1', customerId: 'a'.repeat(32), score: 0.9, reasons: ['band'] }, 0.4);
  assert.equal(alert.kind, 'model');
  assert.equal(alert.entityKind, 'customer');
  assert.equal(alert.title, 'customer aaaaaaaa…: transaction t1 declined, score 0.900');
  assert.deepEqual(alert.evidence.eventIds, ['t1']);
});

test('an entity back after idleSeconds starts afresh, whether or not a sweep has dropped it yet', () => {
  const warning = new EarlyWarning({ kinds: ['terminal'], idleSeconds: 600 });
  // Sweeps run at the first event of each quarter of the idle time: at T0, then at T0 + 599,
  // which keeps Q (seen 599 s before). Q's next event, 650 s after its last, comes before the
  // next sweep (T0 + 749).
  warning.observe(ev(T0, { terminalId: 'Q' }));
  warning.observe(ev(T0 + 599, { terminalId: 'other' }));
  assert.equal(warning.indicatorsOf('terminal', 'Q')?.firstSeenSeconds, T0, 'not swept yet');
  warning.observe(ev(T0 + 650, { terminalId: 'Q' }));
  assert.equal(warning.indicatorsOf('terminal', 'Q')?.firstSeenSeconds, T0 + 650);
});
