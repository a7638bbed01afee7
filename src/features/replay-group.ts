import type { EntityState } from './entity-state.js';
import { EVENT_AMOUNT, EVENT_FIXED_FIELDS, EVENT_LABEL, EVENT_ORDINAL, EVENT_TIME } from './entity-state.js';
import {
  type FeatureExecutor,
  forgetsEntityLastSeenAt,
  type Group,
  lastSweepOrdinal,
  newEntity,
  type RunInputs,
  SWEEP_EVERY_EVENTS,
  stepSequence,
  updateEntityRun,
  writeAbsentValues,
} from './feature-executor.js';

/**
 * What one group's replay reads, by row: the key's dictionary codes and the columns its features
 * need. Plain typed arrays, so a worker thread can be handed them (on shared memory) as they are.
 */
export interface GroupColumns {
  /** The key's code per row, −1 where the row has no value for it. */
  codes: Int32Array;
  /** Distinct keys: codes run 0 … distinct − 1. */
  distinct: number;
  times: Float64Array;
  amounts: Float64Array;
  labels: Float64Array | undefined;
  /** Hashed values (NaN where none) per category field of the group, in `group.categoryFields` order. */
  categories: Float64Array[];
  /** Hashed values (NaN where none) per novelty field of the group, in `group.noveltyFields` order. */
  novelty: Float64Array[];
  /** Degrees, NaN where none; only when the group reads locations. */
  latitudes: Float64Array | undefined;
  longitudes: Float64Array | undefined;
}

/** Where a group's replay writes: every row's features, and the sequence rows for the sequence group. */
export interface GroupOutput {
  /** nRows × nFeatures, row-major; the pass writes only its group's columns. */
  features: Float64Array;
  nFeatures: number;
  sequences?: Float32Array;
  /** Per row, its sequence row or −1. */
  sequenceSlot?: Int32Array;
}

/**
 * Replays group `g` of the executor over every row: each entity's events together, in time order,
 * through the per-entity step the online path runs (`updateEntityRun`), writing the group's columns
 * of `out.features` (and the sequence rows for the sequence group, which must come after every
 * other group: it reads whole rows). Returns, per key code, the entity's state after its last row
 * (undefined when it was forgotten), as the online executor would then hold it.
 *
 * An entity's state changes only with its own events, so taking its events together gives the same
 * values as the interleaved stream while its state stays in cache. Rows are put in entity order with
 * a counting sort that writes every event straight into one buffer, laid out as an entity holds its
 * events; while an entity's rows are replayed its event array is its stretch of that buffer, so adding
 * an event moves nothing, and afterwards it keeps what its windows still need. Idle entities are
 * forgotten at the same events as online. `buffer`, when large enough (nRows × the group's stride),
 * holds the entity-ordered events instead of a new array, so passes in turn can share one.
 */
export function replayGroup(
  executor: FeatureExecutor,
  g: number,
  columns: GroupColumns,
  out: GroupOutput,
  buffer?: Float64Array,
): (EntityState | undefined)[] {
  const group = executor.groups[g] as Group;
  const n = columns.codes.length;
  const events =
    buffer !== undefined && buffer.length >= n * group.stride ? buffer : new Float64Array(n * group.stride);
  const order = entityOrder(group, columns, events);
  const isSequenceGroup = g === executor.sequenceGroup;
  const settled: (EntityState | undefined)[] = new Array(columns.distinct).fill(undefined);
  // Every field in the same order for every group, so the loops below see one object shape.
  const pass: GroupPass = {
    starts: order.starts,
    missing: order.missing,
    inputs: order.inputs,
    executor,
    group,
    events,
    times: columns.times,
    features: out.features,
    nFeatures: out.nFeatures,
    sequences: isSequenceGroup ? out.sequences : undefined,
    sequenceSlot: isSequenceGroup ? out.sequenceSlot : undefined,
    scratchSet: new Set<number>(),
    staged: new Staged(group, events),
    settled,
  };
  const entities = order.starts.length - 1;
  for (let e = 0; e < entities; e++) replayEntity(pass, e, order.starts[e] as number, order.starts[e + 1] as number);
  pass.staged.flush(out.features, out.nFeatures);
  return settled;
}

