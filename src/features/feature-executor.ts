import { hashCategory } from './category-hash.js';
import {
  EntityState,
  EVENT_AMOUNT,
  EVENT_FIXED_FIELDS,
  EVENT_LABEL,
  EVENT_ORDINAL,
  EVENT_TIME,
  WINDOW_AMOUNT,
  WINDOW_LABEL,
  WINDOW_LO,
  WINDOW_SLOTS,
} from './entity-state.js';
import { InvalidEventError, OutOfOrderEventError } from './feature-errors.js';
import {
  type CategoryField,
  DEFAULT_CAP_SECONDS,
  DEFAULT_NOVELTY_MEMORY,
  DEFAULT_SEQUENCE_LENGTH,
  type EntityKey,
  type FeatureDefinition,
  type FeatureSpec,
  featureKey,
  retentionSeconds,
  windowSeconds,
} from './feature-spec.js';

/** One transaction as the executor sees it (after the spec's column mapping). */
export interface TransactionEvent {
  id?: string;
  /** Seconds since the Unix epoch, UTC. */
  timestampSeconds: number;
  customerId: string | number;
  terminalId: string | number;
  amount: number;
  /** 1 fraud, 0 genuine; label features treat it as known once their delay has passed. */
  label?: number;
  channel?: string;
  country?: string;
  currency?: string;
  latitude?: number;
  longitude?: number;
  ipAddress?: string;
  deviceId?: string;
}

/** Which event a late label is for: its ordinal (from {@link FeatureExecutor.lastOrdinal}) and keys. */
export interface LabelTarget {
  ordinal: number;
  /** The event's time; optional and not used to find it (the ordinal does). */
  timestampSeconds?: number;
  customerId: string | number;
  terminalId: string | number;
  ipAddress?: string;
  deviceId?: string;
}

/**
 * An event's fields an entity holds, as numbers in a Float64Array at their {@link EVENT_TIME}…
 * offsets (doubles passed to a call V8 does not inline are boxed, an allocation per value).
 */
export const STEP_FIELDS = EVENT_FIXED_FIELDS;

/**
 * What the per-entity step reads of a run of events besides what the entity holds: locations
 * (NaN where none) and the novelty fields' hashed values (NaN where none), the event at
 * position p of the entity's events at index p − base; arrays undefined when the group reads none.
 */
export interface RunInputs {
  latitudes: Float64Array | undefined;
  longitudes: Float64Array | undefined;
  novelty: Float64Array[];
  base: number;
}

const DAY_SECONDS = 86_400;
/** Entities idle past the retention are swept after this many events. */
export const SWEEP_EVERY_EVENTS = 65_536;
const EARTH_RADIUS_KM = 6371.0088;
const MIN_SPEED_HOURS = 1 / 60;

/** A window as a group plans it: shared by every feature with the same delay and length. */
interface WindowPlan {
  delaySeconds: number;
  lengthSeconds: number;
  /** Index of its delay among the group's distinct delays. */
  delayClass: number;
}

/** The entities of one key, what features ask of them and what the current event found. */
export interface Group {
  key: EntityKey;
  entities: Map<string, EntityState>;
  windows: WindowPlan[];
  delays: number[];
  /** Hashed per event at EVENT_FIXED_FIELDS + i, for distinct counts. */
  categoryFields: CategoryField[];
  noveltyMemories: number[];
  noveltyFields: CategoryField[];
  sequenceSlots: number;
  /** Whether a feature of the group reads locations (distanceKm, speedKmh); only then does the entity track them. */
  readsLocation: boolean;
  stride: number;
  loSlots: Int32Array;
  positionSlots: Int32Array;
  /** The group's features in spec order, and their output columns. */
  outputs: Output[];
  columns: Int32Array;
  /** The plan as typed arrays for the per-event loops: per window its delay class, delay and length; per delay its seconds. */
  windowDelayClass: Int32Array;
  windowDelaySeconds: Float64Array;
  windowLengthSeconds: Float64Array;
  delaySeconds: Float64Array;
  /** Per output of the group: its kind and cursor slots (see {@link Output}). */
  outputKinds: Int32Array;
  outputLoSlots: Int32Array;
  outputHiSlots: Int32Array;
  outputSlots: Int32Array;
  /** The online event's hashed category values and its other inputs (one event), for {@link updateEntityRun}. */
  categoryValues: Float64Array;
  eventInputs: RunInputs;
  /** What the current event found: its entity and the values read before the event was added. */
  entity: EntityState | undefined;
  previousSeconds: number;
  distanceKm: number;
  speedKmh: number;
  /** Per firstUse feature of the group: 1 when the value was new. */
  novel: Float64Array;
}

