import { DataError } from '../errors.js';
import type { EntityState } from './entity-state.js';
import { InvalidEventError, OutOfOrderEventError } from './feature-errors.js';
import {
  enterEntity,
  eventValue,
  FeatureExecutor,
  type Group,
  groupValue,
  Kind,
  lastSweepOrdinal,
  leaveEntity,
  newEntity,
  type Output,
  stepSequence,
  type TransactionEvent,
} from './feature-executor.js';
import type { EntityKey, FeatureSpec } from './feature-spec.js';
import type { TransactionColumns } from './transactions-from-csv.js';

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
 * Replays transactions (in time order) through the feature executor's per-entity code and returns
 * every row's features, as {@link FeatureExecutor.update} would have given them one by one, and
 * the executor in the state it would then be in.
 *
 * An entity's state changes only with its own events, so the replay takes each entity's events
 * together (in time order) instead of the whole stream interleaved: the same code runs on the same
 * inputs in the same order per entity, but one entity's state stays in cache while it is used.
 * Forgetting idle entities happens at the same events as online. The online/replay test
 * (`replay.test.ts`) checks that every value is identical.
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
  for (let i = 0; i < n; i++) {
    const t = times[i] as number;
    if (!Number.isFinite(t)) throw new InvalidEventError('timestampSeconds', t);
    if (!Number.isFinite(tx.amounts[i] as number)) throw new InvalidEventError('amount', tx.amounts[i]);
    if (i > 0 && t < (times[i - 1] as number)) throw new OutOfOrderEventError(t, times[i - 1] as number);
  }
  const nFeatures = executor.featureNames.length;
  const features = new Float64Array(n * nFeatures);
  const outputs = executor.outputs;
  // Features of the event alone, row by row.
  const rowEvent: TransactionEvent = { timestampSeconds: 0, customerId: '', terminalId: '', amount: 0 };
  const rowOutputs = outputs.flatMap((o, f) => (o.group < 0 ? [f] : []));
  for (let i = 0; i < n; i++) {
    rowEvent.amount = tx.amounts[i] as number;
    for (const f of rowOutputs)
      features[i * nFeatures + f] = eventValue(outputs[f] as Output, rowEvent, times[i] as number);
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
  for (let g = 0; g < executor.groups.length; g++) {
    const group = executor.groups[g] as Group;
    const groupOutputs = Int32Array.from(outputs.flatMap((o, f) => (o.group === g ? [f] : [])));
    const { order, starts, ids } = rowsByEntity(tx, group.key);
    // Each entity's rows are scattered over the whole stream: gather what the group reads into
    // entity order first (independent loads the processor overlaps), work through it in order,
    // and scatter the results back to their rows the same way.
    const gTimes = gather(times, order);
    const gAmounts = gather(tx.amounts, order);
    const gLabels = tx.labels ? gather(tx.labels, order) : new Float64Array(n);
    const located = tx.latitudes !== undefined && tx.longitudes !== undefined && readsLocation(outputs, g);
    const gLatitudes = located ? gather(tx.latitudes as Float64Array, order) : undefined;
    const gLongitudes = located ? gather(tx.longitudes as Float64Array, order) : undefined;
    const textFields: TextField[] = [...new Set([...group.noveltyFields, ...group.categoryFields])].filter(
      (f): f is TextField => f !== 'customerId' && f !== 'terminalId',
    );
    const keyFields = [...new Set([...group.noveltyFields, ...group.categoryFields])].filter(
      (f): f is 'customerId' | 'terminalId' => f === 'customerId' || f === 'terminalId',
    );
    const pass: GroupPass = {
      executor,
      group,
      tx,
      order,
      gTimes,
      gAmounts,
      gLabels,
      gLatitudes,
      gLongitudes,
      textFields,
      keyFields,
      outputs: Array.from(groupOutputs, (f) => outputs[f] as Output),
      columns: groupOutputs,
      isSequenceGroup: g === executor.sequenceGroup,
      features,
      nFeatures,
      sequences,
      sequenceSlot,
      scratchSet,
      event: { timestampSeconds: 0, customerId: '', terminalId: '', amount: 0, label: 0 },
    };
    for (let e = 0; e < ids.length; e++) replayEntity(pass, ids[e], starts[e] as number, starts[e + 1] as number);
  }
  executor.seen = n;
  if (n > 0) executor.latestSeconds = times[n - 1] as number;
  return { featureNames: executor.featureNames, features, sequences, sequenceWidth: executor.sequenceWidth, executor };
}

type TextField = 'channel' | 'country' | 'ipAddress' | 'deviceId';

/** One group's replay: its rows gathered into entity order, and where results go. */
interface GroupPass {
  executor: FeatureExecutor;
  group: Group;
  tx: TransactionColumns;
  order: Int32Array;
  gTimes: Float64Array;
  gAmounts: Float64Array;
  gLabels: Float64Array;
  gLatitudes: Float64Array | undefined;
  gLongitudes: Float64Array | undefined;
  textFields: TextField[];
  keyFields: ('customerId' | 'terminalId')[];
  outputs: Output[];
  columns: Int32Array;
  isSequenceGroup: boolean;
  features: Float64Array;
  nFeatures: number;
  sequences: Float32Array | undefined;
  sequenceSlot: Int32Array | undefined;
  scratchSet: Set<number>;
  /** Reused for every row: the executor's code reads events, the replay fills one in place. */
  event: TransactionEvent;
}

