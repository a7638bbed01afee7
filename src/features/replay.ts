import { DataError } from '../errors.js';
import { hashCategory } from './category-hash.js';
import type { EntityState } from './entity-state.js';
import { EVENT_AMOUNT, EVENT_FIXED_FIELDS, EVENT_LABEL, EVENT_ORDINAL, EVENT_TIME } from './entity-state.js';
import { InvalidEventError, OutOfOrderEventError } from './feature-errors.js';
import {
  FeatureExecutor,
  forgetsEntityLastSeenAt,
  type Group,
  lastSweepOrdinal,
  newEntity,
  type RunInputs,
  STEP_FIELDS,
  SWEEP_EVERY_EVENTS,
  stepSequence,
  updateEntityRun,
  writeAbsentValues,
  writeEventValues,
} from './feature-executor.js';
import type { CategoryField, FeatureSpec } from './feature-spec.js';
import type { DictionaryColumn, TransactionColumns } from './transactions-from-csv.js';

export interface ReplayOptions {
  /**
   * Rows (ascending indices) whose sequence rows to write, e.g. the training and test periods:
   * every row still passes through the sequence state. Default: all rows, when the spec has a sequence.
   */
  sequenceRows?: Int32Array;
}

export interface ReplayResult {
  featureNames: string[];
  /** nRows × features, row-major. */
  features: Float64Array;
  /** sequenceRows × sequenceWidth, row-major, when the spec has a sequence. */
  sequences?: Float32Array;
  sequenceWidth: number;
  /** The executor in the state after the last row: online scoring continues from here. */
  executor: FeatureExecutor;
}

/**
 * Replays transactions (in time order) through the feature executor and returns every row's
 * features, as {@link FeatureExecutor.update} would have given them one by one, and the executor
 * in the state it would then be in.
 *
 * An entity's state changes only with its own events, so the replay takes each entity's events
 * together (in time order) instead of the whole stream interleaved: the same per-entity step
 * (`updateEntityRun`, which the online path runs on its one event) runs on the same inputs in the
 * same order per entity, on state that stays in cache. Rows are grouped by the dictionary code of
 * their key (as `transactionsFromCsv` encodes it) with a counting sort that writes every event
 * straight into one buffer in entity order, laid out as an entity holds its events; while an
 * entity's rows are replayed, its event array is its stretch of that buffer, so adding an event
 * moves nothing, and afterwards it keeps what its windows still need. Idle entities are forgotten
 * at the same events as online. The tests (`replay.test.ts`, the handbook check in
 * `feature-executor.test.ts`) compare every value and the final state with online updates.
 *
 * @example
 * const { features, executor } = replayTransactions(spec, await transactionsFromCsv(path, spec));
 */