export enum Kind {
  Amount,
  Weekend,
  Night,
  HourOfDay,
  Count,
  Sum,
  Mean,
  Max,
  Distinct,
  AmountToMean,
  SecondsSincePrevious,
  FirstUse,
  DistanceKm,
  SpeedKmh,
}

/** How one output column is computed. */
export interface Output {
  kind: Kind;
  /** The group whose entity the feature reads, −1 for features of the event alone. */
  group: number;
  window: number;
  /** Running-sum slot (amount or label) for sum/mean; event field offset for max; category index for distinct. */
  slot: number;
  /** night: last hour; secondsSincePrevious: cap; firstUse: novelty index. */
  param: number;
  /** Window features: the cursor slots of the window's first event and of its delay's end. */
  loSlot: number;
  hiSlot: number;
}

function keyOf(event: Pick<TransactionEvent, EntityKey>, key: EntityKey): string | undefined {
  // Named property reads: a computed event[key] is a slow generic lookup in the hot loop.
  const value =
    key === 'customerId'
      ? event.customerId
      : key === 'terminalId'
        ? event.terminalId
        : key === 'ipAddress'
          ? event.ipAddress
          : event.deviceId;
  if (value === undefined || value === '') return undefined;
  return typeof value === 'string' ? value : String(value);
}

function categoryOf(event: TransactionEvent, field: CategoryField): string | number | undefined {
  return event[field];
}

function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * The one feature executor: updates per-entity state event by event and returns each event's
 * feature values. The online service runs it on live events; training data comes from replaying
 * history through the same per-entity code ({@link replayTransactions}), so the two agree by
 * construction.
 *
 * @example
 * const executor = new FeatureExecutor(spec);
 * for (const event of events) rows.push(executor.update(event));
 */
export class FeatureExecutor {
  readonly featureNames: string[];
  /** Values per sequence row ((length + 1) × step features), 0 without a sequence in the spec. */
  readonly sequenceWidth: number;
  /** Earlier events per sequence row (the row has one step more: the current event). */
  readonly sequenceLength: number;
  readonly sequenceFeatureNames: string[];
  /** @internal the groups, the sequence group last. */
  readonly groups: Group[] = [];
  /** @internal */
  readonly outputs: Output[];
  /** @internal the features of the event alone (no group), and their output columns. */
  readonly eventOutputs: Output[];
  /** @internal */
  readonly eventColumns: Int32Array;
  /** @internal */
  readonly retentionSeconds: number;
  /** @internal the sequence group's index, −1 without a sequence. */
  readonly sequenceGroup: number;
  /** @internal feature columns of a sequence step. */
  readonly sequenceColumns: Int32Array;
  /** @internal */
  latestSeconds = Number.NEGATIVE_INFINITY;
  /** @internal events seen; the next event's ordinal. */
  seen = 0;
  private readonly scratchSet = new Set<number>();
  private readonly step = new Float64Array(STEP_FIELDS);

  constructor(readonly spec: FeatureSpec) {
    this.featureNames = spec.features.map((f) => f.name);
    this.retentionSeconds = retentionSeconds(spec);
    this.outputs = spec.features.map((f) => this.plan(f));
    if (spec.sequence !== undefined) {
      const names = spec.sequence.features ?? this.featureNames;
      this.sequenceFeatureNames = [...names];
      this.sequenceColumns = Int32Array.from(names, (n) => this.featureNames.indexOf(n));
      this.sequenceLength = spec.sequence.length ?? DEFAULT_SEQUENCE_LENGTH;
      this.sequenceWidth = (this.sequenceLength + 1) * names.length;
      // The sequence group goes last: a replay fills every other group's columns before it reads whole rows.
      const g = this.groupOf(spec.sequence.key ?? 'customerId');
      const [group] = this.groups.splice(g, 1) as [Group];
      this.groups.push(group);
      for (const o of this.outputs)
        if (o.group === g) o.group = this.groups.length - 1;
        else if (o.group > g) o.group--;
      group.sequenceSlots = this.sequenceLength * names.length;
      this.sequenceGroup = this.groups.length - 1;
    } else {
      this.sequenceFeatureNames = [];
      this.sequenceColumns = new Int32Array(0);
      this.sequenceLength = 0;
      this.sequenceWidth = 0;
      this.sequenceGroup = -1;
    }
    for (const group of this.groups) finishLayout(group);
    for (const o of this.outputs) {
      if (o.window < 0) continue;
      const group = this.groups[o.group] as Group;
      o.loSlot = o.window * WINDOW_SLOTS + WINDOW_LO;
      o.hiSlot = group.windows.length * WINDOW_SLOTS + (group.windows[o.window] as WindowPlan).delayClass;
    }
    this.eventColumns = Int32Array.from(this.outputs.flatMap((o, f) => (o.group < 0 ? [f] : [])));
    this.eventOutputs = Array.from(this.eventColumns, (f) => this.outputs[f] as Output);
    this.groups.forEach((group, g) => {
      group.columns = Int32Array.from(this.outputs.flatMap((o, f) => (o.group === g ? [f] : [])));
      group.outputs = Array.from(group.columns, (f) => this.outputs[f] as Output);
      group.outputKinds = Int32Array.from(group.outputs, (o) => o.kind);
      group.outputLoSlots = Int32Array.from(group.outputs, (o) => o.loSlot);
      group.outputHiSlots = Int32Array.from(group.outputs, (o) => o.hiSlot);
      group.outputSlots = Int32Array.from(group.outputs, (o) => o.slot);
      group.readsLocation = group.outputs.some((o) => o.kind === Kind.DistanceKm || o.kind === Kind.SpeedKmh);
    });
  }

