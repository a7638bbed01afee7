import assert from 'node:assert/strict';
import { test } from 'node:test';
import { builtinFeatureSpec, transactionsFromCsv } from '../features/index.js';
import { fraudMetrics, handbookSplit, prequentialFolds } from './index.js';

const DATA = new URL('../../../shared/data/fraud_sim/transactions.csv.gz', import.meta.url).pathname;

test("the handbook's split of fraud_sim: its published train and test counts, and CP@100 of perfect and random scores", async () => {
  const tx = await transactionsFromCsv(DATA, builtinFeatureSpec('fraud-handbook'));
  const columns = { timestampSeconds: tx.timestampSeconds, customer: tx.customerIds, label: tx.labels as Float64Array };
  const split = handbookSplit(columns, { trainStart: '2018-07-25' });
  const frauds = (rows: Int32Array) => rows.reduce((s, i) => s + ((tx.labels as Float64Array)[i] as number), 0);
  assert.equal(split.train.length, 67_240);
  assert.equal(frauds(split.train), 598);
  assert.equal(split.test.length, 58_264);
  assert.equal(frauds(split.test), 385);
  assert.deepEqual(
    [...new Set(split.testDay)].map((d) => new Date(d * 86_400_000).toISOString().slice(0, 10)),
    ['2018-08-08', '2018-08-09', '2018-08-10', '2018-08-11', '2018-08-12', '2018-08-13', '2018-08-14'],
  );
  const y = Float32Array.from(split.test, (i) => (tx.labels as Float64Array)[i] as number);
  const cards = Array.from(split.test, (i) => tx.customerIds[i] as string);
  // Perfect scores find every compromised card still unfound: per day min(compromised, 100) / 100.
  const perfect = fraudMetrics(y, y, split.testDay, cards);
  assert.equal(perfect.auc, 1);
  assert.equal(perfect.ap, 1);
  const found = new Set<string>();
  let expected = 0;
  for (const day of new Set(split.testDay)) {
    const compromised = new Set<string>();
    split.test.forEach((_row, r) => {
      if (split.testDay[r] === day && y[r] === 1 && !found.has(cards[r] as string)) compromised.add(cards[r] as string);
    });
    expected += Math.min(compromised.size, 100) / 100;
    for (const c of compromised) found.add(c);
  }
  assert.ok(Math.abs(perfect.cpAtK - expected / 7) < 1e-12, `${perfect.cpAtK} vs ${expected / 7}`);
  assert.ok(perfect.cpAtK > 0.2);
  let state = 7;
  const random = Float32Array.from(y, () => {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    return state / 2 ** 32;
  });
  const chance = fraudMetrics(y, random, split.testDay, cards);
  assert.ok(Math.abs(chance.auc - 0.5) < 0.05 && chance.ap < 0.02 && chance.cpAtK < 0.03, JSON.stringify(chance));
  // Prequential folds: fold 0 is the split above; each earlier fold trains a week before.
  const folds = prequentialFolds(columns, { trainStart: '2018-07-25', nFolds: 3 });
  assert.deepEqual(folds[0]?.train, split.train);
  assert.equal(folds[1]?.test[folds[1].test.length - 1] !== undefined, true);
  assert.ok((folds[1]?.testDay[0] as number) === (split.testDay[0] as number) - 7);
  assert.ok((folds[2]?.train[0] as number) < (folds[1]?.train[0] as number));
});

test('rows out of time order and empty periods are refused with a named error', () => {
  const columns = { timestampSeconds: Float64Array.from([10, 5]), customer: [1, 2], label: [0, 0] };
  assert.throws(
    () => handbookSplit(columns, { trainStart: '1970-01-01' }),
    (e: unknown) => (e as { code?: string }).code === 'not_time_ordered',
  );
  const ordered = { timestampSeconds: Float64Array.from([10, 20]), customer: [1, 2], label: [0, 0] };
  assert.throws(
    () => handbookSplit(ordered, { trainStart: '2020-01-01' }),
    (e: unknown) => (e as { code?: string }).code === 'empty_split',
  );
});
