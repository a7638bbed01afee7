import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors.js';
import { AccessWarning, isBotLike, type ObservedAccess } from './access-warning.js';
import type { RaiseAlertInput } from './alert.js';
import { DEFAULT_EARLY_WARNING, EarlyWarning, earlyWarningIssues } from './early-warning.js';

const T0 = Date.parse('2026-12-03T08:00:00Z') / 1000;
let n = 0;
const login = (t: number, customerId: string, fields: Partial<Extract<ObservedAccess, { kind: 'login' }>> = {}) =>
  ({ kind: 'login', eventId: `l${n++}`, timestampSeconds: t, customerId, success: true, ...fields }) as const;
const behaviour = (t: number, customerId: string, fields: Partial<Extract<ObservedAccess, { kind: 'behaviour' }>>) =>
  ({ kind: 'behaviour', eventId: `b${n++}`, timestampSeconds: t, customerId, ...fields }) as const;

function run(warning: AccessWarning, events: ObservedAccess[]): RaiseAlertInput[] {
  const alerts: RaiseAlertInput[] = [];
  for (const e of events) alerts.push(...warning.observe(e));
  return alerts;
}

test('failed logins: a burst of 5 in 10 minutes raises one alert naming them, at the 5th', () => {
  const warning = new AccessWarning();
  // A day of one successful login an hour, and a failed one now and then: no alert.
  const quiet = Array.from({ length: 24 }, (_, h) =>
    login(T0 + h * 3600, 'c1', { success: h % 6 !== 0, deviceId: 'd1' }),
  );
  assert.deepEqual(run(warning, quiet), []);
  const t = T0 + 30 * 3600;
  const burst = Array.from({ length: 7 }, (_, i) => login(t + i * 60, 'c1', { success: false, deviceId: 'd1' }));
  const fired: [number, RaiseAlertInput][] = [];
  burst.forEach((e, i) => {
    for (const a of warning.observe(e)) fired.push([i, a]);
  });
  assert.equal(fired.length, 1);
  const [at, alert] = fired[0] as [number, RaiseAlertInput];
  assert.equal(at, 4, 'at the 5th failure');
  assert.equal(alert.rule, 'failed_login_burst');
  assert.equal(alert.entityKind, 'customer');
  assert.equal(alert.severity, 'high');
  assert.equal(alert.title, 'customer c1: 5 failed logins in 10 minutes');
  assert.deepEqual(
    alert.evidence.eventIds,
    burst.slice(0, 5).map((e) => e.eventId),
  );
  assert.equal(warning.indicatorsOf('customer', 'c1')?.failedLogins, 7);
  // After the window has passed, a new burst fires again.
  const later = Array.from({ length: 5 }, (_, i) => login(t + 3600 + i, 'c1', { success: false }));
  assert.deepEqual(
    run(warning, later).map((a) => a.rule),
    ['failed_login_burst'],
  );
});

test('a successful login from a new device alerts once the customer has a known one; failures before raise its severity', () => {
  const warning = new AccessWarning();
  assert.deepEqual(run(warning, [login(T0, 'c2', { deviceId: 'phone' })]), [], 'the first device is not new');
  assert.deepEqual(run(warning, [login(T0 + 60, 'c2', { deviceId: 'phone' })]), []);
  const [alert, ...rest] = run(warning, [login(T0 + 120, 'c2', { deviceId: 'laptop' })]);
  assert.equal(rest.length, 0);
  assert.equal(alert?.rule, 'new_device_login');
  assert.equal(alert?.severity, 'low');
  assert.equal(alert?.title, 'customer c2: login from a new device');
  // Known now; a failed login from another device does not count as a login from it.
  assert.deepEqual(run(warning, [login(T0 + 180, 'c2', { deviceId: 'laptop' })]), []);
  assert.deepEqual(run(warning, [login(T0 + 200, 'c2', { deviceId: 'tablet', success: false })]), []);
  const [takeover] = run(warning, [login(T0 + 240, 'c2', { deviceId: 'tablet' })]);
  assert.equal(takeover?.severity, 'medium');
  assert.equal(takeover?.title, 'customer c2: login from a new device after 1 failed login(s) in 10 minutes');
  // New IPs are off by default, on by option.
  assert.deepEqual(run(warning, [login(T0 + 300, 'c2', { deviceId: 'tablet', ipAddress: 'ip9' })]), []);
  const withIps = new AccessWarning({ newIpLogin: true, newDeviceLogin: false });
  run(withIps, [login(T0, 'c3', { ipAddress: 'ip1', deviceId: 'd1' })]);
  assert.deepEqual(
    run(withIps, [login(T0 + 1, 'c3', { ipAddress: 'ip2', deviceId: 'd2' })]).map((a) => a.rule),
    ['new_ip_login'],
  );
});

