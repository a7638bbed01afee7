/**
 * Early warning beyond single events: indicators per entity (terminal, IP, device, customer) per
 * time bucket of event time, with spike detection against each entity's own history and absolute
 * thresholds. Fed one decided event at a time; constant work per event (a map lookup and a few
 * counters per entity kind), no allocation unless an alert fires, and memory bounded by evicting
 * idle entities and, past a cap, the least recently seen.
 */
import { ConfigError, type Issue } from '../errors.js';
import type { RaiseAlertInput } from './alert.js';
import { ENTITY_FIELD, ENTITY_KINDS, type EntityKind, isEntityKind, isPersonalKind } from './entity-kinds.js';

/** Thresholds and sizes of early warning; every field has a documented default. */
export interface EarlyWarningOptions {
  /** Width of an indicator bucket, in seconds of event time (default 60). */
  bucketSeconds?: number;
  /** Buckets in the rolling window of the absolute thresholds (default 10: the last 10 minutes). */
  windowBuckets?: number;
  /** Entity kinds watched (default all: customer, terminal, ip, device). */
  kinds?: readonly EntityKind[];
  /** Alert when an entity has this many high-risk (review or decline) events in the window (default 12). */
  highRiskInWindow?: number;
  /** Alert when the share of declines in the window reaches this (default 0.5)… */
  declineRate?: number;
  /** …among at least this many events in the window (default 20). */
  declineRateMinEvents?: number;
  /**
   * A bucket is a spike when its count is this many standard deviations above the entity's mean
   * (default 6: counts a minute are Poisson-like, whose tails the normal curve underestimates; at 4
   * a terminal of 4 a minute would flag about one minute in a thousand)…
   */
  spikeZ?: number;
  /** …and at least this count (default 10: a quiet terminal going from 0 to a few is not a spike)… */
  spikeMinCount?: number;
  /** …once the entity has this many buckets of history (default 30). */
  spikeHistoryBuckets?: number;
  /** Half-life of the per-entity mean and variance of bucket counts, in buckets (default 60). */
  historyHalfLifeBuckets?: number;
  /** Alert when an IP address is used by this many distinct customers in a UTC day (default 40). */
  customersPerIpPerDay?: number;
  /** Alert when a device is used by this many distinct customers in a UTC day (default 10). */
  customersPerDevicePerDay?: number;
  /** Entities not seen for this long are forgotten (default 172,800: two days). */
  idleSeconds?: number;
  /** Entities held per kind at most; past it the least recently seen are forgotten (default 50,000). */
  maxEntitiesPerKind?: number;
  /** Event ids an alert names at most (default 50): the entity's latest relevant events. */
  evidenceEvents?: number;
  // Login and behaviour events (AccessWarning): the window above, the idle time and caps too.
  /** Alert when a customer has this many failed logins in the window (default 5). */
  failedLoginsInWindow?: number;
  /** Alert when an IP address or a device has this many failed logins in a UTC day (default 30). */
  failedLoginsPerDay?: number;
  /** Alert on a successful login from a device the customer never logged in from before (default true). */
  newDeviceLogin?: boolean;
  /** The same for a new IP address (default false: customers' addresses change too often to alert on each). */
  newIpLogin?: boolean;
  /** Devices and IP addresses remembered per customer for the two above (default 20; the least recent go first). */
  knownPerCustomer?: number;
  /** A behaviour event is bot-like at this many clicks a second of dwell time or more (default 8)… */
  botClicksPerSecond?: number;
  /** …or this many keystrokes a second (default 15)… */
  botKeystrokesPerSecond?: number;
  /** …and a customer with this many bot-like behaviour events in the window raises an alert (default 3). */
  botEventsInWindow?: number;
}

