import { DataError } from '../errors.js';
import type { EntityKey, FeatureDefinition, FeatureSpec } from './feature-spec.js';

/** One transaction as the executor sees it (after the spec's column mapping). */
export interface TransactionEvent {
  /** Seconds since the Unix epoch, UTC. */
  timestampSeconds: number;
  customerId: string | number;
  terminalId: string | number;
  amount: number;
  /** 1 fraud, 0 genuine; needed only by label features (treated as known once the delay has passed). */
  label?: number;
}

/** Thrown when an event is older than one already seen: the executor's state only moves forward. */
export class OutOfOrderEventError extends DataError {
  constructor(timestampSeconds: number, latestSeconds: number) {
    super(
      'out_of_order_event',
      `event at ${new Date(timestampSeconds * 1000).toISOString()} arrived after one at ${new Date(latestSeconds * 1000).toISOString()}: events must come in time order`,
    );
  }
}

const DAY_SECONDS = 86_400;

/** One (delay, length) window of a group: cursors into each entity's events and running sums. */
interface WindowPlan {
  delaySeconds: number;
  lengthSeconds: number;
}

/** Per entity and window, five numbers: events [lo, hi) are inside; their count, amount sum and label sum. */
const LO = 0;
const HI = 1;
const COUNT = 2;
const AMOUNT = 3;
const LABEL = 4;
const CURSOR_SIZE = 5;
/** Per event, three numbers: time, amount, label (interleaved, so an event is one cache line). */
const EVENT_SIZE = 3;

/**
 * An entity's recent events (time order) in one growable typed array, and its windows' cursors
 * in another: an update touches a few cache lines per entity. Events every window has passed are
 * dropped when room is needed, so memory is bounded by the longest window.
 */
class EntityEvents {
  events = new Float64Array(8 * EVENT_SIZE);
  /** Events held: [0, end). */
  end = 0;
  readonly cursors: Float64Array;

  constructor(windows: number) {
    this.cursors = new Float64Array(windows * CURSOR_SIZE);
  }

  append(time: number, amount: number, label: number): void {
    if ((this.end + 1) * EVENT_SIZE > this.events.length) this.makeRoom();
    const at = this.end * EVENT_SIZE;
    this.events[at] = time;
    this.events[at + 1] = amount;
    this.events[at + 2] = label;
    this.end++;
  }

  /** Moves window w to (now − delay − length, now − delay]. */
  advance(w: number, plan: WindowPlan, now: number): void {
    const c = this.cursors;
    const o = w * CURSOR_SIZE;
    const upper = now - plan.delaySeconds;
    const lower = upper - plan.lengthSeconds;
    const e = this.events;
    let hi = c[o + HI] as number;
    let lo = c[o + LO] as number;
    let count = c[o + COUNT] as number;
    let amount = c[o + AMOUNT] as number;
    let label = c[o + LABEL] as number;
    while (hi < this.end && (e[hi * EVENT_SIZE] as number) <= upper) {
      count++;
      amount += e[hi * EVENT_SIZE + 1] as number;
      label += e[hi * EVENT_SIZE + 2] as number;
      hi++;
    }
    while (lo < hi && (e[lo * EVENT_SIZE] as number) <= lower) {
      count--;
      amount -= e[lo * EVENT_SIZE + 1] as number;
      label -= e[lo * EVENT_SIZE + 2] as number;
      lo++;
    }
    // Running sums drift by rounding as events come and go; an empty window is exactly zero.
    if (count === 0) {
      amount = 0;
      label = 0;
    }
    c[o + LO] = lo;
    c[o + HI] = hi;
    c[o + COUNT] = count;
    c[o + AMOUNT] = amount;
    c[o + LABEL] = label;
  }

  /** Drops events every window has passed; grows the array when the live part fills it. */
  private makeRoom(): void {
    const c = this.cursors;
    let oldest = this.end;
    for (let o = 0; o < c.length; o += CURSOR_SIZE) oldest = Math.min(oldest, c[o + LO] as number);
    const live = this.end - oldest;
    if (live * EVENT_SIZE <= this.events.length / 2) {
      this.events.copyWithin(0, oldest * EVENT_SIZE, this.end * EVENT_SIZE);
    } else {
      const grown = new Float64Array(this.events.length * 2);
      grown.set(this.events.subarray(oldest * EVENT_SIZE, this.end * EVENT_SIZE));
      this.events = grown;
    }
    for (let o = 0; o < c.length; o += CURSOR_SIZE) {
      c[o + LO] = (c[o + LO] as number) - oldest;
      c[o + HI] = (c[o + HI] as number) - oldest;
    }
    this.end = live;
  }

  /** Capacity in events, for tests of bounded memory. */
  get capacity(): number {
    return this.events.length / EVENT_SIZE;
  }
}