export function replayTransactions(
  spec: FeatureSpec,
  tx: TransactionColumns,
  options: ReplayOptions = {},
): ReplayResult {
  const executor = new FeatureExecutor(spec);
  const n = tx.nRows;
  const times = tx.timestampSeconds;
  const amounts = tx.amounts;
  for (let i = 0; i < n; i++) {
    const t = times[i] as number;
    if (!Number.isFinite(t)) throw new InvalidEventError('timestampSeconds', t);
    if (!Number.isFinite(amounts[i] as number)) throw new InvalidEventError('amount', amounts[i]);
    if (i > 0 && t < (times[i - 1] as number)) throw new OutOfOrderEventError(t, times[i - 1] as number);
  }
  const nFeatures = executor.featureNames.length;
  const features = new Float64Array(n * nFeatures);
  // Features of the event alone, row by row.
  const step = new Float64Array(STEP_FIELDS);
  if (executor.eventOutputs.length > 0)
    for (let i = 0; i < n; i++) {
      step[EVENT_TIME] = times[i] as number;
      step[EVENT_AMOUNT] = amounts[i] as number;
      writeEventValues(executor, step, features, i * nFeatures);
    }
  let sequences: Float32Array | undefined;
  let sequenceSlot: Int32Array | undefined;
  if (executor.sequenceGroup >= 0) {
    const rows = options.sequenceRows ?? Int32Array.from({ length: n }, (_, i) => i);
    sequences = new Float32Array(rows.length * executor.sequenceWidth);
    sequenceSlot = new Int32Array(n).fill(-1);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as number;
      if (!(row >= 0 && row < n) || (r > 0 && row <= (rows[r - 1] as number)))
        throw new DataError('bad_sequence_rows', 'sequenceRows must be ascending row indices within the data');
      sequenceSlot[row] = r;
    }
  }
  const scratchSet = new Set<number>();
  const staged = new Staged(Math.max(0, ...executor.groups.map((g) => g.columns.length)));
  // One buffer of events in entity order, for every group in turn (the largest stride).
  let events: Float64Array | undefined;
  for (let g = 0; g < executor.groups.length; g++) {
    const group = executor.groups[g] as Group;
    if (events === undefined || events.length < n * group.stride) events = new Float64Array(n * group.stride);
    const order = entityOrder(group, tx, events);
    const isSequenceGroup = g === executor.sequenceGroup;
    // Every field in the same order for every group, so the loops below see one object shape.
    const pass: GroupPass = {
      ids: order.ids,
      starts: order.starts,
      inputs: order.inputs,
      executor,
      group,
      events,
      times,
      features,
      nFeatures,
      sequences: isSequenceGroup ? sequences : undefined,
      sequenceSlot: isSequenceGroup ? sequenceSlot : undefined,
      scratchSet,
      staged: staged.start(group, events),
    };
    for (let e = 0; e < order.ids.length; e++)
      replayEntity(pass, e, order.starts[e] as number, order.starts[e + 1] as number);
    staged.flush(features, nFeatures);
  }
  executor.seen = n;
  if (n > 0) executor.latestSeconds = times[n - 1] as number;
  return { featureNames: executor.featureNames, features, sequences, sequenceWidth: executor.sequenceWidth, executor };
}

/** A group's rows in entity order: each entity's positions [starts[e], starts[e + 1]). */
interface EntityOrder {
  /** The entity ids by code; rows without a value for the key come last, as one more entity, undefined. */
  ids: (string | undefined)[];
  starts: Int32Array;
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
  packed: Int32Array = new Int32Array(0);
  columns: Int32Array = new Int32Array(0);
  events: Float64Array = new Float64Array(0);
  stride = 0;
  /** Staged: positions [first, first + count). */
  first = 0;
  count = 0;

  constructor(widest: number) {
    this.values = new Float64Array(STAGED_ROWS * widest);
  }

