import { ConfigError, DataError } from '../errors.js';
import { Random } from '../random.js';
import { parseDatetimeCell } from './cell-parsers.js';
import { type Column, findColumn, isDictionaryColumn, type Table } from './table.js';

/** Row indices of a train/test split, each ascending. */
export interface Split {
  trainRows: Int32Array;
  testRows: Int32Array;
}

const TRUTHY_TEXT = new Set(['true', '1', 'yes', 'y', 't']);

function requireColumn(table: Table, name: string, purpose: string): Column {
  const column = findColumn(table, name);
  if (column !== undefined) return column;
  const names = table.columns.map((c) => c.name);
  const shown = names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
  throw new DataError('missing_column', `no column "${name}" to ${purpose}; the columns are ${shown}`, {
    issues: [{ code: 'missing_column', path: [name], message: `column "${name}" does not exist` }],
  });
}

function splitFromMask(isTest: Uint8Array, what: string): Split {
  let nTest = 0;
  for (let r = 0; r < isTest.length; r++) nTest += isTest[r] as number;
  const nTrain = isTest.length - nTest;
  if (nTest === 0 || nTrain === 0) {
    throw new DataError(
      'empty_split',
      `${what} puts ${nTest === 0 ? 'no' : 'every'} row in the test set (${nTrain} train, ${nTest} test)`,
    );
  }
  const trainRows = new Int32Array(nTrain);
  const testRows = new Int32Array(nTest);
  let a = 0;
  let b = 0;
  for (let r = 0; r < isTest.length; r++) {
    if (isTest[r] === 1) testRows[b++] = r;
    else trainRows[a++] = r;
  }
  return { trainRows, testRows };
}

/**
 * Splits by a flag column: a row is test when the flag is truthy — `true`, `1`, `yes`, `y`, `t`
 * (trimmed, any case) in a text column, 1 in a numeric or boolean column. Missing flags are train.
 * @throws DataError `missing_column`, `invalid_split_column` (a datetime column) or `empty_split`
 * @example splitByColumn(table, '_is_test') // german credit: 743 train, 257 test
 */
export function splitByColumn(table: Table, column: string): Split {
  const col = requireColumn(table, column, 'split on');
  const isTest = new Uint8Array(table.nRows);
  if (isDictionaryColumn(col)) {
    const truthy = col.dictionary.map((text) => TRUTHY_TEXT.has(text.trim().toLowerCase()));
    for (let r = 0; r < table.nRows; r++) {
      const code = col.codes[r] as number;
      if (code >= 0 && truthy[code] === true) isTest[r] = 1;
    }
  } else if (col.kind === 'datetime') {
    throw new DataError(
      'invalid_split_column',
      `column "${column}" holds datetimes, not a test flag; use a time split for it`,
    );
  } else {
    for (let r = 0; r < table.nRows; r++) if (col.values[r] === 1) isTest[r] = 1;
  }
  return splitFromMask(isTest, `split column "${column}"`);
}

/**
 * A stratified random split: each class is shuffled with a `Random(seed)` and `round(n × testFraction)`
 * of its rows go to test, so class proportions match as exactly as counts allow. The same labels,
 * fraction and seed always give the same split. Rows with a NaN label (no target) form a stratum of
 * their own, so they too are spread evenly and a caller can drop them after splitting.
 * @param labels one class label per row (e.g. 0/1 targets)
 * @throws ConfigError `invalid_test_fraction` unless 0 < testFraction < 1; DataError `empty_split`
 *   when too few rows leave one side empty
 * @example stratifiedSplit(target, 0.25, 42)
 */
export function stratifiedSplit(
  labels: Float32Array | Float64Array | Int32Array,
  testFraction: number,
  seed: number,
): Split {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new ConfigError(
      'invalid_test_fraction',
      `testFraction must be between 0 and 1 (exclusive), got ${testFraction}`,
    );
  }
  const byClass = new Map<number, number[]>();
  for (let r = 0; r < labels.length; r++) {
    // Map keys compare NaN equal to NaN, so unlabeled rows share one stratum.
    const label = labels[r] as number;
    let rows = byClass.get(label);
    if (rows === undefined) byClass.set(label, (rows = []));
    rows.push(r);
  }
  const random = new Random(seed);
  const isTest = new Uint8Array(labels.length);
  // Classes in a fixed order (NaN last) so the random stream is consumed identically on every run.
  const classes = [...byClass.keys()].sort((a, b) => (Number.isNaN(a) ? 1 : Number.isNaN(b) ? -1 : a - b));
  for (const label of classes) {
    const rows = random.shuffle(Int32Array.from(byClass.get(label) as number[]));
    const nTest = Math.round(rows.length * testFraction);
    for (let i = 0; i < nTest; i++) isTest[rows[i] as number] = 1;
  }
  return splitFromMask(isTest, `a stratified split with testFraction ${testFraction}`);
}

/**
 * An out-of-time split: rows whose time is at or after `testFrom` are test, earlier rows train.
 * @param testFrom an ISO date or datetime (`2018-08-08`, `2018-08-08 12:00:00`), read as UTC when it has no zone
 * @throws ConfigError `invalid_date`; DataError `missing_column`, `invalid_split_column` (not datetime),
 *   `missing_time` (a row has no time, so it belongs to neither side) or `empty_split`
 * @example timeSplit(table, 'TX_DATETIME', '2018-04-08')
 */
export function timeSplit(table: Table, timeColumn: string, testFrom: string): Split {
  const cutoffMs = parseDatetimeCell(testFrom);
  if (Number.isNaN(cutoffMs)) {
    throw new ConfigError(
      'invalid_date',
      `testFrom must be an ISO date such as 2018-08-08, got ${JSON.stringify(testFrom)}`,
    );
  }
  const col = requireColumn(table, timeColumn, 'split on by time');
  if (col.kind !== 'datetime') {
    throw new DataError(
      'invalid_split_column',
      `column "${timeColumn}" is ${col.kind}, not datetime; a time split needs ISO dates (or set its kind in a schema file)`,
    );
  }
  const isTest = new Uint8Array(table.nRows);
  let missing = 0;
  let firstMissing = -1;
  for (let r = 0; r < table.nRows; r++) {
    const t = col.values[r] as number;
    if (Number.isNaN(t)) {
      if (missing++ === 0) firstMissing = r;
    } else if (t >= cutoffMs) {
      isTest[r] = 1;
    }
  }
  if (missing > 0) {
    throw new DataError(
      'missing_time',
      `column "${timeColumn}" is missing in ${missing} row(s) (first: row ${firstMissing}); drop them before a time split`,
    );
  }
  return splitFromMask(isTest, `time split at ${testFrom} on "${timeColumn}"`);
}
