/**
 * Early warning on login and behaviour events, which the model does not score: failed-login
 * bursts and logins from a new device (or IP) per customer, logins, failed logins and distinct
 * customers per IP address and device in a UTC day, and bot-like interaction rates. Thresholds
 * and the window come from the same options as {@link EarlyWarning}; events are taken as they
 * come (windows are counted back from the latest event time an entity has seen).
 */
import type { RaiseAlertInput } from './alert.js';
import {
  checkEarlyWarningOptions,
  type EarlyWarningOptions,
  entityLabel,
  MAX_DISTINCT_CUSTOMERS,
} from './early-warning.js';
import type { EntityKind } from './entity-kinds.js';

/** A login or behaviour event as access warning reads it; personal ids are pseudonyms. */
export type ObservedAccess =
  | {
      kind: 'login';
      eventId: string;
      timestampSeconds: number;
      customerId: string;
      ipAddress?: string | undefined;
      deviceId?: string | undefined;
      success: boolean;
    }
  | {
      kind: 'behaviour';
      eventId: string;
      timestampSeconds: number;
      customerId: string;
      ipAddress?: string | undefined;
      deviceId?: string | undefined;
      dwellTimeMs?: number | undefined;
      clicks?: number | undefined;
      keystrokes?: number | undefined;
    };

/** A customer's or an address's login indicators, as a profile or a test reads them. */
export interface AccessIndicators {
  /** Customers: failed logins in the window ending at the latest event; addresses: in the UTC day. */
  failedLogins: number;
  /** Customers: bot-like behaviour events in the window. */
  botLikeEvents?: number;
  /** Customers: devices and IPs remembered from successful logins. */
  knownDevices?: number;
  knownIps?: number;
  /** Addresses: logins and distinct customers logging in, in the UTC day of the latest event. */
  logins?: number;
  distinctCustomersToday?: number;
}

/**
 * Interactions a behaviour event needs before its rate is judged: one click 50 ms after a page
 * shows is a fast human, not a rate.
 */
export const MIN_INTERACTIONS_FOR_RATE = 3;

const DAY_SECONDS = 86_400;
const FAILED_BURST = 1;
const BOT_LIKE = 2;
const SHARED = 4;
const FAILED_DAY = 8;

/** Times and ids of recent events in a window, oldest first, at most `cap`. */
class Recent {
  readonly times: number[] = [];
  readonly ids: string[] = [];

  add(t: number, id: string, cap: number): void {
    this.times.push(t);
    this.ids.push(id);
    if (this.times.length > cap) {
      this.times.shift();
      this.ids.shift();
    }
  }

  /** Drops events before `from`; returns how many are left. */
  since(from: number): number {
    let drop = 0;
    while (drop < this.times.length && (this.times[drop] as number) < from) drop++;
    if (drop > 0) {
      this.times.splice(0, drop);
      this.ids.splice(0, drop);
    }
    return this.times.length;
  }
}

class CustomerAccess {
  lastSeconds: number;
  fired = 0;
  readonly failed = new Recent();
  readonly botLike = new Recent();
  /** Devices and IPs of successful logins, least recent first (a Set keeps insertion order). */
  readonly devices = new Set<string>();
  readonly ips = new Set<string>();

  constructor(t: number) {
    this.lastSeconds = t;
  }
}

class AddressAccess {
  lastSeconds: number;
  fired = 0;
  day = -1;
  logins = 0;
  failedLogins = 0;
  /** Each customer logging in today with their first login's id. */
  customers = new Map<string, string>();

  constructor(t: number) {
    this.lastSeconds = t;
  }
}

/** Keeps `value` in `set` as its most recent member, forgetting the least recent past `cap`; true when it was new. */
function remember(set: Set<string>, value: string, cap: number): boolean {
  const known = set.delete(value);
  set.add(value);
  if (set.size > cap) set.delete(set.values().next().value as string);
  return !known;
}

