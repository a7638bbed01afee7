import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { decideKind, emptyProfile, inferSchema, isIdentifierName, profileCell } from './infer-schema.js';
import type { ColumnKind, Schema } from './table.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-infer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function kinds(schema: Schema): Record<string, ColumnKind> {
  return Object.fromEntries(schema.columns.map((c) => [c.name, c.kind]));
}

function kindOf(name: string, cells: string[]): ColumnKind {
  const profile = emptyProfile();
  for (const cell of cells) profileCell(profile, cell);
  return decideKind(name, profile).kind;
}

describe('isIdentifierName', () => {
  test('matches id as the first or last word of the name', () => {
    for (const name of [
      'id',
      'ID',
      'Id',
      'customer_id',
      'TRANSACTION_ID',
      'customerId',
      'userID',
      'row-id',
      'loan.id',
      'id_client',
      'ID Number',
    ]) {
      assert.equal(isIdentifierName(name), true, name);
    }
  });
  test('does not match words that merely contain "id"', () => {
    for (const name of ['paid', 'valid', 'VALID', 'idle_days', 'is_id_verified', 'bid_amount', 'uuid', 'identity']) {
      assert.equal(isIdentifierName(name), false, name);
    }
  });
});

describe('decideKind', () => {
  test('textual boolean pairs are boolean; 0/1 stays numeric', () => {
    assert.equal(kindOf('flag', ['True', 'False', 'true', '']), 'boolean');
    assert.equal(kindOf('flag', ['yes', 'no', 'Y', 'n', 'T', 'f', 'NA']), 'boolean');
    assert.equal(kindOf('flag', ['1', '0', '1']), 'numeric');
    assert.equal(kindOf('flag', ['yes', 'no', '1']), 'categorical');
  });
  test('ISO dates and datetimes are datetime', () => {
    assert.equal(kindOf('when', ['2018-04-01', '2018-04-01 10:00:00', '2018-04-02T10:00:00Z', '']), 'datetime');
    assert.equal(kindOf('when', ['2018-04-01', '04/02/2018']), 'categorical');
  });
  test('a column at least 98% numeric stays numeric (its strays are errors later)', () => {
    const mostly = [...Array.from({ length: 99 }, (_, i) => String(i)), 'abc'];
    assert.equal(kindOf('amount', mostly), 'numeric');
    const lessSo = [...Array.from({ length: 95 }, (_, i) => String(i)), ...Array(5).fill('abc')];
    assert.equal(kindOf('amount', lessSo), 'categorical');
  });
  test('more than 50 distinct strings make an identifier; fewer, or repeats, a categorical', () => {
    const distinct = Array.from({ length: 51 }, (_, i) => `C-${i}`);
    assert.equal(kindOf('account', distinct), 'identifier');
    assert.equal(kindOf('account', distinct.slice(0, 50)), 'categorical');
    assert.equal(kindOf('account', [...distinct, 'C-3']), 'categorical');
    // Distinct numbers are measurements, not ids.
    assert.equal(
      kindOf(
        'amount',
        Array.from({ length: 200 }, (_, i) => `${i}.5`),
      ),
      'numeric',
    );
  });
  test('id-named columns are identifiers whatever they hold; an empty column is categorical', () => {
    assert.equal(kindOf('customer_id', ['1', '2', '2']), 'identifier');
    const empty = decideKind('blank', emptyProfile());
    assert.equal(empty.kind, 'categorical');
    assert.match(empty.note ?? '', /no values/);
  });
});

describe('inferSchema on the shared datasets', () => {
  test('german credit: text categoricals, numbers, yes/no and True/False booleans', async () => {
    const inferred = await inferSchema(`${SHARED_DATA}/german_credit.csv`);
    const k = kinds(inferred.schema);
    assert.equal(inferred.nRows, 1000);
    assert.equal(inferred.schema.columns.length, 22);
    assert.equal(k.purpose, 'categorical');
    assert.equal(k.status_account, 'categorical');
    assert.equal(k.telephone, 'categorical');
    assert.equal(k.target, 'categorical');
    assert.equal(k.is_foreign_worker, 'boolean');
    assert.equal(k._is_test, 'boolean');
    assert.equal(k.credit_amount, 'numeric');
    assert.equal(k.n_guarantors, 'numeric');
    const counts = Object.values(k).reduce<Record<string, number>>((acc, kind) => {
      acc[kind] = (acc[kind] ?? 0) + 1;
      return acc;
    }, {});
    assert.deepEqual(counts, { categorical: 13, numeric: 7, boolean: 2 });
  });

  test('taiwan credit: id is an identifier, the rest numeric but the split flag', async () => {
    const k = kinds((await inferSchema(`${SHARED_DATA}/taiwan_credit.csv`)).schema);
    assert.equal(k.id, 'identifier');
    assert.equal(k._is_test, 'boolean');
    assert.equal(k.target, 'numeric');
    assert.equal(k.sex, 'numeric');
    assert.equal(Object.values(k).filter((kind) => kind === 'numeric').length, 24);
  });

  test('fraud sample: TX_DATETIME datetime, *_ID identifiers, amounts numeric', async () => {
    const inferred = await inferSchema(`${SHARED_DATA}/fraud_sim/sample_2w.csv`);
    assert.equal(inferred.nRows, 134_288);
    assert.deepEqual(kinds(inferred.schema), {
      TRANSACTION_ID: 'identifier',
      TX_DATETIME: 'datetime',
      CUSTOMER_ID: 'identifier',
      TERMINAL_ID: 'identifier',
      TX_AMOUNT: 'numeric',
      TX_TIME_SECONDS: 'numeric',
      TX_TIME_DAYS: 'numeric',
      TX_FRAUD: 'numeric',
      TX_FRAUD_SCENARIO: 'numeric',
    });
    assert.equal(inferred.fingerprint.length, 64);
  });

  test('overrides win, and an override naming no column is a ConfigError', async () => {
    const k = kinds(
      (await inferSchema(`${SHARED_DATA}/german_credit.csv`, { overrides: { n_credits: 'categorical' } })).schema,
    );
    assert.equal(k.n_credits, 'categorical');
    await assert.rejects(
      inferSchema(`${SHARED_DATA}/german_credit.csv`, { overrides: { n_credit: 'categorical', nope: 'numeric' } }),
      (e: unknown) =>
        e instanceof ConfigError &&
        e.code === 'unknown_column' &&
        e.issues.length === 2 &&
        /"n_credit", "nope"/.test(e.message),
    );
  });

  test('notes a column inferred as identifier because its values are distinct', async () => {
    const rows = Array.from({ length: 60 }, (_, i) => `ACC-${1000 + i},${i % 3}`);
    const path = join(dir, 'accounts.csv');
    writeFileSync(path, `account,segment\n${rows.join('\n')}\n`);
    const inferred = await inferSchema(path);
    assert.deepEqual(kinds(inferred.schema), { account: 'identifier', segment: 'numeric' });
    assert.deepEqual(inferred.warnings, ['column "account" read as an identifier: all 60 values are distinct']);
  });
});
