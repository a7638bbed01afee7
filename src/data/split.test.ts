import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ConfigError, DataError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { readTable } from './dataset-from-csv.js';
import { splitByColumn, stratifiedSplit, timeSplit } from './split.js';
import { cellText, findColumn, isDictionaryColumn, type Table } from './table.js';

let german: Table;
let taiwan: Table;
let fraud: Table;

before(async () => {
  german = (await readTable(`${SHARED_DATA}/german_credit.csv`)).table;
  taiwan = (await readTable(`${SHARED_DATA}/taiwan_credit.csv`)).table;
  fraud = (await readTable(`${SHARED_DATA}/fraud_sim/sample_2w.csv`)).table;
});

function countWhere(rows: Int32Array, predicate: (row: number) => boolean): number {
  let n = 0;
  for (const r of rows) if (predicate(r)) n++;
  return n;
}

function numericColumn(table: Table, name: string): Float64Array {
  const col = findColumn(table, name);
  assert.ok(col && !isDictionaryColumn(col));
  return col.values;
}

function isAscending(rows: Int32Array): boolean {
  for (let i = 1; i < rows.length; i++) if ((rows[i] as number) <= (rows[i - 1] as number)) return false;
  return true;
}

describe('splitByColumn', () => {
  test('german _is_test: 743 train (224 bad) / 257 test (76 bad)', () => {
    const { trainRows, testRows } = splitByColumn(german, '_is_test');
    assert.equal(trainRows.length, 743);
    assert.equal(testRows.length, 257);
    const target = findColumn(german, 'target');
    assert.ok(target);
    assert.equal(
      countWhere(trainRows, (r) => cellText(target, r) === 'bad'),
      224,
    );
    assert.equal(
      countWhere(testRows, (r) => cellText(target, r) === 'bad'),
      76,
    );
    assert.ok(isAscending(trainRows) && isAscending(testRows));
  });

  test('taiwan _is_test: 22,471 train (4,957 defaults) / 7,529 test (1,679 defaults)', () => {
    const { trainRows, testRows } = splitByColumn(taiwan, '_is_test');
    assert.equal(trainRows.length, 22_471);
    assert.equal(testRows.length, 7_529);
    const target = numericColumn(taiwan, 'target');
    assert.equal(
      countWhere(trainRows, (r) => target[r] === 1),
      4_957,
    );
    assert.equal(
      countWhere(testRows, (r) => target[r] === 1),
      1_679,
    );
  });

  test('text flags: true/1/yes/y/t in any case are test; others and missing are train', () => {
    const table: Table = {
      nRows: 8,
      columns: [
        {
          name: 'holdout',
          kind: 'categorical',
          codes: Int32Array.from([0, 1, 2, 3, 4, 5, 6, -1]),
          dictionary: ['TRUE', 'Yes', ' y ', 't', '1', 'no', 'train'],
        },
      ],
    };
    const { trainRows, testRows } = splitByColumn(table, 'holdout');
    assert.deepEqual([...testRows], [0, 1, 2, 3, 4]);
    assert.deepEqual([...trainRows], [5, 6, 7]);
  });

  test('numeric flags: 1 is test', () => {
    const table: Table = {
      nRows: 4,
      columns: [{ name: 'f', kind: 'numeric', values: Float64Array.from([1, 0, 2, NaN]) }],
    };
    const { trainRows, testRows } = splitByColumn(table, 'f');
    assert.deepEqual([...testRows], [0]);
    assert.deepEqual([...trainRows], [1, 2, 3]);
  });

  test('errors: unknown column, datetime column, an empty side', () => {
    assert.throws(
      () => splitByColumn(german, 'is_test'),
      (e: unknown) => e instanceof DataError && e.code === 'missing_column' && /no column "is_test"/.test(e.message),
    );
    assert.throws(
      () => splitByColumn(fraud, 'TX_DATETIME'),
      (e: unknown) => e instanceof DataError && e.code === 'invalid_split_column',
    );
    const flags = (values: number[]): Table => ({
      nRows: values.length,
      columns: [{ name: 'f', kind: 'boolean', values: Float64Array.from(values) }],
    });
    assert.throws(
      () => splitByColumn(flags([0, 0, 0]), 'f'),
      (e: unknown) => e instanceof DataError && e.code === 'empty_split' && /no row in the test set/.test(e.message),
    );
    assert.throws(
      () => splitByColumn(flags([1, 1]), 'f'),
      (e: unknown) => e instanceof DataError && e.code === 'empty_split' && /every row in the test set/.test(e.message),
    );
  });
});