  /** The ordinal of the last event given to {@link update}: what {@link applyLabel} needs to find it. */
  get lastOrdinal(): number {
    return this.seen - 1;
  }

  /**
   * Adds the event to the state and returns its features (into `out` when given, a new array
   * otherwise). Window features see the event itself when they have no delay. With a sequence in
   * the spec and `sequenceOut` given, writes the entity's previous events' step features (oldest
   * first, zeros where there were fewer) followed by this event's.
   */
  update(
    event: TransactionEvent,
    out = new Float64Array(this.outputs.length),
    sequenceOut?: Float64Array,
  ): Float64Array {
    const t = event.timestampSeconds;
    if (!Number.isFinite(t)) throw new InvalidEventError('timestampSeconds', t);
    if (!Number.isFinite(event.amount)) throw new InvalidEventError('amount', event.amount);
    if (t < this.latestSeconds) throw new OutOfOrderEventError(t, this.latestSeconds);
    this.latestSeconds = t;
    const ordinal = this.seen++;
    if (isSweepOrdinal(ordinal)) this.sweep(t);
    const step = this.step;
    step[EVENT_TIME] = t;
    step[EVENT_AMOUNT] = event.amount;
    step[EVENT_LABEL] = event.label ?? 0;
    step[EVENT_ORDINAL] = ordinal;
    const located = event.latitude !== undefined && event.longitude !== undefined;
    writeEventValues(this, step, out, 0);
    for (const group of this.groups) {
      const id = keyOf(event, group.key);
      if (id === undefined) {
        writeAbsentValues(group, this.scratchSet, out, 0, group.columns);
        continue;
      }
      let entity = group.entities.get(id);
      if (entity === undefined) {
        entity = newEntity(group);
        group.entities.set(id, entity);
      }
      const at = entity.append(step, group.loSlots, group.positionSlots);
      for (let f = 0; f < group.categoryFields.length; f++)
        entity.events[at + EVENT_FIXED_FIELDS + f] = hashCategory(
          categoryOf(event, group.categoryFields[f] as CategoryField),
        );
      const inputs = group.eventInputs;
      inputs.base = entity.end - 1;
      (inputs.latitudes as Float64Array)[0] = located ? (event.latitude as number) : Number.NaN;
      (inputs.longitudes as Float64Array)[0] = located ? (event.longitude as number) : Number.NaN;
      for (let k = 0; k < group.noveltyFields.length; k++)
        (inputs.novelty[k] as Float64Array)[0] = hashCategory(
          categoryOf(event, group.noveltyFields[k] as CategoryField),
        );
      updateEntityRun(group, entity, entity.end - 1, entity.end, inputs, this.scratchSet, out, 0, 0, group.columns);
    }
    if (this.sequenceGroup >= 0) {
      const group = this.groups[this.sequenceGroup] as Group;
      stepSequence(group.entity, out, 0, this.sequenceColumns, this.sequenceLength, sequenceOut, 0);
    }
    return out;
  }

  /**
   * Records a label that arrived after its event: delayed windows that hold the event see it from
   * now on (a replay sees labels once their delay has passed, as if they had arrived by then).
   * Returns false when no entity still holds the event (older than every window).
   */
  applyLabel(target: LabelTarget, label: number): boolean {
    let found = false;
    for (const group of this.groups) {
      if (group.windows.length === 0) continue;
      const id = keyOf(target, group.key);
      const entity = id === undefined ? undefined : group.entities.get(id);
      if (entity === undefined) continue;
      const position = findEvent(entity, target.ordinal);
      if (position < 0) continue;
      found = true;
      const e = entity.events;
      const at = position * group.stride + EVENT_LABEL;
      const change = label - (e[at] as number);
      e[at] = label;
      const c = entity.cursors;
      for (let w = 0; w < group.windows.length; w++) {
        const lo = c[w * WINDOW_SLOTS + WINDOW_LO] as number;
        const hi = c[group.windows.length * WINDOW_SLOTS + (group.windows[w] as WindowPlan).delayClass] as number;
        const sum = w * WINDOW_SLOTS + WINDOW_LABEL;
        if (position >= lo && position < hi) c[sum] = (c[sum] as number) + change;
      }
    }
    return found;
  }

