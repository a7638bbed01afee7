import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { readCsv } from './read-csv.js';
import { cellText, isDictionaryColumn, type Schema } from './table.js';
import { tableFromRecords } from './table-from-records.js';

const schema: Schema = {
  columns: [
    { name: 'amount', kind: 'numeric' },
    { name: 'merchant', kind: 'categorical' },
    { name: 'when', kind: 'datetime' },
    { name: 'card_present', kind: 'boolean' },
  ],
};

describe('tableFromRecords', () => {
  test('parses a batch by a fixed schema, in schema order, ignoring extra columns', () => {
    const header = ['when', 'extra', 'card_present', 'merchant', 'amount'];
    const records = [
      ['2018-04-01 10:00:00', 'x', 'yes', 'shop', '12.5'],
      ['2018-04-01T11:00:00Z', 'y', '0', 'NA', ''],
    ];
    const { table, issues, issueCount } = tableFromRecords(header, records, schema, [2, 3]);
    assert.equal(issueCount, 0);
    assert.deepEqual(issues, []);
    assert.equal(table.nRows, 2);
    assert.deepEqual(
      table.columns.map((c) => c.name),
      ['amount', 'merchant', 'when', 'card_present'],
    );
    const [amount, merchant, when, cardPresent] = table.columns;
    assert.ok(amount && !isDictionaryColumn(amount));
    assert.deepEqual([...amount.values], [12.5, NaN]);
    assert.ok(merchant && isDictionaryColumn(merchant));
    assert.deepEqual([...merchant.codes], [0, -1]);
    assert.ok(when && !isDictionaryColumn(when));
    assert.deepEqual([...when.values], [Date.UTC(2018, 3, 1, 10), Date.UTC(2018, 3, 1, 11)]);
    assert.ok(cardPresent && !isDictionaryColumn(cardPresent));
    assert.deepEqual([...cardPresent.values], [1, 0]);
  });

  test('unseen categories get new dictionary entries; bad cells become missing and are reported', () => {
    const header = ['amount', 'merchant', 'when', 'card_present'];
    const records = [
      ['1', 'never-seen', '2018-04-01', 'true'],
      ['lots', 'another', 'yesterday', 'maybe'],
      ['3', 'never-seen'],
    ];
    const { table, issues, issueCount } = tableFromRecords(header, records, schema, 100);
    assert.equal(table.nRows, 3);
    const merchant = table.columns[1];
    assert.ok(merchant && isDictionaryColumn(merchant));
    assert.deepEqual(merchant.dictionary, ['never-seen', 'another']);
    // The ragged row is kept as a row of missing values so rows stay aligned with records.
    assert.deepEqual([...merchant.codes], [0, 1, -1]);
    assert.equal(cellText(table.columns[0]!, 1), null);
    assert.equal(issueCount, 4);
    assert.deepEqual(
      issues.map((i) => [i.code, ...i.path]),
      [
        ['invalid_number', 'line 101', 'amount'],
        ['invalid_datetime', 'line 101', 'when'],
        ['invalid_boolean', 'line 101', 'card_present'],
        ['ragged_row', 'line 102'],
      ],
    );
  });

  test('a header without required columns throws missing_column naming all of them', () => {
    assert.throws(
      () => tableFromRecords(['amount', 'other'], [['1', '2']], schema, 2),
      (e: unknown) =>
        e instanceof DataError &&
        e.code === 'missing_column' &&
        /3 required columns are missing: "merchant", "when", "card_present"/.test(e.message) &&
        e.issues.length === 3,
    );
  });

  test('streams the fraud sample batch by batch with the same values as one read', async () => {
    const fraudSchema: Schema = {
      columns: [
        { name: 'TX_DATETIME', kind: 'datetime' },
        { name: 'TX_AMOUNT', kind: 'numeric' },
        { name: 'TX_FRAUD', kind: 'numeric' },
        { name: 'TERMINAL_ID', kind: 'identifier' },
      ],
    };
    let rows = 0;
    let frauds = 0;
    let batches = 0;
    let lastTime = Number.NEGATIVE_INFINITY;
    let ordered = true;
    for await (const batch of readCsv(`${SHARED_DATA}/fraud_sim/sample_2w.csv`, { batchSize: 20_000 })) {
      const { table, issueCount } = tableFromRecords(batch.header, batch.records, fraudSchema, batch.lines);
      assert.equal(issueCount, 0);
      const time = table.columns[0];
      const fraud = table.columns[2];
      assert.ok(time && fraud && !isDictionaryColumn(time) && !isDictionaryColumn(fraud));
      for (let r = 0; r < table.nRows; r++) {
        frauds += fraud.values[r] as number;
        if ((time.values[r] as number) < lastTime) ordered = false;
        lastTime = time.values[r] as number;
      }
      rows += table.nRows;
      batches++;
    }
    assert.equal(rows, 134_288);
    assert.equal(frauds, 471);
    assert.equal(batches, 7);
    assert.ok(ordered, 'transactions are chronological');
  });
});
