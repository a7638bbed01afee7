import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'node:test';
import { BUILTIN_FEATURE_SPECS, builtinFeatureSpec, loadFeatureSpec } from './builtin-specs.js';
import { replayTransactions } from './replay.js';
import { transactionsFromCsv } from './transactions-from-csv.js';

test('every built-in spec parses and is found by name through loadFeatureSpec', () => {
  for (const name of BUILTIN_FEATURE_SPECS) {
    const spec = builtinFeatureSpec(name);
    assert.equal(spec.name, name);
    assert.deepEqual(loadFeatureSpec(name), spec);
  }
  assert.throws(() => builtinFeatureSpec('fraud-nope'), { code: 'unknown_feature_spec' });
});

test('fraud-handbook-plus is the handbook spec plus six card-behaviour features, with identical handbook columns', async () => {
  const handbook = builtinFeatureSpec('fraud-handbook');
  const plus = builtinFeatureSpec('fraud-handbook-plus');
  assert.deepEqual(plus.columns, handbook.columns);
  assert.deepEqual(plus.features.slice(0, handbook.features.length), handbook.features);
  assert.equal(plus.features.length, handbook.features.length + 6);

  // Two customers on one terminal: amounts 10, 30, then 100 an hour later for customer 1.
  const dir = mkdtempSync(join(tmpdir(), 'vigil-spec-'));
  const path = join(dir, 'tx.csv');
  writeFileSync(
    path,
    [
      'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD',
      '0,2018-04-01 10:00:00,1,7,10,0',
      '1,2018-04-01 10:30:00,2,7,50,0',
      '2,2018-04-01 10:40:00,1,7,30,0',
      '3,2018-04-01 11:30:00,1,7,100,0',
    ].join('\n'),
  );
  const tx = await transactionsFromCsv(path, plus);
  const a = replayTransactions(plus, tx);
  const b = replayTransactions(handbook, await transactionsFromCsv(path, handbook));
  const nPlus = a.featureNames.length;
  const nBase = b.featureNames.length;
  const value = (row: number, name: string) => a.features[row * nPlus + a.featureNames.indexOf(name)] as number;
  for (let r = 0; r < 4; r++)
    for (let c = 0; c < nBase; c++) assert.equal(a.features[r * nPlus + c], b.features[r * nBase + c]);
  // Row 3: the customer's earlier amounts are 10 and 30 (mean 20); the last hour holds 30 and 100.
  assert.equal(value(3, 'CUSTOMER_AMOUNT_TO_MEAN_7DAY'), 5);
  assert.equal(value(3, 'CUSTOMER_AMOUNT_TO_MEAN_30DAY'), 5);
  assert.equal(value(0, 'CUSTOMER_AMOUNT_TO_MEAN_7DAY'), 1);
  assert.equal(value(3, 'CUSTOMER_MAX_AMOUNT_7DAY_WINDOW'), 100);
  assert.equal(value(3, 'CUSTOMER_SECONDS_SINCE_PREVIOUS'), 50 * 60);
  assert.equal(value(3, 'CUSTOMER_NB_TX_1HOUR_WINDOW'), 2);
});