describe('stratifiedSplit', () => {
  function germanLabels(): Int32Array {
    const target = findColumn(german, 'target');
    assert.ok(target);
    return Int32Array.from({ length: german.nRows }, (_, r) => (cellText(target, r) === 'bad' ? 1 : 0));
  }

  test('keeps class proportions exactly: 175 good + 75 bad of 1,000 at 25%', () => {
    const labels = germanLabels();
    const { trainRows, testRows } = stratifiedSplit(labels, 0.25, 42);
    assert.equal(testRows.length, 250);
    assert.equal(trainRows.length, 750);
    assert.equal(
      countWhere(testRows, (r) => labels[r] === 1),
      75,
    );
    assert.equal(
      countWhere(trainRows, (r) => labels[r] === 1),
      225,
    );
    const all = [...trainRows, ...testRows].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: 1000 }, (_, i) => i),
    );
    assert.ok(isAscending(trainRows) && isAscending(testRows));
  });

  test('is deterministic per seed and differs across seeds', () => {
    const labels = Float32Array.from(germanLabels());
    const a = stratifiedSplit(labels, 0.3, 7);
    const b = stratifiedSplit(labels, 0.3, 7);
    const c = stratifiedSplit(labels, 0.3, 8);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.testRows, c.testRows);
    assert.equal(a.testRows.length, 300);
    assert.equal(c.testRows.length, 300);
  });

  test('the fraud sample keeps its 0.351% fraud rate on both sides', () => {
    const labels = Float32Array.from(numericColumn(fraud, 'TX_FRAUD'));
    const { trainRows, testRows } = stratifiedSplit(labels, 0.2, 1);
    const testFrauds = countWhere(testRows, (r) => labels[r] === 1);
    assert.equal(testFrauds, Math.round(471 * 0.2));
    assert.equal(testRows.length, Math.round(471 * 0.2) + Math.round((134_288 - 471) * 0.2));
    assert.equal(trainRows.length + testRows.length, 134_288);
  });

  test('unlabeled (NaN) rows form their own stratum', () => {
    const labels = Float32Array.from({ length: 40 }, (_, i) => (i < 10 ? NaN : i % 2));
    const { trainRows, testRows } = stratifiedSplit(labels, 0.5, 3);
    assert.equal(
      countWhere(testRows, (r) => Number.isNaN(labels[r] as number)),
      5,
    );
    assert.equal(
      countWhere(testRows, (r) => labels[r] === 1),
      8,
    );
    // 10 unlabeled → 5 test; 15 zeros and 15 ones → round(7.5) = 8 test each; 40 − 21 = 19 train.
    assert.equal(trainRows.length, 19);
    assert.deepEqual(stratifiedSplit(labels, 0.5, 3), { trainRows, testRows });
  });

  test('rejects a fraction outside (0, 1), and a split with an empty side', () => {
    for (const fraction of [0, 1, -0.1, 1.5, NaN]) {
      assert.throws(
        () => stratifiedSplit(new Int32Array([0, 1, 0, 1]), fraction, 1),
        (e: unknown) => e instanceof ConfigError && e.code === 'invalid_test_fraction',
      );
    }
    assert.throws(
      () => stratifiedSplit(Int32Array.from([0, 1, 2]), 0.2, 1),
      (e: unknown) => e instanceof DataError && e.code === 'empty_split',
    );
  });
});

describe('timeSplit', () => {
  test('fraud sample from 2018-04-08: 67,312 test (334 frauds), 66,976 train (137 frauds)', () => {
    const { trainRows, testRows } = timeSplit(fraud, 'TX_DATETIME', '2018-04-08');
    assert.equal(testRows.length, 67_312);
    assert.equal(trainRows.length, 66_976);
    const isFraud = numericColumn(fraud, 'TX_FRAUD');
    assert.equal(
      countWhere(testRows, (r) => isFraud[r] === 1),
      334,
    );
    assert.equal(
      countWhere(trainRows, (r) => isFraud[r] === 1),
      137,
    );
    const time = numericColumn(fraud, 'TX_DATETIME');
    const cutoff = Date.UTC(2018, 3, 8);
    assert.ok(countWhere(testRows, (r) => (time[r] as number) < cutoff) === 0);
  });

  test('a datetime cutoff splits within a day', () => {
    const { testRows } = timeSplit(fraud, 'TX_DATETIME', '2018-04-10 12:00:00');
    assert.equal(testRows.length, 43_381);
  });

  test('errors: bad date, not a datetime column, an empty side, missing times', () => {
    assert.throws(
      () => timeSplit(fraud, 'TX_DATETIME', '08/04/2018'),
      (e: unknown) => e instanceof ConfigError && e.code === 'invalid_date',
    );
    assert.throws(
      () => timeSplit(fraud, 'TX_TIME_DAYS', '2018-04-08'),
      (e: unknown) =>
        e instanceof DataError && e.code === 'invalid_split_column' && /is numeric, not datetime/.test(e.message),
    );
    assert.throws(
      () => timeSplit(fraud, 'TX_DATETIME', '2019-01-01'),
      (e: unknown) => e instanceof DataError && e.code === 'empty_split' && /no row in the test set/.test(e.message),
    );
    assert.throws(
      () => timeSplit(fraud, 'TX_DATETIME', '2018-01-01'),
      (e: unknown) => e instanceof DataError && e.code === 'empty_split',
    );
    const gappy: Table = {
      nRows: 3,
      columns: [{ name: 't', kind: 'datetime', values: Float64Array.from([0, NaN, 2e12]) }],
    };
    assert.throws(
      () => timeSplit(gappy, 't', '2000-01-01'),
      (e: unknown) => e instanceof DataError && e.code === 'missing_time' && /1 row/.test(e.message),
    );
  });
});