/** Whether a behaviour event's interaction rate is beyond what a person sustains. */
export function isBotLike(
  e: { dwellTimeMs?: number | undefined; clicks?: number | undefined; keystrokes?: number | undefined },
  options: Pick<Required<EarlyWarningOptions>, 'botClicksPerSecond' | 'botKeystrokesPerSecond'>,
): boolean {
  const dwell = e.dwellTimeMs;
  if (dwell === undefined) return false;
  const clicks = e.clicks ?? 0;
  const keys = e.keystrokes ?? 0;
  // A zero dwell time with interactions is itself impossible for a person.
  if (dwell === 0) return clicks + keys >= MIN_INTERACTIONS_FOR_RATE;
  const seconds = dwell / 1000;
  return (
    (clicks >= MIN_INTERACTIONS_FOR_RATE && clicks / seconds >= options.botClicksPerSecond) ||
    (keys >= MIN_INTERACTIONS_FOR_RATE && keys / seconds >= options.botKeystrokesPerSecond)
  );
}

/**
 * Login and behaviour indicators per customer, IP address and device, and the alerts they raise.
 * Triggers (rule names), each firing once when its condition starts to hold and again only after
 * it stopped (and deduplicated in the store on top):
 * - `failed_login_burst` (customer, high): ≥ `failedLoginsInWindow` failed logins in the window;
 * - `new_device_login` / `new_ip_login` (customer, low; medium after a failed login in the
 *   window): a successful login from a device (IP) not among the customer's known ones, once the
 *   customer has one known — every login of it alerts, deduplicated into one open alert;
 * - `shared_customers` (IP, device, high): distinct customers logging in in a UTC day ≥
 *   `customersPerIpPerDay` / `customersPerDevicePerDay` (counted over logins, apart from the
 *   transactions' count of {@link EarlyWarning});
 * - `failed_logins_day` (IP, device, high): ≥ `failedLoginsPerDay` failed logins in a UTC day;
 * - `bot_like_behaviour` (customer, medium): ≥ `botEventsInWindow` behaviour events in the window
 *   with at least {@link MIN_INTERACTIONS_FOR_RATE} clicks (keystrokes) at ≥ `botClicksPerSecond`
 *   (`botKeystrokesPerSecond`) of dwell time.
 *
 * @example
 * const access = new AccessWarning({ failedLoginsInWindow: 5 });
 * for (const alert of access.observe({ kind: 'login', eventId, timestampSeconds, customerId,
 *   success: false })) await alerts.raise(alert, Date.now());
 */
export class AccessWarning {
  readonly options: Readonly<Required<EarlyWarningOptions>>;
  private readonly customers = new Map<string, CustomerAccess>();
  private readonly ips = new Map<string, AddressAccess>();
  private readonly devices = new Map<string, AddressAccess>();
  private readonly windowSeconds: number;
  private readonly windowText: string;
  private nextSweepSeconds = Number.NEGATIVE_INFINITY;

  constructor(options: EarlyWarningOptions = {}) {
    this.options = checkEarlyWarningOptions(options);
    this.windowSeconds = this.options.bucketSeconds * this.options.windowBuckets;
    const w = this.windowSeconds;
    this.windowText = w % 60 === 0 ? (w === 60 ? '1 minute' : `${w / 60} minutes`) : `${w} seconds`;
  }

  /** Updates the event's customer, IP and device; returns the alerts it raises. */
  observe(event: ObservedAccess): RaiseAlertInput[] {
    const o = this.options;
    const t = event.timestampSeconds;
    if (t >= this.nextSweepSeconds) {
      this.evictIdle(t);
      this.nextSweepSeconds = t + o.idleSeconds / 4;
    }
    const alerts: RaiseAlertInput[] = [];
    const kinds = o.kinds;
    if (kinds.includes('customer')) this.observeCustomer(event, t, alerts);
    if (event.kind === 'login') {
      if (event.ipAddress !== undefined && event.ipAddress !== '' && kinds.includes('ip'))
        this.observeAddress('ip', this.ips, event.ipAddress, event, t, alerts);
      if (event.deviceId !== undefined && event.deviceId !== '' && kinds.includes('device'))
        this.observeAddress('device', this.devices, event.deviceId, event, t, alerts);
    }
    return alerts;
  }