/** A group's rows in entity order: entity e (its key code; the rows without a key last) at positions [starts[e], starts[e + 1]). */
interface EntityOrder {
  starts: Int32Array;
  /** The entity index of the rows without a key, or −1 when every row has one. */
  missing: number;
  /** The locations and novelty fields' hashed values the group reads, by position. */
  inputs: RunInputs;
}

/** One group's replay: its rows in entity order, and where results go. */
interface GroupPass extends EntityOrder {
  executor: FeatureExecutor;
  group: Group;
  /** Every row's event in entity order, laid out as {@link EntityState.events} (the ordinal is the row). */
  events: Float64Array;
  times: Float64Array;
  features: Float64Array;
  nFeatures: number;
  /** Only for the sequence group. */
  sequences: Float32Array | undefined;
  sequenceSlot: Int32Array | undefined;
  scratchSet: Set<number>;
  staged: Staged;
  settled: (EntityState | undefined)[];
}

/** Rows of a group's results staged before they go to their rows. */
const STAGED_ROWS = 4096;

/**
 * A group's results for consecutive positions of the entity order, written one after another and
 * then copied to their rows in one tight loop: there the processor keeps many of those scattered
 * stores in flight, where between the steps of the replay each stalled it.
 */
class Staged {
  readonly values: Float64Array;
  /** The group's features alone: 0, 1, … */
  readonly packed: Int32Array;
  readonly columns: Int32Array;
  readonly stride: number;
  /** Staged: positions [first, first + count). */
  first = 0;
  count = 0;

  constructor(
    group: Group,
    readonly events: Float64Array,
  ) {
    this.values = new Float64Array(STAGED_ROWS * group.columns.length);
    this.packed = Int32Array.from(group.columns, (_, j) => j);
    this.columns = group.columns;
    this.stride = group.stride;
  }

  /** Room for `rows` more at `position` (the next after the staged ones, or a flush first). */
  reserve(position: number, rows: number, features: Float64Array, nFeatures: number): number {
    if (this.count > 0 && (this.count + rows > STAGED_ROWS || position !== this.first + this.count))
      this.flush(features, nFeatures);
    if (this.count === 0) this.first = position;
    const at = this.count * this.packed.length;
    this.count += rows;
    return at;
  }

  flush(features: Float64Array, nFeatures: number): void {
    const { values, columns, events, stride } = this;
    const width = columns.length;
    const first = columns[0] as number;
    const contiguous = columns.every((c, j) => c === first + j);
    for (let k = 0; k < this.count; k++) {
      const row = ((events[(this.first + k) * stride + EVENT_ORDINAL] as number) | 0) * nFeatures;
      const from = k * width;
      if (contiguous) {
        // Four at a time: the loop's own overhead is what separates these stores.
        const at = row + first;
        let j = 0;
        for (; j + 4 <= width; j += 4) {
          features[at + j] = values[from + j] as number;
          features[at + j + 1] = values[from + j + 1] as number;
          features[at + j + 2] = values[from + j + 2] as number;
          features[at + j + 3] = values[from + j + 3] as number;
        }
        for (; j < width; j++) features[at + j] = values[from + j] as number;
      } else for (let j = 0; j < width; j++) features[row + (columns[j] as number)] = values[from + j] as number;
    }
    this.count = 0;
  }
}

/**
 * Puts every row's event into entity order: a stable counting sort on the key's codes that
 * reads the columns in row order and writes each event to its entity's next position (random
 * writes, which the processor buffers, instead of random reads, which it waits for).
 */