  start(group: Group, events: Float64Array): this {
    this.packed = Int32Array.from(group.columns, (_, j) => j);
    this.columns = group.columns;
    this.events = events;
    this.stride = group.stride;
    this.count = 0;
    return this;
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
function entityOrder(group: Group, tx: TransactionColumns, events: Float64Array): EntityOrder {
  const n = tx.nRows;
  const key = dictionaryOf(tx, group.key);
  const codes = key.codes;
  const ids: (string | undefined)[] = [...key.values];
  let missing = 0;
  for (let i = 0; i < n; i++) if ((codes[i] as number) < 0) missing++;
  if (missing > 0) ids.push(undefined);
  const missingCode = ids.length - 1;
  const starts = new Int32Array(ids.length + 1);
  for (let i = 0; i < n; i++) {
    const c = codes[i] as number;
    const e = c < 0 ? missingCode : c;
    starts[e + 1] = (starts[e + 1] as number) + 1;
  }
  for (let e = 0; e < ids.length; e++) starts[e + 1] = (starts[e + 1] as number) + (starts[e] as number);
  const next = starts.slice(0, ids.length);
  const times = tx.timestampSeconds;
  const amounts = tx.amounts;
  const labels = tx.labels;
  const stride = group.stride;
  for (let i = 0; i < n; i++) {
    const c = codes[i] as number;
    const e = c < 0 ? missingCode : c;
    const p = next[e] as number;
    next[e] = p + 1;
    const at = p * stride;
    events[at + EVENT_TIME] = times[i] as number;
    events[at + EVENT_AMOUNT] = amounts[i] as number;
    events[at + EVENT_LABEL] = labels === undefined ? 0 : (labels[i] as number);
    events[at + EVENT_ORDINAL] = i;
  }
  // Fields only some specs read, a column at a time: each row's position is where its ordinal went.
  const extras = group.categoryFields.length + group.noveltyFields.length + (group.readsLocation ? 1 : 0);
  const position = extras === 0 ? undefined : new Int32Array(n);
  if (position !== undefined) for (let p = 0; p < n; p++) position[events[p * stride + EVENT_ORDINAL] as number] = p;
  const scatter = (values: Float64Array, to: Float64Array, offset: number, step: number) => {
    for (let i = 0; i < n; i++) to[((position as Int32Array)[i] as number) * step + offset] = values[i] as number;
  };
  group.categoryFields.forEach((field, f) => {
    scatter(hashedColumn(tx, field), events, EVENT_FIXED_FIELDS + f, stride);
  });
  const novelty = group.noveltyFields.map((field) => {
    const to = new Float64Array(n);
    scatter(hashedColumn(tx, field), to, 0, 1);
    return to;
  });
  let latitudes: Float64Array | undefined;
  let longitudes: Float64Array | undefined;
  if (group.readsLocation && tx.latitudes !== undefined && tx.longitudes !== undefined) {
    latitudes = new Float64Array(n);
    longitudes = new Float64Array(n);
    scatter(tx.latitudes, latitudes, 0, 1);
    scatter(tx.longitudes, longitudes, 0, 1);
  }
  return { ids, starts, inputs: { latitudes, longitudes, novelty, base: 0 } };
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
  const id = p.ids[e];
  const stride = group.stride;
  const sequenceSlot = p.sequenceSlot;
  const ordinalAt = (r: number) => (events[r * stride + EVENT_ORDINAL] as number) | 0;
  if (id === undefined) {
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
    group.entities.set(id, settledEntity(group, entity));
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

/** The entity with its own event array again: the events its windows still need, positions shifted to match. */
function settledEntity(group: Group, entity: EntityState): EntityState {
  const stride = group.stride;
  const c = entity.cursors;
  let oldest = entity.end;
  for (let k = 0; k < group.loSlots.length; k++) oldest = Math.min(oldest, c[group.loSlots[k] as number] as number);
  const live = entity.end - oldest;
  const own = new Float64Array(Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, live)))) * stride);
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

/** A category field's values hashed (NaN where a row has none), once per distinct value. */
function hashedColumn(tx: TransactionColumns, field: CategoryField): Float64Array {
  const { codes, values } = dictionaryOf(tx, field);
  const hashes = Float64Array.from(values, hashCategory);
  return Float64Array.from(codes, (c) => (c < 0 ? Number.NaN : (hashes[c] as number)));
}

/** The field's column dictionary-encoded: as the reader encoded it, or encoded here. */
function dictionaryOf(tx: TransactionColumns, field: CategoryField): DictionaryColumn {
  const given = tx.dictionaries?.[field];
  if (given !== undefined) {
    if (given.codes.length !== tx.nRows)
      throw new DataError('bad_dictionary', `the ${field} dictionary has ${given.codes.length} rows, not ${tx.nRows}`);
    return given;
  }
  const values: readonly (string | undefined)[] | undefined =
    field === 'customerId' ? tx.customerIds : field === 'terminalId' ? tx.terminalIds : tx.text[field];
  const codes = new Int32Array(tx.nRows).fill(-1);
  const distinct: string[] = [];
  if (values === undefined) return { codes, values: distinct };
  const index = new Map<string, number>();
  for (let i = 0; i < tx.nRows; i++) {
    const raw = values[i] as string | number | undefined;
    if (raw === undefined || raw === '') continue;
    const value = typeof raw === 'string' ? raw : String(raw);
    let code = index.get(value);
    if (code === undefined) {
      code = distinct.length;
      index.set(value, code);
      distinct.push(value);
    }
    codes[i] = code;
  }
  return { codes, values: distinct };
}
