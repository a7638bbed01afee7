import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseDatetimeCell, readCsv } from '../data/index.js';
import { ConfigError, DataError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { fraudMetrics, handbookSplit, prequentialFolds } from './index.js';

const DAY_SECONDS = 86_400;
const hasCode = (cls: typeof DataError | typeof ConfigError, code: string) => (e: unknown) =>
  e instanceof cls && e.code === code;

// A hand-made stream from D = 2020-01-01: [day offset, hour, card, fraud].
const D = Date.UTC(2020, 0, 1) / 1000 / DAY_SECONDS;
const ROWS: [number, number, number, number][] = [
  [0, 8, 1, 1], // 0 train: card 1 fraud, known from training
  [0, 9, 2, 0], // 1 train
  [1, 10, 3, 0], // 2 train (last training day)
  [2, 0, 6, 0], // 3 first delay day at 00:00:00: not training
  [2, 10, 4, 1], // 4 delay day 0: card 4 fraud, counted from test day 1 on
  [3, 10, 5, 1], // 5 delay day 1: card 5 fraud, never counted within a 2-day test
  [4, 1, 1, 0], // 6 test day 0: card 1 removed
  [4, 2, 4, 0], // 7 test day 0: card 4 kept
  [4, 3, 5, 0], // 8 test day 0: kept
  [4, 4, 2, 0], // 9 test day 0: kept
  [5, 1, 4, 0], // 10 test day 1: card 4 removed now
  [5, 2, 5, 0], // 11 test day 1: kept
  [5, 3, 1, 0], // 12 test day 1: removed
  [6, 0, 2, 0], // 13 after the test days
];
const small = {
  timestampSeconds: Float64Array.from(ROWS, ([day, hour]) => (D + day) * DAY_SECONDS + hour * 3600),
  customer: Int32Array.from(ROWS, (r) => r[2]),
  label: Float32Array.from(ROWS, (r) => r[3]),
};
const twoTwoTwo = { trainDays: 2, delayDays: 2, testDays: 2 };

test('handbook split of a hand-made stream: train days, delay, and cards removed once their fraud is counted', () => {
  const split = handbookSplit(small, { trainStart: '2020-01-01', ...twoTwoTwo });
  assert.deepEqual([...split.train], [0, 1, 2]);
  assert.deepEqual([...split.test], [7, 8, 9, 11]);
  assert.deepEqual([...split.testDay], [D + 4, D + 4, D + 4, D + 5]);
  assert.equal(split.removedRows, 3);
  assert.equal(split.removedCards, 2, 'cards 1 and 4');
  assert.equal(split.knownCompromisedCards, 2, 'card 5 is never counted');
  // The same with string card ids, a Date and plain arrays.
  const strings = { ...small, customer: ROWS.map((r) => String(r[2])), label: ROWS.map((r) => r[3]) };
  assert.deepEqual(handbookSplit(strings, { trainStart: new Date(Date.UTC(2020, 0, 1)), ...twoTwoTwo }), split);
});

test('handbook split counts days from the first training transaction, as the handbook does', () => {
  // Training from 2019-12-31 (no transactions) for 2 days covers rows 0–1, but delay and test days
  // count from 2020-01-01, the first training transaction's day: test days D+4, D+5 again.
  const split = handbookSplit(small, { trainStart: '2019-12-31', ...twoTwoTwo });
  assert.deepEqual([...split.train], [0, 1]);
  assert.deepEqual([...split.test], [7, 8, 9, 11]);
});

test('prequential folds of a hand-made stream: each fold shifted back by testDays', () => {
  const options = { trainStart: '2020-01-03', trainDays: 1, delayDays: 1, testDays: 1, nFolds: 2 };
  const folds = prequentialFolds(small, options);
  // Fold 0 trains on D+2 (card 4 fraud known) and tests D+4 without card 4; fold 1 trains on D+1, tests D+3.
  assert.deepEqual(
    folds.map((f) => [[...f.train], [...f.test], [...f.testDay]]),
    [
      [
        [3, 4],
        [6, 8, 9],
        [D + 4, D + 4, D + 4],
      ],
      [[2], [5], [D + 3]],
    ],
  );
  assert.deepEqual(folds[1], handbookSplit(small, { ...options, trainStart: '2020-01-02' }));
});

test('unusable columns and options are refused with typed errors', () => {
  const two = (t: number[], label = [0, 0]) => ({ timestampSeconds: Float64Array.from(t), customer: [1, 2], label });
  const epoch = { trainStart: '1970-01-01' };
  assert.throws(() => handbookSplit(two([10, 5]), epoch), hasCode(DataError, 'not_time_ordered'));
  assert.throws(() => handbookSplit(two([10, Number.NaN]), epoch), hasCode(DataError, 'invalid_time'));
  assert.throws(() => handbookSplit(two([10, 20], [0, 2]), epoch), hasCode(DataError, 'invalid_label'));
  assert.throws(() => handbookSplit({ ...two([10, 20]), customer: [1] }, epoch), hasCode(DataError, 'length_mismatch'));
  assert.throws(() => handbookSplit(two([10, 20]), { trainStart: '2020-01-01' }), hasCode(DataError, 'empty_split'));
  // Training rows but nothing in the test days.
  assert.throws(
    () => handbookSplit(small, { trainStart: '2020-01-06', trainDays: 1, delayDays: 2, testDays: 1 }),
    hasCode(DataError, 'empty_split'),
  );
  for (const trainStart of ['2020-01-01T05:00:00Z', 'not a date', new Date(Number.NaN)])
    assert.throws(() => handbookSplit(small, { trainStart }), hasCode(ConfigError, 'invalid_date'), String(trainStart));
  for (const bad of [{ trainDays: 0 }, { delayDays: -1 }, { testDays: 1.5 }])
    assert.throws(
      () => handbookSplit(small, { trainStart: '2020-01-01', ...bad }),
      hasCode(ConfigError, 'invalid_protocol'),
      JSON.stringify(bad),
    );
  assert.throws(
    () => prequentialFolds(small, { trainStart: '2020-01-01', nFolds: 0 }),
    hasCode(ConfigError, 'invalid_protocol'),
  );
});

/** fraud_sim read straight from the file, plus its own day index to check the split's days against. */
async function readFraudSim() {
  const times: number[] = [];
  const customers: number[] = [];
  const labels: number[] = [];
  const fileDays: number[] = [];
  for await (const batch of readCsv(join(SHARED_DATA, 'fraud_sim', 'transactions.csv.gz'))) {
    const [at, customer, label, day] = ['TX_DATETIME', 'CUSTOMER_ID', 'TX_FRAUD', 'TX_TIME_DAYS'].map((name) =>
      batch.header.indexOf(name),
    ) as [number, number, number, number];
    for (const record of batch.records) {
      times.push(parseDatetimeCell(record[at] as string) / 1000);
      customers.push(Number(record[customer]));
      labels.push(Number(record[label]));
      fileDays.push(Number(record[day]));
    }
  }
  return {
    columns: {
      timestampSeconds: Float64Array.from(times),
      customer: Int32Array.from(customers),
      label: Float32Array.from(labels),
    },
    fileDays: Int32Array.from(fileDays),
  };
}

test("fraud_sim: the handbook's split and prequential folds, and CP@100 of perfect and random scores", async () => {
  const { columns, fileDays } = await readFraudSim();
  assert.equal(columns.label.length, 1_754_155);
  const frauds = (rows: Int32Array) => rows.reduce((s, i) => s + (columns.label[i] as number), 0);
  const split = handbookSplit(columns, { trainStart: '2018-07-25' });
  // The handbook's published counts.
  assert.equal(split.train.length, 67_240);
  assert.equal(frauds(split.train), 598);
  assert.equal(split.test.length, 58_264);
  assert.equal(frauds(split.test), 385);
  // The rest from an independent line-by-line port of the handbook's get_train_test_set (Python, stdlib only).
  assert.equal(split.train[0], 1_102_483);
  assert.equal(split.test[0], 1_236_698);
  assert.equal(split.test[split.test.length - 1], 1_303_777);
  assert.equal(split.removedCards, 630);
  assert.deepEqual(
    [...new Set(split.testDay)].map((d) => new Date(d * DAY_SECONDS * 1000).toISOString().slice(0, 10)),
    ['2018-08-08', '2018-08-09', '2018-08-10', '2018-08-11', '2018-08-12', '2018-08-13', '2018-08-14'],
  );
  // testDay is the file's own TX_TIME_DAYS (days since 2018-04-01) moved to the Unix epoch.
  const fileOrigin = Date.UTC(2018, 3, 1) / 1000 / DAY_SECONDS;
  assert.ok(split.test.every((row, r) => (fileDays[row] as number) + fileOrigin === split.testDay[r]));

  const y = Float32Array.from(split.test, (i) => columns.label[i] as number);
  const cards = Int32Array.from(split.test, (i) => columns.customer[i] as number);
  // Perfect scores rank every compromised card first. No day has more than 100 of them, so each day
  // finds all of its compromised cards not found before: min(compromised, 100) / 100 = compromised / 100.
  const found = new Set<number>();
  const expectedPerDay: number[] = [];
  for (const day of new Set(split.testDay)) {
    const compromised = new Set<number>();
    split.testDay.forEach((d, r) => {
      if (d === day && y[r] === 1 && !found.has(cards[r] as number)) compromised.add(cards[r] as number);
    });
    assert.ok(compromised.size <= 100);
    expectedPerDay.push(compromised.size / 100);
    for (const c of compromised) found.add(c);
  }
  // Python port of card_precision_top_k: 0.50, 0.46, 0.41, 0.38, 0.41, 0.36, 0.26 → 0.397142857…
  assert.deepEqual(expectedPerDay, [0.5, 0.46, 0.41, 0.38, 0.41, 0.36, 0.26]);
  const perfect = fraudMetrics(y, y, split.testDay, cards);
  assert.equal(perfect.auc, 1);
  assert.equal(perfect.ap, 1);
  assert.ok(Math.abs(perfect.cpAtK - 2.78 / 7) < 1e-12, String(perfect.cpAtK));
  assert.deepEqual(
    { k: perfect.k, nTest: perfect.nTest, nFraud: perfect.nFraud },
    { k: 100, nTest: 58_264, nFraud: 385 },
  );
  // Random scores: about 40 compromised cards among 3,200 a day (1.3 %), somewhat more in a random top 100
  // because a card's score is the max over its transactions and compromised cards are busier:
  // 0.019 averaged over 20 seeds, 0.026 for this one.
  let state = 7;
  const random = Float32Array.from(y, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  });
  const chance = fraudMetrics(y, random, split.testDay, cards);
  assert.ok(Math.abs(chance.auc - 0.5) < 0.05 && chance.ap < 0.02 && chance.cpAtK < 0.03, JSON.stringify(chance));

  // Prequential folds, counts from the same Python port of the handbook's prequentialSplit.
  const folds = prequentialFolds(columns, { trainStart: '2018-07-25' });
  assert.deepEqual(
    folds.map((f) => [f.train.length, frauds(f.train), f.test.length, frauds(f.test), f.removedCards]),
    [
      [67_240, 598, 58_264, 385, 630],
      [66_824, 536, 58_535, 415, 601],
      [66_928, 633, 58_505, 374, 604],
      [66_954, 600, 57_931, 351, 632],
    ],
  );
  assert.deepEqual(folds[0], split);
  // Each fold's test week ends where the next fold's begins: fold 1 tests 2018-08-01..07.
  folds.forEach((f, i) => {
    assert.equal(f.testDay[0], (split.testDay[0] as number) - 7 * i);
    if (i > 0) assert.equal(f.testDay[f.testDay.length - 1], (folds[i - 1]?.testDay[0] as number) - 1);
  });
});