  /** Forgets entities idle for longer than the retention (every {@link SWEEP_EVERY_EVENTS} events). */
  private sweep(now: number): void {
    for (const group of this.groups)
      for (const [id, entity] of group.entities)
        if (forgetsEntity(this, entity, now)) group.entities.delete(id);
        else entity.shrinkToFit(group.loSlots, group.positionSlots);
  }

  /** Room for events the state holds over all entities: bounded by the windows, not the stream. */
  heldEventCapacity(): number {
    let total = 0;
    for (const group of this.groups) for (const entity of group.entities.values()) total += entity.capacity;
    return total;
  }

  /**
   * The window features (counts, sums, means, maxima, distinct counts, amount-to-mean) of one
   * entity as of its last event — windows move only with the entity's own events — for a
   * profile. Read-only: the state is not changed. Undefined when no group has the key or the
   * entity is not held (never seen, or forgotten after the retention).
   *
   * @example
   * executor.entityWindowFeatures('terminalId', 'T7');
   * // { lastEventSeconds: 1764748800, values: { TERMINAL_ID_NB_TX_1DAY_WINDOW: 31, … } }
   */
  entityWindowFeatures(
    key: EntityKey,
    id: string,
  ): { lastEventSeconds: number; values: Record<string, number> } | undefined {
    const group = this.groups.find((g) => g.key === key);
    const entity = group?.entities.get(id);
    if (group === undefined || entity === undefined || entity.end === 0) return undefined;
    const out = new Float64Array(1);
    const values: Record<string, number> = {};
    group.outputs.forEach((o, j) => {
      if (o.window < 0) return;
      writeGroupValue(o, group, entity, this.scratchSet, out, 0);
      values[this.featureNames[group.columns[j] as number] as string] = out[0] as number;
    });
    return { lastEventSeconds: entity.lastSeconds, values };
  }

  /** Entities held per key, e.g. `{ customerId: 4990, terminalId: 10000 }`. */
  entityCounts(): Partial<Record<EntityKey, number>> {
    return Object.fromEntries(this.groups.map((g) => [g.key, g.entities.size]));
  }

  private groupOf(key: EntityKey): number {
    let g = this.groups.findIndex((x) => x.key === key);
    if (g < 0) {
      this.groups.push({
        key,
        entities: new Map(),
        windows: [],
        delays: [],
        categoryFields: [],
        noveltyMemories: [],
        noveltyFields: [],
        sequenceSlots: 0,
        readsLocation: false,
        stride: EVENT_FIXED_FIELDS,
        loSlots: new Int32Array(0),
        positionSlots: new Int32Array(0),
        outputs: [],
        columns: new Int32Array(0),
        windowDelayClass: new Int32Array(0),
        windowDelaySeconds: new Float64Array(0),
        windowLengthSeconds: new Float64Array(0),
        delaySeconds: new Float64Array(0),
        outputKinds: new Int32Array(0),
        outputLoSlots: new Int32Array(0),
        outputHiSlots: new Int32Array(0),
        outputSlots: new Int32Array(0),
        categoryValues: new Float64Array(0),
        eventInputs: { latitudes: undefined, longitudes: undefined, novelty: [], base: 0 },
        entity: undefined,
        previousSeconds: Number.NaN,
        distanceKm: 0,
        speedKmh: 0,
        novel: new Float64Array(0),
      });
      g = this.groups.length - 1;
    }
    return g;
  }

  private windowOf(group: Group, delaySeconds: number, lengthSeconds: number): number {
    let w = group.windows.findIndex((x) => x.delaySeconds === delaySeconds && x.lengthSeconds === lengthSeconds);
    if (w < 0) {
      let delayClass = group.delays.indexOf(delaySeconds);
      if (delayClass < 0) {
        group.delays.push(delaySeconds);
        delayClass = group.delays.length - 1;
      }
      group.windows.push({ delaySeconds, lengthSeconds, delayClass });
      w = group.windows.length - 1;
    }
    return w;
  }