export const DEFAULT_EARLY_WARNING: Readonly<Required<EarlyWarningOptions>> = {
  bucketSeconds: 60,
  windowBuckets: 10,
  kinds: ENTITY_KINDS,
  highRiskInWindow: 12,
  declineRate: 0.5,
  declineRateMinEvents: 20,
  spikeZ: 6,
  spikeMinCount: 10,
  spikeHistoryBuckets: 30,
  historyHalfLifeBuckets: 60,
  customersPerIpPerDay: 40,
  customersPerDevicePerDay: 10,
  idleSeconds: 172_800,
  maxEntitiesPerKind: 50_000,
  evidenceEvents: 50,
  failedLoginsInWindow: 5,
  failedLoginsPerDay: 30,
  newDeviceLogin: true,
  newIpLogin: false,
  knownPerCustomer: 20,
  botClicksPerSecond: 8,
  botKeystrokesPerSecond: 15,
  botEventsInWindow: 3,
};

/** The option names of early warning, for the config file's check. */
export const EARLY_WARNING_OPTIONS = Object.keys(DEFAULT_EARLY_WARNING) as (keyof EarlyWarningOptions)[];

/** Distinct customers counted per IP or device and day at most; the indicator reads "at least" beyond. */
export const MAX_DISTINCT_CUSTOMERS = 1000;

/** A decided event as early warning reads it; personal ids are pseudonyms. */
export interface ObservedEvent {
  eventId: string;
  timestampSeconds: number;
  customerId: string;
  terminalId: string;
  ipAddress?: string | undefined;
  deviceId?: string | undefined;
  decision: 'approve' | 'review' | 'decline';
  /** NaN when the model gave none. */
  score: number;
}

/** An entity's indicators as a profile shows them. */
export interface EntityIndicators {
  firstSeenSeconds: number;
  lastSeenSeconds: number;
  bucketSeconds: number;
  /** The bucket of the entity's last event. */
  bucket: { startSeconds: number; events: number; highRisk: number; declines: number; meanScore: number | null };
  /** The rolling window ending with that bucket. */
  window: {
    seconds: number;
    events: number;
    highRisk: number;
    declines: number;
    declineRate: number | null;
    meanScore: number | null;
  };
  /** The entity's own history of bucket counts (exponentially weighted). */
  history: {
    buckets: number;
    eventsMean: number;
    eventsSd: number;
    highRiskMean: number;
    highRiskSd: number;
  };
  /** IP and device: distinct customers in the UTC day of the last event (capped at {@link MAX_DISTINCT_CUSTOMERS}). */
  distinctCustomersToday?: number;
}

// Per window slot: the bucket index it holds, then its counts.
const SLOT_BUCKET = 0;
const SLOT_EVENTS = 1;
const SLOT_HIGH_RISK = 2;
const SLOT_DECLINES = 3;
const SLOT_SCORED = 4;
const SLOT_SCORE_SUM = 5;
const SLOT_FIELDS = 6;

// The triggers; each fires once when its condition starts to hold and re-arms when it stops.
const VOLUME_SPIKE = 0;
const HIGH_RISK_SPIKE = 1;
const HIGH_RISK_WINDOW = 2;
const DECLINE_RATE = 3;
const SHARED_CUSTOMERS = 4;
// What an alert's evidence names: the high-risk events in the window, the declines in it, or
// the first event of each customer seen today (an IP or device).
const HIGH_RISK_IN_WINDOW = 0;
const DECLINES_IN_WINDOW = 1;
const CUSTOMERS_TODAY = 2;
const RULE_NAMES = ['volume_spike', 'high_risk_spike', 'high_risk_window', 'decline_rate', 'shared_customers'];

const DAY_SECONDS = 86_400;
/** Idle entities are swept after this many events, or a quarter of the idle time (a pass over every map). */
const SWEEP_EVERY_EVENTS = 16_384;

