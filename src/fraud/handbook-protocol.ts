/**
 * The fraud handbook's train / delay / test protocol on plain columns, so a CSV read into columns
 * and an in-memory feature replay are split by the same code. Rows are addressed by index; nothing
 * is copied.
 */
import { ConfigError, DataError } from '../errors.js';

const DAY_SECONDS = 86_400;

/** The columns the protocol reads, one entry per transaction, in time order. */
export interface ProtocolColumns {
  /** Seconds since the Unix epoch, UTC, non-decreasing. */
  timestampSeconds: Float64Array;
  /** Card (customer) per transaction. */
  customer: Int32Array | ArrayLike<number | string>;
  /** 1 fraud, 0 genuine. */
  label: Float32Array | ArrayLike<number>;
}

export interface HandbookSplitOptions {
  /** First training day: a date (`'2018-07-25'`) or a `Date` at 00:00 UTC. */
  trainStart: Date | string;
  /** Training days (default 7). */
  trainDays?: number;
  /** Days between training and test whose labels are not known yet (default 7). */
  delayDays?: number;
  /** Test days (default 7). */
  testDays?: number;
}

export interface HandbookSplit {
  /** Training row indices, ascending. */
  train: Int32Array;
  /** Test row indices, ascending (day by day). */
  test: Int32Array;
  /** UTC day of each test row as whole days since the Unix epoch (`Date` of it: day × 86,400,000 ms). */
  testDay: Int32Array;
  /** Distinct cards with test-period transactions left out because their fraud was already known. */
  removedCards: number;
  /** Test-period transactions left out for the same reason. */
  removedRows: number;
  /** Cards known to be compromised by the last test day (training period and counted delay days). */
  knownCompromisedCards: number;
}

/** Whole UTC days since the Unix epoch of a time in seconds. */
function utcDay(seconds: number): number {
  return Math.floor(seconds / DAY_SECONDS);
}

/** The UTC day a split starts on; refuses times of day so a local-midnight `Date` cannot shift it. */
function startDay(value: Date | string): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new ConfigError('invalid_date', `protocol: trainStart is not a date: ${String(value)}`);
  if (ms % (DAY_SECONDS * 1000) !== 0)
    throw new ConfigError(
      'invalid_date',
      `protocol: trainStart must be a day at 00:00 UTC, got ${new Date(ms).toISOString()}`,
    );
  return ms / (DAY_SECONDS * 1000);
}

function checkColumns(columns: ProtocolColumns): void {
  const { timestampSeconds: t, customer, label } = columns;
  const n = t.length;
  if (customer.length !== n || label.length !== n)
    throw new DataError(
      'length_mismatch',
      `protocol: timestampSeconds has ${n} rows but customer has ${customer.length} and label ${label.length}`,
    );
  for (let i = 0; i < n; i++) {
    const ti = t[i] as number;
    if (!Number.isFinite(ti)) throw new DataError('invalid_time', `protocol: timestamp of row ${i} is ${ti}`);
    if (i > 0 && ti < (t[i - 1] as number))
      throw new DataError(
        'not_time_ordered',
        `protocol: row ${i} is earlier than row ${i - 1}; rows must be in time order`,
      );
    const y = label[i] as number;
    if (y !== 0 && y !== 1) throw new DataError('invalid_label', `protocol: labels must be 0 or 1, row ${i} has ${y}`);
  }
}

function checkDays(name: string, value: number, min: number): number {
  if (!(Number.isInteger(value) && value >= min))
    throw new ConfigError('invalid_protocol', `protocol: ${name} must be an integer ≥ ${min}, got ${value}`);
  return value;
}

/**
 * The fraud handbook's split (`get_train_test_set`): train on the `trainDays` days from
 * `trainStart`, skip `delayDays` days whose labels would not be known yet, test on the
 * `testDays` days after. A card whose fraud is already known is removed from a test day, as it
 * would be blocked: known from the training period, or from the delay days the handbook counts
 * by then — for test day d (0-based) the first d delay days, so fraud in the later delay days is
 * not yet known. Days are UTC calendar days, counted from the first training transaction's day.
 *
 * Throws `DataError` for unusable columns (`length_mismatch`, `invalid_time`, `not_time_ordered`,
 * `invalid_label`, `empty_split`) and `ConfigError` for bad options (`invalid_date`,
 * `invalid_protocol`).
 *
 * @example
 * const split = handbookSplit({ timestampSeconds, customer, label }, { trainStart: '2018-07-25' });
 * // fraud_sim: split.train.length === 67_240, split.test.length === 58_264
 */