  private plan(f: FeatureDefinition): Output {
    const output = (kind: Kind, rest: Partial<Output> = {}): Output => ({
      kind,
      group: -1,
      window: -1,
      slot: 0,
      param: 0,
      loSlot: 0,
      hiSlot: 0,
      ...rest,
    });
    const key = featureKey(f);
    const g = key === undefined ? -1 : this.groupOf(key);
    const group = this.groups[g] as Group;
    switch (f.kind) {
      case 'amount':
        return output(Kind.Amount);
      case 'weekend':
        return output(Kind.Weekend);
      case 'night':
        return output(Kind.Night, { param: f.lastHour });
      case 'hourOfDay':
        return output(Kind.HourOfDay);
      case 'secondsSincePrevious':
        return output(Kind.SecondsSincePrevious, { group: g, param: f.capSeconds ?? DEFAULT_CAP_SECONDS });
      case 'distanceKm':
        return output(Kind.DistanceKm, { group: g });
      case 'speedKmh':
        return output(Kind.SpeedKmh, { group: g });
      case 'firstUse':
        group.noveltyFields.push(f.field);
        group.noveltyMemories.push(f.memory ?? DEFAULT_NOVELTY_MEMORY);
        return output(Kind.FirstUse, { group: g, param: group.noveltyFields.length - 1 });
      case 'amountToMean':
        return output(Kind.AmountToMean, { group: g, window: this.windowOf(group, 0, windowSeconds(f) as number) });
      case 'window': {
        const window = this.windowOf(group, (f.delayDays ?? 0) * DAY_SECONDS, windowSeconds(f) as number);
        switch (f.aggregate) {
          case 'count':
            return output(Kind.Count, { group: g, window });
          case 'sum':
          case 'mean':
            return output(f.aggregate === 'sum' ? Kind.Sum : Kind.Mean, {
              group: g,
              window,
              slot: f.field === 'label' ? WINDOW_LABEL : WINDOW_AMOUNT,
            });
          case 'max':
            return output(Kind.Max, { group: g, window, slot: f.field === 'label' ? EVENT_LABEL : EVENT_AMOUNT });
          case 'distinct': {
            const field = f.field as CategoryField;
            let index = group.categoryFields.indexOf(field);
            if (index < 0) {
              group.categoryFields.push(field);
              index = group.categoryFields.length - 1;
            }
            return output(Kind.Distinct, { group: g, window, slot: EVENT_FIXED_FIELDS + index });
          }
        }
      }
    }
  }
}

/** Whether the executor sweeps idle entities before the event with this ordinal. */
export function isSweepOrdinal(ordinal: number): boolean {
  return ordinal > 0 && ordinal % SWEEP_EVERY_EVENTS === 0;
}

/** The ordinal of the last sweep at or before `ordinal`, or −1. */
export function lastSweepOrdinal(ordinal: number): number {
  const k = Math.floor(ordinal / SWEEP_EVERY_EVENTS) * SWEEP_EVERY_EVENTS;
  return k > 0 ? k : -1;
}

/** Whether a sweep at time `now` forgets the entity: idle for longer than the retention. */
export function forgetsEntity(executor: FeatureExecutor, entity: EntityState, now: number): boolean {
  return forgetsEntityLastSeenAt(executor, entity.lastSeconds, now);
}

/** Whether a sweep at time `now` forgets an entity last seen at `lastSeconds`. */
export function forgetsEntityLastSeenAt(executor: FeatureExecutor, lastSeconds: number, now: number): boolean {
  return lastSeconds < now - executor.retentionSeconds;
}

/** A fresh entity of the group (with room for `initialEvents`, by default a few). */
export function newEntity(group: Group, initialEvents?: number): EntityState {
  return new EntityState(
    group.stride,
    group.windows.length * WINDOW_SLOTS + group.delays.length,
    group.noveltyMemories,
    group.sequenceSlots,
    initialEvents,
  );
}

/** The current event has no value for the group's key: its features read as if the entity were new and empty. */
export function leaveEntity(group: Group): void {
  group.entity = undefined;
  group.novel.fill(0);
}

/**
 * The per-entity step both paths run, for a run of the entity's events in time order: positions
 * [from, to) of `entity.events`, which already hold them (the online path appends its one event;
 * a replay points the entity at the stretch of its gathered events). For each event in turn the
 * entity takes it (the previous event, location, novelty memories, windows) and the group's
 * features are written into `out`, one row of `rowWidth` values per event from `outStart`, at
 * their `columns` (the group's output columns, or 0, 1, … for the group's features alone).
 */