class EntityState {
  /**
   * Per window slot SLOT_FIELDS numbers (slot = bucket mod windowBuckets), then the window's
   * running sums at the same offsets: one array, so an event touches two of its cache lines.
   */
  readonly slots: Float64Array;
  firstBucket: number;
  bucket: number;
  firstSeconds: number;
  lastSeconds: number;
  eventsMean = 0;
  eventsVar = 0;
  highRiskMean = 0;
  highRiskVar = 0;
  /** Buckets folded into the mean and variance. */
  folded = 0;
  /** Bit t set: trigger t has fired and waits for its condition to stop holding. */
  fired = 0;
  /**
   * The latest high-risk events, a ring of up to evidenceEvents ids and times (a decline's time
   * negated), made at the entity's first high-risk event: most entities never have one.
   */
  risky: string[] | undefined;
  riskyTimes: number[] | undefined;
  riskyHead = 0;
  /** IP and device: the UTC day, and each customer seen in it with their first event's id. */
  day = -1;
  customers: Map<string, string> | undefined;

  constructor(windowBuckets: number, bucket: number, t: number) {
    this.slots = new Float64Array((windowBuckets + 1) * SLOT_FIELDS).fill(-1, 0, windowBuckets * SLOT_FIELDS);
    this.firstBucket = bucket;
    this.bucket = bucket;
    this.firstSeconds = t;
    this.lastSeconds = t;
  }
}

function push(ring: string[], head: number, value: string, capacity: number): number {
  if (ring.length < capacity) {
    ring.push(value);
    return 0;
  }
  ring[head] = value;
  return (head + 1) % capacity;
}

/** A ring's values oldest first. */
function inOrder<T>(ring: T[], head: number): T[] {
  return head === 0 ? [...ring] : [...ring.slice(head), ...ring.slice(0, head)];
}