/** Runs one entity's rows [from, to) of the entity order through the executor's per-entity code. */
function replayEntity(p: GroupPass, id: string | undefined, from: number, to: number): void {
  const { group, event, gTimes, gAmounts, gLabels, order, columns } = p;
  const width = columns.length;
  const times = p.tx.timestampSeconds;
  let entity: EntityState | undefined;
  let previousRow = -1;
  for (let r = from; r < to; r++) {
    const i = order[r] as number;
    const t = gTimes[r] as number;
    event.timestampSeconds = t;
    event.amount = gAmounts[r] as number;
    if (p.gLatitudes !== undefined && p.gLongitudes !== undefined) {
      const lat = p.gLatitudes[r] as number;
      event.latitude = Number.isNaN(lat) ? undefined : lat;
      event.longitude = Number.isNaN(lat) ? undefined : (p.gLongitudes[r] as number);
    }
    if (p.textFields.length > 0)
      for (const field of p.textFields) event[field] = (p.tx.text[field] as (string | undefined)[])[i];
    if (p.keyFields.length > 0)
      for (const field of p.keyFields)
        event[field] = (field === 'customerId' ? p.tx.customerIds[i] : p.tx.terminalIds[i]) as string;
    if (id === undefined) leaveEntity(group);
    else {
      if (entity === undefined || forgottenBefore(p.executor, times, previousRow, i)) entity = newEntity(group);
      previousRow = i;
      enterEntity(group, entity, event, t, gLabels[r] as number, i);
    }
    const at = i * p.nFeatures;
    for (let j = 0; j < width; j++)
      p.features[at + (columns[j] as number)] = groupValue(
        p.outputs[j] as Output,
        group,
        event.amount,
        t,
        p.scratchSet,
      );
    if (p.isSequenceGroup) {
      // Every other column of row i is done: the sequence group comes last.
      const slot = (p.sequenceSlot as Int32Array)[i] as number;
      stepSequence(
        id === undefined ? undefined : entity,
        p.features,
        at,
        p.executor.sequenceColumns,
        p.executor.sequenceLength,
        slot < 0 ? undefined : p.sequences,
        slot * p.executor.sequenceWidth,
      );
    }
  }
  if (id !== undefined && entity !== undefined && !forgottenBefore(p.executor, times, previousRow, times.length - 1))
    group.entities.set(id, entity);
}

function gather(column: Float64Array, order: Int32Array): Float64Array {
  const out = new Float64Array(order.length);
  for (let r = 0; r < order.length; r++) out[r] = column[order[r] as number] as number;
  return out;
}

function readsLocation(outputs: readonly Output[], g: number): boolean {
  return outputs.some((o) => o.group === g && (o.kind === Kind.DistanceKm || o.kind === Kind.SpeedKmh));
}

/**
 * Whether the online executor would have forgotten an entity last seen at row `previousRow` by
 * the time it reaches row `row`: a sweep between them found it idle past the retention.
 */
function forgottenBefore(executor: FeatureExecutor, times: Float64Array, previousRow: number, row: number): boolean {
  const sweep = lastSweepOrdinal(row);
  return sweep > previousRow && (times[previousRow] as number) < (times[sweep] as number) - executor.retentionSeconds;
}

/**
 * Rows grouped by their entity under `key`, each group in row (time) order: a stable counting
 * sort. Rows without a value for the key form one last group with id undefined.
 */
function rowsByEntity(
  tx: TransactionColumns,
  key: EntityKey,
): { order: Int32Array; starts: Int32Array; ids: (string | undefined)[] } {
  const n = tx.nRows;
  const values: (string | undefined)[] =
    key === 'customerId'
      ? tx.customerIds
      : key === 'terminalId'
        ? tx.terminalIds
        : (tx.text[key] ?? new Array<string | undefined>(n).fill(undefined));
  const index = new Map<string, number>();
  const ids: (string | undefined)[] = [];
  const code = new Int32Array(n);
  let missing = 0;
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (value === undefined) {
      code[i] = -1;
      missing++;
      continue;
    }
    let c = index.get(value);
    if (c === undefined) {
      c = ids.length;
      index.set(value, c);
      ids.push(value);
    }
    code[i] = c;
  }
  if (missing > 0) ids.push(undefined);
  const missingCode = ids.length - 1;
  const starts = new Int32Array(ids.length + 1);
  for (let i = 0; i < n; i++) {
    const c = code[i] === -1 ? missingCode : (code[i] as number);
    starts[c + 1] = (starts[c + 1] as number) + 1;
  }
  for (let e = 0; e < ids.length; e++) starts[e + 1] = (starts[e + 1] as number) + (starts[e] as number);
  const next = starts.slice(0, ids.length);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = code[i] === -1 ? missingCode : (code[i] as number);
    order[next[c] as number] = i;
    next[c] = (next[c] as number) + 1;
  }
  return { order, starts, ids };
}