export function updateEntityRun(
  group: Group,
  entity: EntityState,
  from: number,
  to: number,
  inputs: RunInputs,
  scratchSet: Set<number>,
  out: Float64Array,
  outStart: number,
  rowWidth: number,
  columns: Int32Array,
): void {
  group.entity = entity;
  const stride = group.stride;
  const windowed = group.windows.length > 0;
  for (let p = from; p < to; p++) {
    const e = entity.events;
    const at = p * stride;
    const t = e[at + EVENT_TIME] as number;
    entity.end = p + 1;
    group.previousSeconds = entity.lastSeconds;
    entity.lastSeconds = t;
    if (group.readsLocation) {
      const latitude = (inputs.latitudes as Float64Array)[p - inputs.base] as number;
      const longitude = (inputs.longitudes as Float64Array)[p - inputs.base] as number;
      locate(group, entity, t, latitude, longitude);
    }
    for (let k = 0; k < group.noveltyFields.length; k++)
      group.novel[k] = rememberValue(entity, k, (inputs.novelty[k] as Float64Array)[p - inputs.base] as number);
    if (windowed) advanceWindows(group, entity);
    writeGroupValues(group, entity, scratchSet, out, outStart + (p - from) * rowWidth, columns);
  }
}

/** An event without a value for the group's key: its features read as if the entity were new and empty. */
export function writeAbsentValues(
  group: Group,
  scratchSet: Set<number>,
  out: Float64Array,
  offset: number,
  columns: Int32Array,
): void {
  leaveEntity(group);
  writeGroupValues(group, undefined, scratchSet, out, offset, columns);
}

/** The distance and speed from the entity's previous located event (NaN coordinates: the event has none). */
function locate(group: Group, entity: EntityState, t: number, latitude: number, longitude: number): void {
  if (Number.isFinite(latitude) && Number.isFinite(longitude)) {
    if (Number.isNaN(entity.lastLocatedSeconds)) {
      group.distanceKm = 0;
      group.speedKmh = 0;
    } else {
      const km = haversineKm(entity.lastLatitude, entity.lastLongitude, latitude, longitude);
      group.distanceKm = km;
      group.speedKmh = km / Math.max((t - entity.lastLocatedSeconds) / 3600, MIN_SPEED_HOURS);
    }
    entity.lastLocatedSeconds = t;
    entity.lastLatitude = latitude;
    entity.lastLongitude = longitude;
  } else {
    group.distanceKm = 0;
    group.speedKmh = 0;
  }
}

/** First use: 1 when the value is not in the entity's memory k (which then holds it), 0 when known or absent. */
function rememberValue(entity: EntityState, k: number, value: number): number {
  if (Number.isNaN(value)) return 0;
  const memory = entity.novelty[k] as Float64Array;
  const stored = entity.noveltyStored[k] as number;
  const held = Math.min(stored, memory.length);
  for (let j = 0; j < held; j++) if (memory[j] === value) return 0;
  memory[stored % memory.length] = value;
  entity.noveltyStored[k] = stored + 1;
  return 1;
}

/** Writes the features of the event alone into `out` at `offset` (a row of the output). */
export function writeEventValues(
  executor: FeatureExecutor,
  step: Float64Array,
  out: Float64Array,
  offset: number,
): void {
  const amount = step[EVENT_AMOUNT] as number;
  const t = step[EVENT_TIME] as number;
  const outputs = executor.eventOutputs;
  const columns = executor.eventColumns;
  for (let j = 0; j < outputs.length; j++)
    out[offset + (columns[j] as number)] = eventValue(outputs[j] as Output, amount, t);
}

/** Writes the group's features of the entity (after its last event; undefined: none) into `out` at `offset` plus `columns`. */
function writeGroupValues(
  group: Group,
  entity: EntityState | undefined,
  scratchSet: Set<number>,
  out: Float64Array,
  offset: number,
  columns: Int32Array,
): void {
  const kinds = group.outputKinds;
  for (let j = 0; j < columns.length; j++) {
    const at = offset + (columns[j] as number);
    const kind = kinds[j] as Kind;
    // Counts, sums and means (most features) read two cursors; the rest are worked out below.
    if (entity !== undefined && (kind === Kind.Count || kind === Kind.Mean || kind === Kind.Sum)) {
      const c = entity.cursors;
      const lo = group.outputLoSlots[j] as number;
      const count = (c[group.outputHiSlots[j] as number] as number) - (c[lo] as number);
      const sum = c[lo + (group.outputSlots[j] as number)] as number;
      out[at] = kind === Kind.Count ? count : kind === Kind.Sum ? sum : count > 0 ? sum / count : 0;
    } else writeGroupValue(group.outputs[j] as Output, group, entity, scratchSet, out, at);
  }
}