/** Standard deviations of a bucket count above the entity's mean, the deviation floored at √mean and 1 (as for counts). */
function spikeZ(x: number, mean: number, variance: number): number {
  return (x - mean) / Math.sqrt(Math.max(variance, mean, 1));
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? '1 hour' : `${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? '1 minute' : `${seconds / 60} minutes`;
  return `${seconds} seconds`;
}

const KIND_NAME: Record<EntityKind, string> = {
  customer: 'customer',
  terminal: 'terminal',
  ip: 'IP',
  device: 'device',
};

/** How an alert names an entity: a terminal as given, a pseudonym by its first 8 hex digits. */
export function entityLabel(kind: EntityKind, id: string): string {
  return `${KIND_NAME[kind]} ${isPersonalKind(kind) && id.length > 12 ? `${id.slice(0, 8)}…` : id}`;
}

/**
 * Every problem of early-warning options (parsed JSON allowed: unknown names are reported too),
 * each with its path under `prefix`.
 */
export function earlyWarningIssues(options: unknown, prefix: (string | number)[] = []): Issue[] {
  if (typeof options !== 'object' || options === null || Array.isArray(options))
    return [{ code: 'invalid_type', path: prefix, message: 'early-warning options are an object' }];
  const given = options as Record<string, unknown>;
  const issues: Issue[] = [];
  for (const name of Object.keys(given))
    if (!(EARLY_WARNING_OPTIONS as string[]).includes(name))
      issues.push({
        code: 'unknown_field',
        path: [...prefix, name],
        message: `${name} is not an early-warning option (${EARLY_WARNING_OPTIONS.join(', ')})`,
      });
  const o = { ...DEFAULT_EARLY_WARNING, ...given } as Record<string, unknown>;
  const positive = (name: keyof EarlyWarningOptions, integer: boolean) => {
    const v = o[name];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v)))
      issues.push({
        code: 'invalid_option',
        path: [...prefix, name],
        message: `must be a positive ${integer ? 'integer' : 'number'}`,
      });
  };
  for (const name of [
    'bucketSeconds',
    'windowBuckets',
    'highRiskInWindow',
    'declineRateMinEvents',
    'spikeMinCount',
    'spikeHistoryBuckets',
    'customersPerIpPerDay',
    'customersPerDevicePerDay',
    'maxEntitiesPerKind',
    'evidenceEvents',
    'failedLoginsInWindow',
    'failedLoginsPerDay',
    'knownPerCustomer',
    'botEventsInWindow',
  ] as const)
    positive(name, true);
  for (const name of [
    'spikeZ',
    'historyHalfLifeBuckets',
    'idleSeconds',
    'botClicksPerSecond',
    'botKeystrokesPerSecond',
  ] as const)
    positive(name, false);
  const rate = o.declineRate;
  if (!(typeof rate === 'number' && rate > 0 && rate <= 1))
    issues.push({ code: 'invalid_option', path: [...prefix, 'declineRate'], message: 'must be in (0, 1]' });
  for (const name of ['newDeviceLogin', 'newIpLogin'] as const)
    if (typeof o[name] !== 'boolean')
      issues.push({ code: 'invalid_option', path: [...prefix, name], message: 'must be true or false' });
  if (!Array.isArray(o.kinds) || !o.kinds.every(isEntityKind))
    issues.push({
      code: 'invalid_option',
      path: [...prefix, 'kinds'],
      message: `must list kinds of ${ENTITY_KINDS.join(', ')}`,
    });
  return issues;
}

/**
 * The options with their defaults filled in.
 *
 * @throws ConfigError `invalid_option` listing every problem
 */
export function checkEarlyWarningOptions(options: EarlyWarningOptions): Required<EarlyWarningOptions> {
  const issues = earlyWarningIssues(options);
  if (issues.length > 0)
    throw new ConfigError('invalid_option', `${issues.length} bad early-warning option(s)`, { issues });
  return { ...DEFAULT_EARLY_WARNING, ...options };
}

const NO_ALERTS: readonly RaiseAlertInput[] = Object.freeze([]);

/**
 * Indicators per entity and time bucket, and the alerts they raise. Events must come in time
 * order (the service decides them so).
 *
 * Triggers, each firing once when its condition starts to hold (and again only after it stopped):
 * - `high_risk_window`: review + decline events in the window ≥ `highRiskInWindow`;
 * - `decline_rate`: declines / events in the window ≥ `declineRate` with ≥ `declineRateMinEvents`;
 * - `volume_spike`, `high_risk_spike`: the current bucket's events (or high-risk events) at least
 *   `spikeMinCount` and `spikeZ` standard deviations above the entity's exponentially weighted
 *   mean of earlier buckets (the deviation floored at √mean and 1, as for counts), once the entity
 *   has `spikeHistoryBuckets` of history;
 * - `shared_customers` (IP, device): distinct customers in a UTC day ≥ the per-kind threshold.
 *
 * @example
 * const warning = new EarlyWarning({ highRiskInWindow: 12 });
 * for (const alert of warning.observe({ eventId, timestampSeconds, customerId, terminalId,
 *   decision: 'decline', score: 0.93 })) await alerts.raise(alert, Date.now());
 */
export class EarlyWarning {
  readonly options: Readonly<Required<EarlyWarningOptions>>;
  private readonly entities: Map<string, EntityState>[];
  private readonly watched: readonly EntityKind[];
  private readonly alpha: number;
  private observed = 0;
  private nextSweepSeconds = Number.NEGATIVE_INFINITY;
  /** Window sums at the SLOT_ offsets of the counts. */
  /** Offset of the running window sums in an entity's slots. */
  private readonly sumsAt: number;
  private readonly bucketText: string;
  private readonly windowText: string;

  constructor(options: EarlyWarningOptions = {}) {
    this.options = checkEarlyWarningOptions(options);
    this.watched = [...new Set(this.options.kinds)];
    this.entities = this.watched.map(() => new Map());
    this.alpha = 1 - 2 ** (-1 / this.options.historyHalfLifeBuckets);
    this.sumsAt = this.options.windowBuckets * SLOT_FIELDS;
    this.bucketText = duration(this.options.bucketSeconds);
    this.windowText = duration(this.options.bucketSeconds * this.options.windowBuckets);
  }

  /** Updates every watched entity of the event; returns the alerts it raises (usually none, the same empty array). */
  observe(event: ObservedEvent): readonly RaiseAlertInput[] {
    const o = this.options;
    const t = event.timestampSeconds;
    const bucket = Math.floor(t / o.bucketSeconds);
    if (++this.observed % SWEEP_EVERY_EVENTS === 0 || t >= this.nextSweepSeconds) {
      this.evictIdle(t);
      this.nextSweepSeconds = t + o.idleSeconds / 4;
    }
    const highRisk = event.decision !== 'approve' ? 1 : 0;
    const decline = event.decision === 'decline' ? 1 : 0;
    let alerts: RaiseAlertInput[] | undefined;
    for (let k = 0; k < this.watched.length; k++) {
      const kind = this.watched[k] as EntityKind;
      const field = ENTITY_FIELD[kind];
      const id =
        field === 'customerId'
          ? event.customerId
          : field === 'terminalId'
            ? event.terminalId
            : field === 'ipAddress'
              ? event.ipAddress
              : event.deviceId;
      if (id === undefined || id === '') continue;
      const map = this.entities[k] as Map<string, EntityState>;
      let e = map.get(id);
      // Idle past idleSeconds is new whether or not a sweep has dropped it yet: what the state
      // holds then depends on event times alone, not on when sweeps ran (a replay sweeps at
      // other times).
      if (e !== undefined && e.lastSeconds < t - o.idleSeconds) {
        map.delete(id);
        e = undefined;
      }
      if (e === undefined) {
        e = new EntityState(o.windowBuckets, bucket, t);
        map.set(id, e);
        if (map.size > o.maxEntitiesPerKind) this.evictOldest(map);
      } else if (bucket !== e.bucket) this.roll(e, bucket);
      e.lastSeconds = t;
      const s = (bucket % o.windowBuckets) * SLOT_FIELDS;
      const slots = e.slots;
      if (slots[s + SLOT_BUCKET] !== bucket) {
        slots[s + SLOT_BUCKET] = bucket;
        slots.fill(0, s + SLOT_EVENTS, s + SLOT_FIELDS);
      }
      const scored = Number.isNaN(event.score) ? 0 : 1;
      const score = scored === 1 ? event.score : 0;
      // The bucket's counts, then the window's running sums.
      for (let at = s, pass = 0; pass < 2; at = this.sumsAt, pass++) {
        slots[at + SLOT_EVENTS] = (slots[at + SLOT_EVENTS] as number) + 1;
        slots[at + SLOT_HIGH_RISK] = (slots[at + SLOT_HIGH_RISK] as number) + highRisk;
        slots[at + SLOT_DECLINES] = (slots[at + SLOT_DECLINES] as number) + decline;
        slots[at + SLOT_SCORED] = (slots[at + SLOT_SCORED] as number) + scored;
        slots[at + SLOT_SCORE_SUM] = (slots[at + SLOT_SCORE_SUM] as number) + score;
      }
      if (highRisk === 1) {
        e.risky ??= [];
        e.riskyTimes ??= [];
        const time = decline === 1 ? -t : t;
        if (e.riskyTimes.length < o.evidenceEvents) e.riskyTimes.push(time);
        else e.riskyTimes[e.riskyHead] = time;
        e.riskyHead = push(e.risky, e.riskyHead, event.eventId, o.evidenceEvents);
      }
      let distinct = 0;
      if (kind === 'ip' || kind === 'device') {
        const day = Math.floor(t / DAY_SECONDS);
        if (day !== e.day || e.customers === undefined) {
          e.day = day;
          e.customers = new Map();
          e.fired &= ~(1 << SHARED_CUSTOMERS);
        }
        if (e.customers.size < MAX_DISTINCT_CUSTOMERS && !e.customers.has(event.customerId))
          e.customers.set(event.customerId, event.eventId);
        distinct = e.customers.size;
      }
      const fired = this.check(kind, id, e, bucket, s, distinct, event.eventId);
      if (fired !== undefined) (alerts ??= []).push(...fired);
    }
    return alerts ?? NO_ALERTS;
  }

  /** The indicators of an entity, or undefined when it is not held (never seen, or forgotten). */
  indicatorsOf(kind: EntityKind, id: string): EntityIndicators | undefined {
    const k = this.watched.indexOf(kind);
    const e = k < 0 ? undefined : this.entities[k]?.get(id);
    if (e === undefined) return undefined;
    const o = this.options;
    const s = (e.bucket % o.windowBuckets) * SLOT_FIELDS;
    const w = e.slots.subarray(this.sumsAt);
    const sd = (variance: number) => Math.sqrt(Math.max(variance, 0));
    const indicators: EntityIndicators = {
      firstSeenSeconds: e.firstSeconds,
      lastSeenSeconds: e.lastSeconds,
      bucketSeconds: o.bucketSeconds,
      bucket: {
        startSeconds: e.bucket * o.bucketSeconds,
        events: e.slots[s + SLOT_EVENTS] as number,
        highRisk: e.slots[s + SLOT_HIGH_RISK] as number,
        declines: e.slots[s + SLOT_DECLINES] as number,
        meanScore:
          (e.slots[s + SLOT_SCORED] as number) > 0
            ? (e.slots[s + SLOT_SCORE_SUM] as number) / (e.slots[s + SLOT_SCORED] as number)
            : null,
      },
      window: {
        seconds: o.windowBuckets * o.bucketSeconds,
        events: w[SLOT_EVENTS] as number,
        highRisk: w[SLOT_HIGH_RISK] as number,
        declines: w[SLOT_DECLINES] as number,
        declineRate: (w[SLOT_EVENTS] as number) > 0 ? (w[SLOT_DECLINES] as number) / (w[SLOT_EVENTS] as number) : null,
        meanScore: (w[SLOT_SCORED] as number) > 0 ? (w[SLOT_SCORE_SUM] as number) / (w[SLOT_SCORED] as number) : null,
      },
      history: {
        buckets: e.bucket - e.firstBucket,
        eventsMean: e.eventsMean,
        eventsSd: sd(e.eventsVar),
        highRiskMean: e.highRiskMean,
        highRiskSd: sd(e.highRiskVar),
      },
    };
    if (e.customers !== undefined) indicators.distinctCustomersToday = e.customers.size;
    return indicators;
  }

  /** Entities held per watched kind (for tests and metrics of bounded memory). */
  entityCounts(): Partial<Record<EntityKind, number>> {
    return Object.fromEntries(
      this.watched.map((kind, k) => [kind, (this.entities[k] as Map<string, EntityState>).size]),
    );
  }

  /** Folds the buckets from the entity's last one up to (not including) `bucket` into its history. */
  private roll(e: EntityState, bucket: number): void {
    const o = this.options;
    const s = (e.bucket % o.windowBuckets) * SLOT_FIELDS;
    const closedEvents = e.slots[s + SLOT_BUCKET] === e.bucket ? (e.slots[s + SLOT_EVENTS] as number) : 0;
    const closedHighRisk = e.slots[s + SLOT_BUCKET] === e.bucket ? (e.slots[s + SLOT_HIGH_RISK] as number) : 0;
    this.fold(e, closedEvents, closedHighRisk);
    const gap = bucket - e.bucket - 1;
    if (gap > 0) this.foldEmpty(e, gap);
    // Buckets leaving the window (b − W, b] for (b' − W, b']: out of the running sums.
    const w = o.windowBuckets;
    const slots = e.slots;
    const sums = this.sumsAt;
    if (bucket - w >= e.bucket) slots.fill(0, sums, sums + SLOT_FIELDS);
    else
      for (let x = e.bucket - w + 1; x <= bucket - w; x++) {
        const at = (x % w) * SLOT_FIELDS;
        if (slots[at + SLOT_BUCKET] !== x) continue;
        for (let f = SLOT_EVENTS; f < SLOT_FIELDS; f++)
          slots[sums + f] = (slots[sums + f] as number) - (slots[at + f] as number);
      }
    e.bucket = bucket;
  }

  /**
   * One bucket into the exponentially weighted mean and variance (West's incremental form). The
   * first bucket sets the mean: started from 0, the mean would take several half-lives to reach
   * a steady entity's level, and everything above it would look like a spike meanwhile.
   */
  private fold(e: EntityState, events: number, highRisk: number): void {
    if (e.folded++ === 0) {
      e.eventsMean = events;
      e.highRiskMean = highRisk;
      return;
    }
    const a = this.alpha;
    const d1 = events - e.eventsMean;
    e.eventsMean += a * d1;
    e.eventsVar = (1 - a) * (e.eventsVar + a * d1 * d1);
    const d2 = highRisk - e.highRiskMean;
    e.highRiskMean += a * d2;
    e.highRiskVar = (1 - a) * (e.highRiskVar + a * d2 * d2);
  }

  /**
   * `gap` empty buckets at once, exactly as many {@link fold}s of 0 after the first: each takes
   * the mean m to r·m and the variance v to r·(v + a·m²) (r = 1 − a), so k of them give r^k·m and
   * r^k·(v + m²·(1 − r^k)). Entities are mostly quiet for hours between events: this is the usual
   * roll, constant work whatever the gap.
   */
  private foldEmpty(e: EntityState, gap: number): void {
    const decay = (1 - this.alpha) ** gap;
    e.folded += gap;
    e.eventsVar = decay * (e.eventsVar + e.eventsMean * e.eventsMean * (1 - decay));
    e.eventsMean *= decay;
    e.highRiskVar = decay * (e.highRiskVar + e.highRiskMean * e.highRiskMean * (1 - decay));
    e.highRiskMean *= decay;
  }

  /** Whether trigger `t` fires now: its condition holds and did not at the entity's previous event. */
  private fires(e: EntityState, t: number, holds: boolean): boolean {
    const bit = 1 << t;
    if (!holds) {
      e.fired &= ~bit;
      return false;
    }
    if ((e.fired & bit) !== 0) return false;
    e.fired |= bit;
    return true;
  }

  // No closures here: this runs per event and entity kind, and allocates only when a trigger fires.
  private check(
    kind: EntityKind,
    id: string,
    e: EntityState,
    bucket: number,
    s: number,
    distinct: number,
    eventId: string,
  ): RaiseAlertInput[] | undefined {
    const o = this.options;
    let alerts: RaiseAlertInput[] | undefined;
    const slots = e.slots;
    const bucketEvents = slots[s + SLOT_EVENTS] as number;
    const bucketHighRisk = slots[s + SLOT_HIGH_RISK] as number;
    const warmed = bucket - e.firstBucket >= o.spikeHistoryBuckets;
    const volumeZ = spikeZ(bucketEvents, e.eventsMean, e.eventsVar);
    if (this.fires(e, VOLUME_SPIKE, warmed && bucketEvents >= o.spikeMinCount && volumeZ >= o.spikeZ))
      (alerts ??= []).push(
        this.alert(
          kind,
          id,
          e,
          VOLUME_SPIKE,
          'medium',
          `${entityLabel(kind, id)}: ${bucketEvents} events in ${this.bucketText}, usually ${e.eventsMean.toFixed(1)}`,
          eventId,
          { bucketEvents, eventsMean: e.eventsMean, z: volumeZ },
        ),
      );
    const highRiskZ = spikeZ(bucketHighRisk, e.highRiskMean, e.highRiskVar);
    if (this.fires(e, HIGH_RISK_SPIKE, warmed && bucketHighRisk >= o.spikeMinCount && highRiskZ >= o.spikeZ))
      (alerts ??= []).push(
        this.alert(
          kind,
          id,
          e,
          HIGH_RISK_SPIKE,
          'high',
          `${entityLabel(kind, id)}: ${bucketHighRisk} high-risk transactions in ${this.bucketText}, usually ${e.highRiskMean.toFixed(1)}`,
          HIGH_RISK_IN_WINDOW,
          { bucketHighRisk, highRiskMean: e.highRiskMean, z: highRiskZ },
        ),
      );
    const windowText = this.windowText;
    const windowEvents = slots[this.sumsAt + SLOT_EVENTS] as number;
    const windowHighRisk = slots[this.sumsAt + SLOT_HIGH_RISK] as number;
    const windowDeclines = slots[this.sumsAt + SLOT_DECLINES] as number;
    if (this.fires(e, HIGH_RISK_WINDOW, windowHighRisk >= o.highRiskInWindow))
      (alerts ??= []).push(
        this.alert(
          kind,
          id,
          e,
          HIGH_RISK_WINDOW,
          'high',
          `${entityLabel(kind, id)}: ${windowHighRisk} high-risk transactions in ${windowText}`,
          HIGH_RISK_IN_WINDOW,
          { highRiskInWindow: windowHighRisk, eventsInWindow: windowEvents },
        ),
      );
    const rate = windowEvents > 0 ? windowDeclines / windowEvents : 0;
    if (this.fires(e, DECLINE_RATE, windowEvents >= o.declineRateMinEvents && rate >= o.declineRate))
      (alerts ??= []).push(
        this.alert(
          kind,
          id,
          e,
          DECLINE_RATE,
          'high',
          `${entityLabel(kind, id)}: ${(100 * rate).toFixed(0)}% of ${windowEvents} transactions declined in ${windowText}`,
          DECLINES_IN_WINDOW,
          { declineRate: rate, eventsInWindow: windowEvents, declinesInWindow: windowDeclines },
        ),
      );
    if (kind === 'ip' || kind === 'device') {
      const threshold = kind === 'ip' ? o.customersPerIpPerDay : o.customersPerDevicePerDay;
      if (this.fires(e, SHARED_CUSTOMERS, distinct >= threshold))
        (alerts ??= []).push(
          this.alert(
            kind,
            id,
            e,
            SHARED_CUSTOMERS,
            'high',
            `${entityLabel(kind, id)} shared by ${distinct} customers today`,
            CUSTOMERS_TODAY,
            {
              distinctCustomersToday: distinct,
            },
          ),
        );
    }
    return alerts;
  }

  private alert(
    kind: EntityKind,
    id: string,
    e: EntityState,
    t: number,
    severity: RaiseAlertInput['severity'],
    title: string,
    /** Which events the alert names: one of the EVIDENCE modes, or the id of the event that fired it. */
    names: number | string,
    indicators: Record<string, number>,
  ): RaiseAlertInput {
    const o = this.options;
    let eventIds: string[];
    if (typeof names === 'string') eventIds = [names];
    else if (names === CUSTOMERS_TODAY) eventIds = [...(e.customers?.values() ?? [])].slice(-o.evidenceEvents);
    else {
      // The high-risk events (or the declines) still in the window.
      const from = (e.bucket - o.windowBuckets + 1) * o.bucketSeconds;
      const times = inOrder(e.riskyTimes ?? [], e.riskyHead);
      eventIds = inOrder(e.risky ?? [], e.riskyHead).filter((_, i) => {
        const time = times[i] as number;
        return Math.abs(time) >= from && (names === HIGH_RISK_IN_WINDOW || time < 0);
      });
    }
    return {
      kind: 'early_warning',
      severity,
      entityKind: kind,
      entityId: id,
      rule: RULE_NAMES[t] as string,
      title,
      evidence: {
        eventIds,
        indicators,
        bucketSeconds: o.bucketSeconds,
        windowSeconds: o.windowBuckets * o.bucketSeconds,
      },
    };
  }

  /** Forgets entities idle past `idleSeconds`. */
  private evictIdle(now: number): void {
    const before = now - this.options.idleSeconds;
    for (const map of this.entities) for (const [id, e] of map) if (e.lastSeconds < before) map.delete(id);
  }

  /**
   * Past the cap: forgets the least recently seen tenth (by a sort of last-seen times, so eviction
   * costs O(n log n) once per n / 10 new entities).
   */
  private evictOldest(map: Map<string, EntityState>): void {
    const keep = Math.floor(this.options.maxEntitiesPerKind * 0.9);
    const times = Float64Array.from(map.values(), (e) => e.lastSeconds).sort();
    const cutoff = times[map.size - keep] as number;
    let drop = map.size - keep;
    for (const [id, e] of map) {
      if (drop <= 0) break;
      if (e.lastSeconds < cutoff || (e.lastSeconds === cutoff && drop > 0)) {
        map.delete(id);
        drop--;
      }
    }
  }
}
