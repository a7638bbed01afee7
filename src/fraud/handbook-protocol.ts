import { DataError } from '../errors.js';
import { auc, averagePrecision, cardPrecisionAtK, type Scores } from '../evaluation/index.js';

const DAY_SECONDS = 86_400;

/** The columns the protocol reads, in time order. */
export interface ProtocolColumns {
  /** Seconds since the Unix epoch, UTC, non-decreasing. */
  timestampSeconds: Float64Array;
  /** Card (customer) per transaction. */
  customer: ArrayLike<number | string>;
  /** 1 fraud, 0 genuine. */
  label: ArrayLike<number>;
}

export interface HandbookSplitOptions {
  /** First day of the training period (a date; the day starts at 00:00 UTC). */
  trainStart: Date | string;
  trainDays?: number;
  delayDays?: number;
  testDays?: number;
}

export interface HandbookSplit {
  /** Row indices, ascending. */
  train: Int32Array;
  /** Row indices, ascending (day by day). */
  test: Int32Array;
  /** Whole UTC days since the Unix epoch, per test row. */
  testDay: Int32Array;
  /** Test-period rows left out because their card was already known to be compromised. */
  removedRows: number;
  /** Cards known to be compromised by the end of the protocol. */
  knownCompromisedCards: number;
}

function utcDay(seconds: number): number {
  return Math.floor(seconds / DAY_SECONDS);
}

function startDay(value: Date | string): number {
  const ms =
    value instanceof Date
      ? value.getTime()
      : Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(value) ? `${value}T00:00:00Z` : value);
  if (Number.isNaN(ms)) throw new DataError('invalid_date', `not a date: ${String(value)}`);
  return utcDay(ms / 1000);
}

/**
 * The fraud handbook's train/test protocol: train on `trainDays` days from `trainStart`, leave
 * `delayDays` out (labels of recent transactions are not known yet), test on the `testDays` days
 * after. A card whose fraud is known before a test day — from the training period or from the
 * delay period up to the day before that test day's delay-shifted day, as the handbook counts
 * it — is removed from that test day: it would already be blocked.
 */
export function handbookSplit(columns: ProtocolColumns, options: HandbookSplitOptions): HandbookSplit {
  const { timestampSeconds: t, customer, label } = columns;
  const n = t.length;
  if (customer.length !== n || label.length !== n)
    throw new DataError('length_mismatch', `protocol: ${n} times, ${customer.length} cards, ${label.length} labels`);
  for (let i = 1; i < n; i++)
    if ((t[i] as number) < (t[i - 1] as number))
      throw new DataError(
        'not_time_ordered',
        `protocol: row ${i} is earlier than row ${i - 1}; rows must be in time order`,
      );
  const trainDays = options.trainDays ?? 7;
  const delayDays = options.delayDays ?? 7;
  const testDays = options.testDays ?? 7;
  for (const [name, v, min] of [
    ['trainDays', trainDays, 1],
    ['delayDays', delayDays, 0],
    ['testDays', testDays, 1],
  ] as const)
    if (!(Number.isInteger(v) && v >= min))
      throw new DataError('invalid_protocol', `protocol: ${name} must be an integer ≥ ${min}, got ${v}`);
  const first = startDay(options.trainStart);
  const rowsOfDay = (day: number): [number, number] => [
    lowerBound(t, day * DAY_SECONDS),
    lowerBound(t, (day + 1) * DAY_SECONDS),
  ];
  const [trainFrom] = rowsOfDay(first);
  const [trainTo] = rowsOfDay(first + trainDays);
  const known = new Set<number | string>();
  for (let i = trainFrom; i < trainTo; i++) if (label[i] === 1) known.add(customer[i] as number | string);
  // The handbook starts its day count at the first training transaction's day.
  const firstTrainDay = trainTo > trainFrom ? utcDay(t[trainFrom] as number) : first;
  const test: number[] = [];
  const testDay: number[] = [];
  let removedRows = 0;
  for (let d = 0; d < testDays; d++) {
    const [delayFrom, delayTo] = rowsOfDay(firstTrainDay + trainDays + d - 1);
    for (let i = delayFrom; i < delayTo; i++) if (label[i] === 1) known.add(customer[i] as number | string);
    const day = firstTrainDay + trainDays + delayDays + d;
    const [from, to] = rowsOfDay(day);
    for (let i = from; i < to; i++) {
      if (known.has(customer[i] as number | string)) removedRows++;
      else {
        test.push(i);
        testDay.push(day);
      }
    }
  }
  const train = Int32Array.from({ length: trainTo - trainFrom }, (_, r) => trainFrom + r);
  if (train.length === 0)
    throw new DataError(
      'empty_split',
      `protocol: no transactions in the ${trainDays} training days from ${String(options.trainStart)}`,
    );
  if (test.length === 0) throw new DataError('empty_split', 'protocol: no transactions in the test days');
  return {
    train,
    test: Int32Array.from(test),
    testDay: Int32Array.from(testDay),
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
 * Prequential validation as the handbook describes it: the same protocol repeated with every
 * period shifted back by `testDays` days per fold, so a model choice is checked on several
 * consecutive weeks instead of one. Fold 0 is the split at `trainStart`.
 */
export function prequentialFolds(columns: ProtocolColumns, options: PrequentialOptions): HandbookSplit[] {
  const nFolds = options.nFolds ?? 4;
  if (!(Number.isInteger(nFolds) && nFolds >= 1))
    throw new DataError('invalid_protocol', `protocol: nFolds must be a positive integer, got ${nFolds}`);
  const first = startDay(options.trainStart);
  const shift = options.testDays ?? 7;
  return Array.from({ length: nFolds }, (_, f) =>
    handbookSplit(columns, { ...options, trainStart: new Date((first - f * shift) * DAY_SECONDS * 1000) }),
  );
}

/** The handbook's three figures for a scored test period. */
export interface FraudMetrics {
  auc: number;
  ap: number;
  /** Card Precision@k, averaged over the test days. */
  cpAtK: number;
  k: number;
  nTest: number;
  nFraud: number;
}

/** AUC-ROC, average precision and Card Precision@k of scores on test rows. */
export function fraudMetrics(
  yTrue: Float32Array,
  score: Scores,
  testDay: ArrayLike<number>,
  card: ArrayLike<number | string>,
  { k = 100 }: { k?: number } = {},
): FraudMetrics {
  return {
    auc: auc(yTrue, score),
    ap: averagePrecision(yTrue, score),
    cpAtK: cardPrecisionAtK({ day: testDay, card, yTrue, score }, k).mean,
    k,
    nTest: yTrue.length,
    nFraud: yTrue.reduce((s, v) => s + v, 0),
  };
}