/** How one output column is computed. */
type Output =
  | { kind: 'amount' }
  | { kind: 'weekend' }
  | { kind: 'night'; lastHour: number }
  | {
      kind: 'window';
      group: number;
      aggregate: 'count' | 'sum' | 'mean';
      /** Where in the entity's cursors this window's count and the summed field sit. */
      countAt: number;
      sumAt: number;
    };

/** The entities of one key (customers, terminals) and the windows features ask of them. */
interface Group {
  key: EntityKey;
  windows: WindowPlan[];
  entities: Map<string | number, EntityEvents>;
}

/**
 * The one feature executor: updates per-entity state event by event and returns each event's
 * feature values. Training features come from replaying history through it in time order, and the
 * online service runs the same code on live events, so the two agree by construction.
 *
 * @example
 * const executor = new FeatureExecutor(spec);
 * for (const event of events) rows.push(executor.update(event));
 */
export class FeatureExecutor {
  readonly featureNames: string[];
  private readonly outputs: Output[];
  private readonly groups: Group[] = [];
  private latestSeconds = Number.NEGATIVE_INFINITY;
  /** Per group, the window cursors of the current event's entity. */
  private readonly current: Float64Array[];

  constructor(readonly spec: FeatureSpec) {
    this.featureNames = spec.features.map((f) => f.name);
    this.outputs = spec.features.map((f) => this.plan(f));
    this.current = this.groups.map(() => new Float64Array(0));
  }

  /**
   * Adds the event to the state and returns its features (into `out` when given, a new array
   * otherwise). Window features see the event itself when they have no delay.
   */
  update(event: TransactionEvent, out = new Float64Array(this.outputs.length)): Float64Array {
    const t = event.timestampSeconds;
    if (t < this.latestSeconds) throw new OutOfOrderEventError(t, this.latestSeconds);
    this.latestSeconds = t;
    const label = event.label ?? 0;
    // Each group's entity takes the event, then its windows move to this time.
    for (let g = 0; g < this.groups.length; g++) {
      const group = this.groups[g] as Group;
      const id = group.key === 'customerId' ? event.customerId : event.terminalId;
      let entity = group.entities.get(id);
      if (entity === undefined) {
        entity = new EntityEvents(group.windows.length);
        group.entities.set(id, entity);
      }
      entity.append(t, event.amount, label);
      for (let w = 0; w < group.windows.length; w++) entity.advance(w, group.windows[w] as WindowPlan, t);
      this.current[g] = entity.cursors;
    }
    for (let i = 0; i < this.outputs.length; i++) {
      const o = this.outputs[i] as Output;
      switch (o.kind) {
        case 'amount':
          out[i] = event.amount;
          break;
        case 'weekend': {
          // 1970-01-01 was a Thursday: day 0 → 4 with Sunday = 0.
          const weekday = (Math.floor(t / DAY_SECONDS) + 4) % 7;
          out[i] = weekday === 0 || weekday === 6 ? 1 : 0;
          break;
        }
        case 'night':
          out[i] = Math.floor((t - Math.floor(t / DAY_SECONDS) * DAY_SECONDS) / 3600) <= o.lastHour ? 1 : 0;
          break;
        case 'window': {
          const c = this.current[o.group] as Float64Array;
          const count = c[o.countAt] as number;
          const sum = c[o.sumAt] as number;
          out[i] = o.aggregate === 'count' ? count : o.aggregate === 'sum' ? sum : count > 0 ? sum / count : 0;
          break;
        }
      }
    }
    return out;
  }

  /** Room for events the state holds over all entities: bounded by the windows, not the stream. */
  heldEventCapacity(): number {
    let total = 0;
    for (const group of this.groups) for (const entity of group.entities.values()) total += entity.capacity;
    return total;
  }

  /** Entities held per key, e.g. `{ customerId: 4990, terminalId: 10000 }`. */
  entityCounts(): Partial<Record<EntityKey, number>> {
    return Object.fromEntries(this.groups.map((g) => [g.key, g.entities.size]));
  }

  private plan(f: FeatureDefinition): Output {
    if (f.kind !== 'window') return f.kind === 'night' ? { kind: 'night', lastHour: f.lastHour } : { kind: f.kind };
    let group = this.groups.findIndex((g) => g.key === f.key);
    if (group < 0) {
      this.groups.push({ key: f.key, windows: [], entities: new Map() });
      group = this.groups.length - 1;
    }
    const windows = (this.groups[group] as Group).windows;
    const delaySeconds = (f.delayDays ?? 0) * DAY_SECONDS;
    const lengthSeconds = f.windowDays * DAY_SECONDS;
    let window = windows.findIndex((w) => w.delaySeconds === delaySeconds && w.lengthSeconds === lengthSeconds);
    if (window < 0) {
      windows.push({ delaySeconds, lengthSeconds });
      window = windows.length - 1;
    }
    const at = window * CURSOR_SIZE;
    return {
      kind: 'window',
      group,
      aggregate: f.aggregate,
      countAt: at + COUNT,
      sumAt: at + ((f.field ?? 'amount') === 'amount' ? AMOUNT : LABEL),
    };
  }
}