  /** A customer's (or an IP's, a device's) indicators, or undefined when not held. */
  indicatorsOf(kind: EntityKind, id: string): AccessIndicators | undefined {
    if (kind === 'customer') {
      const c = this.customers.get(id);
      if (c === undefined) return undefined;
      const from = c.lastSeconds - this.windowSeconds;
      return {
        failedLogins: c.failed.since(from),
        botLikeEvents: c.botLike.since(from),
        knownDevices: c.devices.size,
        knownIps: c.ips.size,
      };
    }
    const a = (kind === 'ip' ? this.ips : kind === 'device' ? this.devices : undefined)?.get(id);
    if (a === undefined) return undefined;
    return { failedLogins: a.failedLogins, logins: a.logins, distinctCustomersToday: a.customers.size };
  }

  /** Entities held per kind (for tests of bounded memory). */
  entityCounts(): { customer: number; ip: number; device: number } {
    return { customer: this.customers.size, ip: this.ips.size, device: this.devices.size };
  }

  private held<T extends { lastSeconds: number }>(map: Map<string, T>, id: string, make: () => T, t: number): T {
    let e = map.get(id);
    // Re-inserted at each event: the map's order is then least recently seen first, which the
    // idle sweep and the cap read from the front.
    if (e !== undefined) map.delete(id);
    // Idle past idleSeconds is new whether or not a sweep has dropped it yet: what the state holds
    // then depends on event times alone, not on when sweeps ran (a replay sweeps at other times).
    if (e === undefined || e.lastSeconds < t - this.options.idleSeconds) e = make();
    e.lastSeconds = Math.max(e.lastSeconds, t);
    map.set(id, e);
    if (map.size > this.options.maxEntitiesPerKind) {
      let drop = map.size - Math.floor(this.options.maxEntitiesPerKind * 0.9);
      for (const key of map.keys()) {
        if (drop-- <= 0) break;
        map.delete(key);
      }
    }
    return e;
  }

  private fires(e: { fired: number }, bit: number, holds: boolean): boolean {
    if (!holds) {
      e.fired &= ~bit;
      return false;
    }
    if ((e.fired & bit) !== 0) return false;
    e.fired |= bit;
    return true;
  }

  private observeCustomer(event: ObservedAccess, t: number, alerts: RaiseAlertInput[]): void {
    const o = this.options;
    const id = event.customerId;
    const c = this.held(this.customers, id, () => new CustomerAccess(t), t);
    const from = c.lastSeconds - this.windowSeconds;
    const cap = Math.max(o.evidenceEvents, o.failedLoginsInWindow, o.botEventsInWindow);
    const who = entityLabel('customer', id);
    if (event.kind === 'login') {
      if (!event.success) c.failed.add(t, event.eventId, cap);
      const failed = c.failed.since(from);
      if (this.fires(c, FAILED_BURST, failed >= o.failedLoginsInWindow))
        alerts.push(
          this.alert(
            'customer',
            id,
            'failed_login_burst',
            'high',
            `${who}: ${failed} failed logins in ${this.windowText}`,
            [...c.failed.ids],
            { failedLoginsInWindow: failed },
          ),
        );
      if (!event.success) return;
      for (const [field, known, enabled, rule, noun] of [
        ['deviceId', c.devices, o.newDeviceLogin, 'new_device_login', 'device'],
        ['ipAddress', c.ips, o.newIpLogin, 'new_ip_login', 'IP address'],
      ] as const) {
        const value = event[field];
        if (value === undefined || value === '') continue;
        const hadAny = known.size > 0;
        const isNew = remember(known, value, o.knownPerCustomer);
        if (enabled && isNew && hadAny)
          alerts.push(
            this.alert(
              'customer',
              id,
              rule,
              failed > 0 ? 'medium' : 'low',
              `${who}: login from a new ${noun}${failed > 0 ? ` after ${failed} failed login(s) in ${this.windowText}` : ''}`,
              [event.eventId],
              { knownBefore: known.size - 1, failedLoginsInWindow: failed },
            ),
          );
      }
      return;
    }
    if (isBotLike(event, o)) c.botLike.add(t, event.eventId, cap);
    const botLike = c.botLike.since(from);
    if (this.fires(c, BOT_LIKE, botLike >= o.botEventsInWindow))
      alerts.push(
        this.alert(
          'customer',
          id,
          'bot_like_behaviour',
          'medium',
          `${who}: ${botLike} behaviour events at bot-like interaction rates in ${this.windowText}`,
          [...c.botLike.ids],
          { botLikeEventsInWindow: botLike },
        ),
      );
  }