/** A feature of the event alone. */
export function eventValue(o: Output, amount: number, t: number): number {
  switch (o.kind) {
    case Kind.Amount:
      return amount;
    case Kind.Weekend: {
      // 1970-01-01 was a Thursday: day 0 → 4 with Sunday = 0.
      const weekday = (Math.floor(t / DAY_SECONDS) + 4) % 7;
      return weekday === 0 || weekday === 6 ? 1 : 0;
    }
    case Kind.Night:
      return Math.floor((t - Math.floor(t / DAY_SECONDS) * DAY_SECONDS) / 3600) <= o.param ? 1 : 0;
    default:
      return (t - Math.floor(t / DAY_SECONDS) * DAY_SECONDS) / 3600;
  }
}

/**
 * Writes a feature of the group's current entity (after {@link updateGroup}) into `out[at]`
 * (a store, not a return value: a double returned from a call that is not inlined is boxed).
 */
function writeGroupValue(
  o: Output,
  group: Group,
  entity: EntityState | undefined,
  scratchSet: Set<number>,
  out: Float64Array,
  at: number,
): void {
  switch (o.kind) {
    case Kind.SecondsSincePrevious:
      // The entity's last event is the current one.
      out[at] =
        entity === undefined || Number.isNaN(group.previousSeconds)
          ? o.param
          : Math.min(o.param, entity.lastSeconds - group.previousSeconds);
      return;
    case Kind.FirstUse:
      out[at] = group.novel[o.param] as number;
      return;
    case Kind.DistanceKm:
      out[at] = entity === undefined ? 0 : group.distanceKm;
      return;
    case Kind.SpeedKmh:
      out[at] = entity === undefined ? 0 : group.speedKmh;
      return;
    default:
      break;
  }
  if (entity === undefined) {
    out[at] = o.kind === Kind.AmountToMean ? 1 : 0;
    return;
  }
  const c = entity.cursors;
  const lo = c[o.loSlot] as number;
  const hi = c[o.hiSlot] as number;
  const count = hi - lo;
  switch (o.kind) {
    case Kind.Count:
      out[at] = count;
      return;
    case Kind.Sum:
      out[at] = c[o.loSlot + o.slot] as number;
      return;
    case Kind.Mean:
      out[at] = count > 0 ? (c[o.loSlot + o.slot] as number) / count : 0;
      return;
    case Kind.AmountToMean: {
      // The window holds this event, the entity's last (no delay): the mean of the others.
      const amount = entity.events[(entity.end - 1) * group.stride + EVENT_AMOUNT] as number;
      const others = count - 1;
      const mean = others <= 0 ? 0 : ((c[o.loSlot + WINDOW_AMOUNT] as number) - amount) / others;
      out[at] = mean > 0 ? amount / mean : 1;
      return;
    }
    case Kind.Max: {
      const e = entity.events;
      let max = Number.NEGATIVE_INFINITY;
      for (let j = lo; j < hi; j++) max = Math.max(max, e[j * group.stride + o.slot] as number);
      out[at] = count === 0 ? 0 : max;
      return;
    }
    default: {
      // Distinct: values in the window; events without one are not counted.
      const e = entity.events;
      scratchSet.clear();
      for (let j = lo; j < hi; j++) {
        const v = e[j * group.stride + o.slot] as number;
        if (!Number.isNaN(v)) scratchSet.add(v);
      }
      out[at] = scratchSet.size;
    }
  }
}

/**
 * Writes the sequence row (previous steps oldest first, zero-padded, then this row's step from
 * `row` at `rowOffset`) into `sequenceOut` at `outOffset` when given, then pushes this step onto
 * the entity's ring.
 */
export function stepSequence(
  entity: EntityState | undefined,
  row: Float64Array,
  rowOffset: number,
  columns: Int32Array,
  length: number,
  sequenceOut: Float64Array | Float32Array | undefined,
  outOffset: number,
): void {
  const width = columns.length;
  if (sequenceOut !== undefined) {
    sequenceOut.fill(0, outOffset, outOffset + (length + 1) * width);
    if (entity !== undefined) {
      const ring = entity.sequence;
      const held = entity.sequenceCount;
      for (let s = 0; s < held; s++) {
        const from = ((entity.sequenceHead - held + s + length) % length) * width;
        const to = outOffset + (length - held + s) * width;
        for (let j = 0; j < width; j++) sequenceOut[to + j] = ring[from + j] as number;
      }
    }
    const to = outOffset + length * width;
    for (let j = 0; j < width; j++) sequenceOut[to + j] = row[rowOffset + (columns[j] as number)] as number;
  }
  if (entity !== undefined) {
    const at = entity.sequenceHead * width;
    for (let j = 0; j < width; j++) entity.sequence[at + j] = row[rowOffset + (columns[j] as number)] as number;
    entity.sequenceHead = (entity.sequenceHead + 1) % length;
    entity.sequenceCount = Math.min(length, entity.sequenceCount + 1);
  }
}