test('an IP used by 40 customers in a day raises one alert at the 40th, and again the next day', () => {
  const warning = new AccessWarning({ kinds: ['ip'] });
  const events = Array.from({ length: 60 }, (_, i) => login(T0 + i * 30, `c${i}`, { ipAddress: 'shared-ip' }));
  const fired: number[] = [];
  events.forEach((e, i) => {
    for (const a of warning.observe(e)) if (a.rule === 'shared_customers') fired.push(i);
  });
  assert.deepEqual(fired, [39]);
  // Second logins the same day change nothing.
  assert.deepEqual(run(warning, [login(T0 + 7200, 'c0', { ipAddress: 'shared-ip' })]), []);
  assert.deepEqual(warning.indicatorsOf('ip', 'shared-ip'), {
    failedLogins: 0,
    logins: 61,
    distinctCustomersToday: 60,
  });
  const next = Array.from({ length: 40 }, (_, i) => login(T0 + 86_400 + i, `d${i}`, { ipAddress: 'shared-ip' }));
  const alerts = run(warning, next);
  assert.equal(alerts.length, 1);
  assert.equal(alerts[0]?.title, 'IP shared-ip shared by 40 customers today (logins)');
  assert.equal(alerts[0]?.evidence.eventIds.length, 40, 'the first login of each customer');
});

test('failed logins per device in a day: credential stuffing from one device over many customers', () => {
  const warning = new AccessWarning({ kinds: ['device'], failedLoginsPerDay: 30, customersPerDevicePerDay: 1000 });
  const events = Array.from({ length: 35 }, (_, i) =>
    login(T0 + i * 600, `c${i}`, { deviceId: 'rig', success: false }),
  );
  const alerts = run(warning, events);
  assert.deepEqual(
    alerts.map((a) => [a.rule, a.title]),
    [['failed_logins_day', 'device rig: 30 failed logins today']],
  );
});

test('bot-like behaviour: interaction rates beyond a person, 3 in the window raise one alert', () => {
  const o = DEFAULT_EARLY_WARNING;
  assert.equal(isBotLike({ dwellTimeMs: 1000, clicks: 4 }, o), false, '4 clicks a second is a person');
  assert.equal(isBotLike({ dwellTimeMs: 1000, clicks: 9 }, o), true);
  assert.equal(isBotLike({ dwellTimeMs: 100, clicks: 1 }, o), false, 'one fast click is no rate');
  assert.equal(isBotLike({ dwellTimeMs: 2000, keystrokes: 40 }, o), true, '20 keys a second');
  assert.equal(isBotLike({ dwellTimeMs: 0, clicks: 3 }, o), true);
  assert.equal(isBotLike({ clicks: 300 }, o), false, 'no dwell time, no rate');
  const warning = new AccessWarning();
  const human = Array.from({ length: 20 }, (_, i) =>
    behaviour(T0 + i * 20, 'c5', { dwellTimeMs: 15_000, clicks: 6, keystrokes: 30 }),
  );
  assert.deepEqual(run(warning, human), []);
  const bot = Array.from({ length: 4 }, (_, i) => behaviour(T0 + 500 + i, 'c5', { dwellTimeMs: 200, clicks: 5 }));
  const alerts = run(warning, bot);
  assert.deepEqual(
    alerts.map((a) => a.rule),
    ['bot_like_behaviour'],
  );
  assert.deepEqual(
    alerts[0]?.evidence.eventIds,
    bot.slice(0, 3).map((e) => e.eventId),
  );
});

test('memory is bounded: idle customers are forgotten, and the cap holds', () => {
  const warning = new AccessWarning({ idleSeconds: 600, maxEntitiesPerKind: 1000 });
  for (let i = 0; i < 5000; i++) warning.observe(login(T0 + i, `c${i}`, { ipAddress: `ip${i}`, deviceId: `d${i}` }));
  const counts = warning.entityCounts();
  assert.ok(counts.customer <= 1000 && counts.ip <= 1000 && counts.device <= 1000, JSON.stringify(counts));
  warning.observe(login(T0 + 10_000, 'late', {}));
  assert.equal(warning.entityCounts().customer, 1, 'every other customer was idle past 600 s');
});

test('options: the new thresholds are checked with the others, every problem listed with its path', () => {
  assert.deepEqual(
    earlyWarningIssues(
      { failedLoginsInWindow: 0, newDeviceLogin: 'yes', botClicksPerSecond: -1, shoeSize: 9, kinds: ['moon'] },
      ['earlyWarning'],
    ).map((i) => i.path.join('.')),
    [
      'earlyWarning.shoeSize',
      'earlyWarning.failedLoginsInWindow',
      'earlyWarning.botClicksPerSecond',
      'earlyWarning.newDeviceLogin',
      'earlyWarning.kinds',
    ],
  );
  assert.deepEqual(earlyWarningIssues(DEFAULT_EARLY_WARNING), []);
  assert.throws(
    () => new EarlyWarning({ knownPerCustomer: 1.5 }),
    (e: unknown) => e instanceof ConfigError && e.issues[0]?.path[0] === 'knownPerCustomer',
  );
});

test('a customer back after idleSeconds starts afresh, whether or not a sweep has dropped it yet', () => {
  const warning = new AccessWarning({ idleSeconds: 600 });
  // Sweeps at T0 and T0 + 599 (which keeps c1, seen 599 s before); c1's next login, 650 s after
  // its last, comes before the next sweep (T0 + 749). Its devices are forgotten: the new one is
  // its first known, not a new device.
  assert.deepEqual(run(warning, [login(T0, 'c1', { deviceId: 'd1' }), login(T0 + 599, 'c2')]), []);
  assert.equal(warning.indicatorsOf('customer', 'c1')?.knownDevices, 1, 'not swept yet');
  assert.deepEqual(run(warning, [login(T0 + 650, 'c1', { deviceId: 'd2' })]), []);
  assert.equal(warning.indicatorsOf('customer', 'c1')?.knownDevices, 1);
});