export function handbookSplit(columns: ProtocolColumns, options: HandbookSplitOptions): HandbookSplit {
  checkColumns(columns);
  const trainDays = checkDays('trainDays', options.trainDays ?? 7, 1);
  const delayDays = checkDays('delayDays', options.delayDays ?? 7, 0);
  const testDays = checkDays('testDays', options.testDays ?? 7, 1);
  const first = startDay(options.trainStart);
  const { timestampSeconds: t, customer, label } = columns;
  const firstRowOfDay = (day: number): number => lowerBound(t, day * DAY_SECONDS);
  const trainFrom = firstRowOfDay(first);
  const trainTo = firstRowOfDay(first + trainDays);
  if (trainTo === trainFrom)
    throw new DataError(
      'empty_split',
      `protocol: no transactions in the ${trainDays} training days from ${new Date(first * DAY_SECONDS * 1000).toISOString().slice(0, 10)}`,
    );
  const known = new Set<number | string>();
  for (let i = trainFrom; i < trainTo; i++) if (label[i] === 1) known.add(customer[i] as number | string);
  // The handbook counts test and delay days from the first training transaction's day
  // (`TX_TIME_DAYS.min()`), not from trainStart; they differ only when trainStart has no transactions.
  const firstTrainDay = utcDay(t[trainFrom] as number);
  const test: number[] = [];
  const testDay: number[] = [];
  const removed = new Set<number | string>();
  let removedRows = 0;
  for (let d = 0; d < testDays; d++) {
    // One more delay day becomes known per test day; for d = 0 it is the last training day.
    const delay = firstTrainDay + trainDays + d - 1;
    for (let i = firstRowOfDay(delay), end = firstRowOfDay(delay + 1); i < end; i++)
      if (label[i] === 1) known.add(customer[i] as number | string);
    const day = firstTrainDay + trainDays + delayDays + d;
    for (let i = firstRowOfDay(day), end = firstRowOfDay(day + 1); i < end; i++) {
      const c = customer[i] as number | string;
      if (known.has(c)) {
        removedRows++;
        removed.add(c);
      } else {
        test.push(i);
        testDay.push(day);
      }
    }
  }
  if (test.length === 0) throw new DataError('empty_split', 'protocol: no transactions left in the test days');
  return {
    train: Int32Array.from({ length: trainTo - trainFrom }, (_, r) => trainFrom + r),
    test: Int32Array.from(test),
    testDay: Int32Array.from(testDay),
    removedCards: removed.size,
    removedRows,
    knownCompromisedCards: known.size,
  };
}

/** The first index whose time is ≥ `seconds` (times ascending). */
function lowerBound(t: Float64Array, seconds: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((t[mid] as number) < seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface PrequentialOptions extends HandbookSplitOptions {
  /** Folds (default 4): fold f starts its training f × testDays days before `trainStart`. */
  nFolds?: number;
}

/**
 * Prequential validation as the handbook's chapter on validation strategies does it
 * (`prequentialSplit`): the split at `trainStart` (fold 0), then the same split with every period
 * shifted back by `testDays` days per fold, so each earlier fold's test week is the week before
 * the next one's. A model choice is then judged on `nFolds` consecutive weeks instead of one.
 * For model selection the handbook runs these folds from a start moved back by
 * `delayDays + testDays`, so no validation fold reaches into the final test week.
 *
 * @example
 * const folds = prequentialFolds(columns, { trainStart: '2018-07-25', nFolds: 4 });
 * // fraud_sim: folds[1] trains from 2018-07-18 and tests 2018-08-01..08-07
 */
export function prequentialFolds(columns: ProtocolColumns, options: PrequentialOptions): HandbookSplit[] {
  const nFolds = checkDays('nFolds', options.nFolds ?? 4, 1);
  const shiftDays = checkDays('testDays', options.testDays ?? 7, 1);
  const first = startDay(options.trainStart);
  return Array.from({ length: nFolds }, (_, f) =>
    handbookSplit(columns, { ...options, trainStart: new Date((first - f * shiftDays) * DAY_SECONDS * 1000) }),
  );
}