  private observeAddress(
    kind: 'ip' | 'device',
    map: Map<string, AddressAccess>,
    id: string,
    event: Extract<ObservedAccess, { kind: 'login' }>,
    t: number,
    alerts: RaiseAlertInput[],
  ): void {
    const o = this.options;
    const a = this.held(map, id, () => new AddressAccess(t), t);
    const day = Math.floor(t / DAY_SECONDS);
    // A login of an earlier day than the address's latest is not counted: its day is over.
    if (day < a.day) return;
    if (day > a.day) {
      a.day = day;
      a.logins = 0;
      a.failedLogins = 0;
      a.customers = new Map();
      a.fired = 0;
    }
    a.logins++;
    if (!event.success) a.failedLogins++;
    if (a.customers.size < MAX_DISTINCT_CUSTOMERS && !a.customers.has(event.customerId))
      a.customers.set(event.customerId, event.eventId);
    const distinct = a.customers.size;
    const threshold = kind === 'ip' ? o.customersPerIpPerDay : o.customersPerDevicePerDay;
    const label = entityLabel(kind, id);
    if (this.fires(a, SHARED, distinct >= threshold))
      alerts.push(
        this.alert(
          kind,
          id,
          'shared_customers',
          'high',
          `${label} shared by ${distinct} customers today (logins)`,
          [...a.customers.values()].slice(-o.evidenceEvents),
          { distinctCustomersToday: distinct, loginsToday: a.logins },
        ),
      );
    if (this.fires(a, FAILED_DAY, a.failedLogins >= o.failedLoginsPerDay))
      alerts.push(
        this.alert(
          kind,
          id,
          'failed_logins_day',
          'high',
          `${label}: ${a.failedLogins} failed logins today`,
          [event.eventId],
          { failedLoginsToday: a.failedLogins, loginsToday: a.logins, distinctCustomersToday: distinct },
        ),
      );
  }

  private alert(
    entityKind: EntityKind,
    entityId: string,
    rule: string,
    severity: RaiseAlertInput['severity'],
    title: string,
    eventIds: string[],
    indicators: Record<string, number>,
  ): RaiseAlertInput {
    return {
      kind: 'early_warning',
      severity,
      entityKind,
      entityId,
      rule,
      title,
      evidence: {
        eventIds: eventIds.slice(-this.options.evidenceEvents),
        indicators,
        windowSeconds: this.windowSeconds,
      },
    };
  }

  /** Forgets entities idle past `idleSeconds` (each map is least recently seen first). */
  private evictIdle(now: number): void {
    const before = now - this.options.idleSeconds;
    for (const map of [this.customers, this.ips, this.devices] as Map<string, { lastSeconds: number }>[])
      for (const [id, e] of map) {
        if (e.lastSeconds >= before) break;
        map.delete(id);
      }
  }
}