/** Stride, and which cursor slots hold event positions, once every feature is planned. */
function finishLayout(group: Group): void {
  group.stride = EVENT_FIXED_FIELDS + group.categoryFields.length;
  group.novel = new Float64Array(group.noveltyFields.length);
  group.categoryValues = new Float64Array(group.categoryFields.length);
  group.eventInputs = {
    latitudes: new Float64Array(1),
    longitudes: new Float64Array(1),
    novelty: group.noveltyFields.map(() => new Float64Array(1)),
    base: 0,
  };
  const nWindows = group.windows.length;
  group.windowDelayClass = Int32Array.from(group.windows, (w) => w.delayClass);
  group.windowDelaySeconds = Float64Array.from(group.windows, (w) => w.delaySeconds);
  group.windowLengthSeconds = Float64Array.from(group.windows, (w) => w.lengthSeconds);
  group.delaySeconds = Float64Array.from(group.delays);
  group.loSlots = Int32Array.from(group.windows, (_, w) => w * WINDOW_SLOTS + WINDOW_LO);
  group.positionSlots = Int32Array.from([...group.loSlots, ...group.delays.map((_, d) => nWindows * WINDOW_SLOTS + d)]);
}

/**
 * Moves every window of the entity to (now − delay − length, now − delay], now the time of its
 * last event: each distinct delay's end advances once and adds what it passes to its windows'
 * sums; each window's start then drops what fell out.
 */
function advanceWindows(group: Group, entity: EntityState): void {
  const c = entity.cursors;
  const e = entity.events;
  const stride = group.stride;
  const end = entity.end;
  const now = e[(end - 1) * stride + EVENT_TIME] as number;
  const delayClass = group.windowDelayClass;
  const nWindows = delayClass.length;
  const delays = group.delaySeconds;
  const ends = nWindows * WINDOW_SLOTS;
  for (let d = 0; d < delays.length; d++) {
    const from = c[ends + d] as number;
    const upper = now - (delays[d] as number);
    let hi = from;
    let amount = 0;
    let label = 0;
    while (hi < end && (e[hi * stride + EVENT_TIME] as number) <= upper) {
      amount += e[hi * stride + EVENT_AMOUNT] as number;
      label += e[hi * stride + EVENT_LABEL] as number;
      hi++;
    }
    if (hi === from) continue;
    c[ends + d] = hi;
    for (let w = 0; w < nWindows; w++) {
      if (delayClass[w] !== d) continue;
      const o = w * WINDOW_SLOTS;
      c[o + WINDOW_AMOUNT] = (c[o + WINDOW_AMOUNT] as number) + amount;
      c[o + WINDOW_LABEL] = (c[o + WINDOW_LABEL] as number) + label;
    }
  }
  for (let w = 0; w < nWindows; w++) {
    const o = w * WINDOW_SLOTS;
    const hi = c[ends + (delayClass[w] as number)] as number;
    const lower = now - (group.windowDelaySeconds[w] as number) - (group.windowLengthSeconds[w] as number);
    let lo = c[o + WINDOW_LO] as number;
    if (lo >= hi || (e[lo * stride + EVENT_TIME] as number) > lower) continue;
    let amount = c[o + WINDOW_AMOUNT] as number;
    let label = c[o + WINDOW_LABEL] as number;
    while (lo < hi && (e[lo * stride + EVENT_TIME] as number) <= lower) {
      amount -= e[lo * stride + EVENT_AMOUNT] as number;
      label -= e[lo * stride + EVENT_LABEL] as number;
      lo++;
    }
    // Running sums drift by rounding as events come and go; an empty window is exactly zero.
    if (lo === hi) {
      amount = 0;
      label = 0;
    }
    c[o + WINDOW_LO] = lo;
    c[o + WINDOW_AMOUNT] = amount;
    c[o + WINDOW_LABEL] = label;
  }
}

/** The position of the event with this time and ordinal among the entity's held events, or −1. */
function findEvent(entity: EntityState, ordinal: number): number {
  // By ordinal, not time: an entity's events are in ordinal order, and a service that takes
  // slightly late events processes them at a time later than their own (OnlineScorer's lateness).
  const e = entity.events;
  const stride = entity.stride;
  let lo = 0;
  let hi = entity.end;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((e[mid * stride + EVENT_ORDINAL] as number) < ordinal) lo = mid + 1;
    else hi = mid;
  }
  return lo < entity.end && e[lo * stride + EVENT_ORDINAL] === ordinal ? lo : -1;
}