function entityOrder(group: Group, columns: GroupColumns, events: Float64Array): EntityOrder {
  const { codes, times, amounts, labels } = columns;
  const n = codes.length;
  let rowsWithoutKey = 0;
  for (let i = 0; i < n; i++) if ((codes[i] as number) < 0) rowsWithoutKey++;
  const missing = rowsWithoutKey > 0 ? columns.distinct : -1;
  const entities = columns.distinct + (missing >= 0 ? 1 : 0);
  const starts = new Int32Array(entities + 1);
  for (let i = 0; i < n; i++) {
    const c = codes[i] as number;
    const e = c < 0 ? missing : c;
    starts[e + 1] = (starts[e + 1] as number) + 1;
  }
  for (let e = 0; e < entities; e++) starts[e + 1] = (starts[e + 1] as number) + (starts[e] as number);
  const next = starts.slice(0, entities);
  const stride = group.stride;
  for (let i = 0; i < n; i++) {
    const c = codes[i] as number;
    const e = c < 0 ? missing : c;
    const p = next[e] as number;
    next[e] = p + 1;
    const at = p * stride;
    events[at + EVENT_TIME] = times[i] as number;
    events[at + EVENT_AMOUNT] = amounts[i] as number;
    events[at + EVENT_LABEL] = labels === undefined ? 0 : (labels[i] as number);
    events[at + EVENT_ORDINAL] = i;
  }
  // Fields only some specs read, a column at a time: each row's position is where its ordinal went.
  const extras = columns.categories.length + columns.novelty.length + (group.readsLocation ? 1 : 0);
  const position = extras === 0 ? undefined : new Int32Array(n);
  if (position !== undefined) for (let p = 0; p < n; p++) position[events[p * stride + EVENT_ORDINAL] as number] = p;
  const scatter = (values: Float64Array, to: Float64Array, offset: number, step: number) => {
    for (let i = 0; i < n; i++) to[((position as Int32Array)[i] as number) * step + offset] = values[i] as number;
  };
  columns.categories.forEach((hashed, f) => {
    scatter(hashed, events, EVENT_FIXED_FIELDS + f, stride);
  });
  const novelty = columns.novelty.map((hashed) => {
    const to = new Float64Array(n);
    scatter(hashed, to, 0, 1);
    return to;
  });
  let latitudes: Float64Array | undefined;
  let longitudes: Float64Array | undefined;
  if (group.readsLocation && columns.latitudes !== undefined && columns.longitudes !== undefined) {
    latitudes = new Float64Array(n);
    longitudes = new Float64Array(n);
    scatter(columns.latitudes, latitudes, 0, 1);
    scatter(columns.longitudes, longitudes, 0, 1);
  }
  return { starts, missing, inputs: { latitudes, longitudes, novelty, base: 0 } };
}

/**
 * Runs one entity's positions [from, to) of the entity order through the executor's per-entity
 * step, in runs between sweeps for idle entities (at which it may start again as a new entity).
 * While it does, the entity's event array is the entity-ordered buffer itself, which already holds
 * each event where the online path would have appended it; when its rows are done the entity gets
 * its own array with what its windows still need.
 */
