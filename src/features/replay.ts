import { DataError } from '../errors.js';
import { hashCategory } from './category-hash.js';
import { EVENT_AMOUNT, EVENT_TIME } from './entity-state.js';
import { type PackedEntities, unpackEntities } from './entity-transfer.js';
import { InvalidEventError, OutOfOrderEventError } from './feature-errors.js';
import { FeatureExecutor, type Group, STEP_FIELDS, writeEventValues } from './feature-executor.js';
import type { CategoryField, FeatureSpec } from './feature-spec.js';
import { type GroupColumns, type GroupOutput, replayGroup } from './replay-group.js';
import { defaultReplayThreads, type RunningTask, runOnThread, shared, TASK_QUEUED } from './replay-threads.js';
import type { DictionaryColumn, TransactionColumns } from './transactions-from-csv.js';

export interface ReplayOptions {
  /**
   * Rows (ascending indices) whose sequence rows to write, e.g. the training and test periods:
   * every row still passes through the sequence state. Default: all rows, when the spec has a sequence.
   */
  sequenceRows?: Int32Array;
  /**
   * Threads to replay on, this one included: the spec's key groups (customer, terminal, IP, device)
   * run on their own cores, with identical results. Default `VIGIL_REPLAY_THREADS`, else the
   * machine's cores (at most 8); 1 replays on this thread alone. Replays of fewer than
   * {@link PARALLEL_MIN_ROWS} rows, or of a spec with one group, always do.
   */
  threads?: number;
}

/** Below this many rows a replay runs on the caller's thread alone: handing work to a thread would cost more than it saves. */
export const PARALLEL_MIN_ROWS = 50_000;

export interface ReplayResult {
  featureNames: string[];
  /** nRows × features, row-major (on shared memory when the replay used threads). */
  features: Float64Array;
  /** sequenceRows × sequenceWidth, row-major, when the spec has a sequence. */
  sequences?: Float32Array;
  sequenceWidth: number;
  /** The executor in the state after the last row: online scoring continues from here. */
  executor: FeatureExecutor;
  /** Threads whose work the result holds, this one included (1: it replayed every group itself). */
  threads: number;
}