function replayEntity(p: GroupPass, e: number, from: number, to: number): void {
  const { group, events, features, nFeatures, times, executor } = p;
  const stride = group.stride;
  const sequenceSlot = p.sequenceSlot;
  const ordinalAt = (r: number) => (events[r * stride + EVENT_ORDINAL] as number) | 0;
  if (e === p.missing) {
    // Rows without a value for the key.
    for (let r = from; r < to; r++) {
      const offset = ordinalAt(r) * nFeatures;
      writeAbsentValues(group, p.scratchSet, features, offset, group.columns);
      if (sequenceSlot !== undefined) writeSequence(p, undefined, ordinalAt(r));
    }
    return;
  }
  let entity: EntityState | undefined;
  let previousRow = -1;
  let previousSeconds = Number.NaN;
  for (let r = from; r < to; ) {
    const i = ordinalAt(r);
    if (entity === undefined || forgottenBefore(executor, times, previousRow, previousSeconds, i))
      entity = replayedEntity(group, events, r);
    // A run up to the next sweep for idle entities, the only place the entity can be forgotten; one
    // row at a time for the sequence group, which reads each whole row before the next.
    let end = r + 1;
    if (sequenceSlot === undefined) {
      const sweep = (Math.floor(i / SWEEP_EVERY_EVENTS) + 1) * SWEEP_EVERY_EVENTS;
      const last = Math.min(to, r + STAGED_ROWS);
      while (end < last && ordinalAt(end) < sweep) end++;
      const staged = p.staged;
      const at = staged.reserve(r, end - r, features, nFeatures);
      updateEntityRun(
        group,
        entity,
        r,
        end,
        p.inputs,
        p.scratchSet,
        staged.values,
        at,
        staged.packed.length,
        staged.packed,
      );
    } else {
      updateEntityRun(group, entity, r, end, p.inputs, p.scratchSet, features, i * nFeatures, 0, group.columns);
      writeSequence(p, entity, i);
    }
    previousRow = ordinalAt(end - 1);
    previousSeconds = events[(end - 1) * stride + EVENT_TIME] as number;
    r = end;
  }
  if (entity !== undefined && !forgottenBefore(executor, times, previousRow, previousSeconds, times.length - 1))
    p.settled[e] = settledEntity(group, entity);
}

/** Row i's sequence (every other column of the row is done: the sequence group comes last), then the entity's ring moves on. */
function writeSequence(p: GroupPass, entity: EntityState | undefined, i: number): void {
  const slot = (p.sequenceSlot as Int32Array)[i] as number;
  stepSequence(
    entity,
    p.features,
    i * p.nFeatures,
    p.executor.sequenceColumns,
    p.executor.sequenceLength,
    slot < 0 ? undefined : p.sequences,
    slot * p.executor.sequenceWidth,
  );
}

/** A new entity whose event array is the entity-ordered buffer, holding no events yet, before position `at`. */
function replayedEntity(group: Group, events: Float64Array, at: number): EntityState {
  const entity = newEntity(group, 0);
  entity.events = events;
  entity.end = at;
  for (let k = 0; k < group.positionSlots.length; k++) entity.cursors[group.positionSlots[k] as number] = at;
  return entity;
}

/** The room an entity gets for `live` events: a power of two, at least 4. */
export function eventCapacity(live: number): number {
  return Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, live))));
}

/** The entity with its own event array again: the events its windows still need, positions shifted to match. */
function settledEntity(group: Group, entity: EntityState): EntityState {
  const stride = group.stride;
  const c = entity.cursors;
  let oldest = entity.end;
  for (let k = 0; k < group.loSlots.length; k++) oldest = Math.min(oldest, c[group.loSlots[k] as number] as number);
  const live = entity.end - oldest;
  const own = new Float64Array(eventCapacity(live) * stride);
  own.set(entity.events.subarray(oldest * stride, entity.end * stride));
  entity.events = own;
  entity.end = live;
  for (let k = 0; k < group.positionSlots.length; k++) {
    const slot = group.positionSlots[k] as number;
    c[slot] = (c[slot] as number) - oldest;
  }
  return entity;
}

/**
 * Whether the online executor would have forgotten an entity last seen at row `previousRow`
 * (time `previousSeconds`) by the time it reaches row `row`: a sweep between them found it idle
 * past the retention.
 */
function forgottenBefore(
  executor: FeatureExecutor,
  times: Float64Array,
  previousRow: number,
  previousSeconds: number,
  row: number,
): boolean {
  const sweep = lastSweepOrdinal(row);
  return sweep > previousRow && forgetsEntityLastSeenAt(executor, previousSeconds, times[sweep] as number);
}