/**
 * Replays transactions (in time order) through the feature executor and returns every row's
 * features, as {@link FeatureExecutor.update} would have given them one by one, and the executor
 * in the state it would then be in.
 *
 * An entity's state changes only with its own events, so the replay takes each entity's events
 * together, group by group (`replayGroup`: the same per-entity step the online path runs on its one
 * event, on the same inputs in the same order per entity), and groups other than the sequence group
 * run on worker threads at the same time (`options.threads`). The sequence group comes last, on
 * this thread: it reads whole rows. The tests (`replay.test.ts`, the handbook check in
 * `feature-executor.test.ts`) compare every value and the final state with online updates, on one
 * thread and on several.
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
  const parallelGroups = executor.groups.flatMap((_, g) => (g === executor.sequenceGroup ? [] : [g]));
  const threadCount = Math.min(
    options.threads ?? defaultReplayThreads(),
    n >= PARALLEL_MIN_ROWS ? parallelGroups.length : 1,
  );
  const features =
    threadCount > 1 ? new Float64Array(new SharedArrayBuffer(n * nFeatures * 8)) : new Float64Array(n * nFeatures);
  const keys = executor.groups.map((group) => dictionaryOf(tx, group.key));
  const onSharedMemory = new Map<Float64Array | Int32Array, Float64Array | Int32Array>();
  const toShared = <T extends Float64Array | Int32Array>(values: T): T => {
    let copy = onSharedMemory.get(values);
    if (copy === undefined) onSharedMemory.set(values, (copy = shared(values)));
    return copy as T;
  };
  const columnsOf = (g: number, forThread: boolean): GroupColumns => {
    const group = executor.groups[g] as Group;
    const put = forThread ? toShared : <T>(a: T) => a;
    const located = group.readsLocation && tx.latitudes !== undefined && tx.longitudes !== undefined;
    return {
      codes: put((keys[g] as DictionaryColumn).codes),
      distinct: (keys[g] as DictionaryColumn).values.length,
      times: put(times),
      amounts: put(amounts),
      labels: tx.labels === undefined ? undefined : put(tx.labels),
      categories: group.categoryFields.map((field) => put(hashedColumn(tx, field))),
      novelty: group.noveltyFields.map((field) => put(hashedColumn(tx, field))),
      latitudes: located ? put(tx.latitudes as Float64Array) : undefined,
      longitudes: located ? put(tx.longitudes as Float64Array) : undefined,
    };
  };
  // The threads' groups first, so they start while this thread works.
  const bins = splitGroups(executor, parallelGroups, threadCount);
  const ownGroups = bins[0] ?? [];
  const handedOut = bins.slice(1).map((groups, t) => {
    const task = {
      spec,
      groups,
      columns: groups.map((g) => columnsOf(g, true)),
      features,
      nFeatures,
      state: new Int32Array(new SharedArrayBuffer(4)),
    };
    Atomics.store(task.state, 0, TASK_QUEUED);
    return { groups, running: runOnThread(t, task) as RunningTask };
  });
  const out: GroupOutput = { features, nFeatures };
  // Features of the event alone, row by row.
  const step = new Float64Array(STEP_FIELDS);
  if (executor.eventOutputs.length > 0)
    for (let i = 0; i < n; i++) {
      step[EVENT_TIME] = times[i] as number;
      step[EVENT_AMOUNT] = amounts[i] as number;
      writeEventValues(executor, step, features, i * nFeatures);
    }
  if (executor.sequenceGroup >= 0) {
    const rows = options.sequenceRows ?? Int32Array.from({ length: n }, (_, i) => i);
    out.sequences = new Float32Array(rows.length * executor.sequenceWidth);
    out.sequenceSlot = new Int32Array(n).fill(-1);
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r] as number;
      if (!(row >= 0 && row < n) || (r > 0 && row <= (rows[r - 1] as number)))
        throw new DataError('bad_sequence_rows', 'sequenceRows must be ascending row indices within the data');
      out.sequenceSlot[row] = r;
    }
  }
  // One buffer of entity-ordered events for this thread's passes in turn.
  let buffer: Float64Array | undefined;
  const replayHere = (g: number) => {
    const group = executor.groups[g] as Group;
    if (buffer === undefined || buffer.length < n * group.stride) buffer = new Float64Array(n * group.stride);
    const settled = replayGroup(executor, g, columnsOf(g, false), out, buffer);
    const ids = (keys[g] as DictionaryColumn).values;
    settled.forEach((entity, code) => {
      if (entity !== undefined) group.entities.set(ids[code] as string, entity);
    });
  };
  const started = performance.now();
  for (const g of ownGroups) replayHere(g);
  // A thread is given far longer than this thread took for its share before its groups are replayed here instead.
  const patienceMs = Math.max(60_000, 50 * (performance.now() - started));
  let threadsUsed = 1;
  for (const { groups, running } of handedOut) {
    const result = running.finish(patienceMs);
    if (result === undefined) {
      for (const g of groups) replayHere(g);
      continue;
    }
    threadsUsed++;
    if ('error' in result) throw new Error(`a replay thread failed: ${result.error}`);
    groups.forEach((g, k) => {
      const group = executor.groups[g] as Group;
      const ids = (keys[g] as DictionaryColumn).values;
      unpackEntities(group, result.packed[k] as PackedEntities, (code, entity) => {
        group.entities.set(ids[code] as string, entity);
      });
    });
  }
  if (executor.sequenceGroup >= 0) replayHere(executor.sequenceGroup);
  executor.seen = n;
  if (n > 0) executor.latestSeconds = times[n - 1] as number;
  return {
    featureNames: executor.featureNames,
    features,
    sequences: out.sequences,
    sequenceWidth: executor.sequenceWidth,
    executor,
    threads: threadsUsed,
  };
}

/**
 * The groups split into `threads` bins of about equal work (a group's cost taken as its feature
 * count plus a fixed part for ordering its rows), the lightest bin first: this thread's, as it also
 * computes the event features and the sequence group.
 */
function splitGroups(executor: FeatureExecutor, groups: number[], threads: number): number[][] {
  const cost = (g: number) => (executor.groups[g] as Group).columns.length + 4;
  const bins = Array.from({ length: Math.max(1, threads) }, () => ({ groups: [] as number[], cost: 0 }));
  for (const g of [...groups].sort((a, b) => cost(b) - cost(a))) {
    const lightest = bins.reduce((a, b) => (b.cost < a.cost ? b : a));
    lightest.groups.push(g);
    lightest.cost += cost(g);
  }
  return bins
    .sort((a, b) => a.cost - b.cost)
    .map((b) => b.groups.sort((x, y) => x - y))
    .filter((groups, i) => i === 0 || groups.length > 0);
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
