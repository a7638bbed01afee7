import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { ConfigError, DataError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { readTable } from './dataset-from-csv.js';
import { type Column, cellText, findColumn, isDictionaryColumn, type Table } from './table.js';

const GERMAN = `${SHARED_DATA}/german_credit.csv`;
const TAIWAN = `${SHARED_DATA}/taiwan_credit.csv`;
const FRAUD = `${SHARED_DATA}/fraud_sim/sample_2w.csv`;

const dir = mkdtempSync(join(tmpdir(), 'vigil-read-table-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeTemp(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

function column(table: Table, name: string): Column {
  const col = findColumn(table, name);
  assert.ok(col, `column ${name}`);
  return col;
}

function values(table: Table, name: string): Float64Array {
  const col = column(table, name);
  assert.ok(!isDictionaryColumn(col), `${name} is not dictionary-encoded`);
  return col.values;
}

function sum(a: Float64Array): number {
  let s = 0;
  for (const v of a) s += v;
  return s;
}

function countText(table: Table, name: string, text: string): number {
  const col = column(table, name);
  let n = 0;
  for (let r = 0; r < table.nRows; r++) if (cellText(col, r) === text) n++;
  return n;
}

async function dataError(promise: Promise<unknown>): Promise<DataError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DataError, `expected a DataError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a DataError');
}

describe('readTable on the shared datasets', () => {
  test('german credit: 1,000 rows, dictionaries for text, booleans for flags', async () => {
    const { table, schema, nRows, fingerprint, warnings } = await readTable(GERMAN);
    assert.equal(nRows, 1000);
    assert.equal(table.nRows, 1000);
    assert.equal(schema.columns.length, 22);
    assert.deepEqual(warnings, []);
    assert.equal(countText(table, 'target', 'bad'), 300);
    assert.equal(countText(table, 'target', 'good'), 700);
    assert.equal(sum(values(table, '_is_test')), 257);
    assert.equal(sum(values(table, 'is_foreign_worker')), 963);
    const purpose = column(table, 'purpose');
    assert.ok(isDictionaryColumn(purpose));
    assert.equal(purpose.dictionary.length, 10);
    assert.equal(cellText(purpose, 0), 'radio/television');
    assert.equal(cellText(column(table, 'telephone'), 0), 'yes, registered under the customers name');
    assert.equal(values(table, 'credit_amount')[0], 1169);
    assert.equal(fingerprint, createHash('sha256').update(readFileSync(GERMAN)).digest('hex'));
  });

  test('taiwan credit: 30,000 rows, id dictionary of 30,000', async () => {
    const { table, schema } = await readTable(TAIWAN);
    assert.equal(table.nRows, 30_000);
    assert.equal(schema.columns.length, 26);
    assert.equal(sum(values(table, 'target')), 6636);
    assert.equal(sum(values(table, '_is_test')), 7529);
    const id = column(table, 'id');
    assert.equal(id.kind, 'identifier');
    assert.ok(isDictionaryColumn(id));
    assert.equal(id.dictionary.length, 30_000);
    assert.equal(cellText(id, 29_999), '30000');
    assert.equal(values(table, 'limit_bal')[1], 120_000);
  });

  test('fraud sample: 134,288 transactions, 471 frauds, UTC datetimes', async () => {
    const { table } = await readTable(FRAUD);
    assert.equal(table.nRows, 134_288);
    assert.equal(sum(values(table, 'TX_FRAUD')), 471);
    const time = values(table, 'TX_DATETIME');
    assert.equal(time[0], Date.UTC(2018, 3, 1, 0, 0, 31));
    assert.equal(time[134_287], Date.UTC(2018, 3, 14, 23, 59, 43));
    const customer = column(table, 'CUSTOMER_ID');
    assert.ok(isDictionaryColumn(customer));
    assert.equal(customer.kind, 'identifier');
    assert.equal(cellText(customer, 0), '596');
    assert.ok(Math.abs(values(table, 'TX_AMOUNT')[0]! - 57.16) < 1e-12);
  });

  test('reading twice (files past the holdCells budget) gives the same result as reading once', async () => {
    for (const path of [GERMAN, FRAUD]) {
      const once = await readTable(path);
      const twice = await readTable(path, { holdCells: 0 });
      assert.deepEqual(twice, once, path);
    }
    const ragged = writeTemp('ragged-twice.csv', 'a,b\n1,2\n3\n4,x\n');
    const errors = await Promise.all([readTable(ragged), readTable(ragged, { holdCells: 0 })].map((p) => dataError(p)));
    assert.deepEqual(errors[1]?.issues, errors[0]?.issues);
    assert.equal(errors[0]?.code, 'ragged_row');
  });

  test('with an exact schema: one pass, schema order, other columns left out with a warning', async () => {
    const schema = {
      columns: [
        { name: 'age', kind: 'numeric' as const },
        { name: 'sex', kind: 'categorical' as const },
        { name: 'id', kind: 'identifier' as const },
      ],
    };
    const result = await readTable(TAIWAN, { schema });
    assert.deepEqual(
      result.table.columns.map((c) => [c.name, c.kind]),
      [
        ['age', 'numeric'],
        ['sex', 'categorical'],
        ['id', 'identifier'],
      ],
    );
    assert.equal(countText(result.table, 'sex', '2'), 18_112);
    assert.match(result.warnings[0] ?? '', /ignored 23 column\(s\) not in the schema: limit_bal, education/);
    assert.equal(result.fingerprint, createHash('sha256').update(readFileSync(TAIWAN)).digest('hex'));
  });
});

describe('readTable validation', () => {
  test('missing tokens become NaN or code -1', async () => {
    const path = writeTemp(
      'missing.csv',
      'amount,segment,flag,when\n1.5,a,yes,2020-01-01\nNA,N/A,null,\n?, nan ,NULL,NaN\n2,b,no,2020-01-02\n',
    );
    const { table, schema } = await readTable(path);
    assert.deepEqual(
      schema.columns.map((c) => c.kind),
      ['numeric', 'categorical', 'boolean', 'datetime'],
    );
    assert.deepEqual([...values(table, 'amount')], [1.5, NaN, NaN, 2]);
    assert.deepEqual([...values(table, 'flag')], [1, NaN, NaN, 0]);
    assert.deepEqual([...values(table, 'when')], [Date.UTC(2020, 0, 1), NaN, NaN, Date.UTC(2020, 0, 2)]);
    const segment = column(table, 'segment');
    assert.ok(isDictionaryColumn(segment));
    assert.deepEqual([...segment.codes], [0, -1, -1, 1]);
    assert.deepEqual(segment.dictionary, ['a', 'b']);
  });

  test('ragged rows: every one listed with its line, code ragged_row', async () => {
    const path = writeTemp('ragged.csv', 'a,b,c\n1,2,3\n4,5\n6,7,8\n"multi\nline",1,2\n9,10,11,12\n');
    const error = await dataError(readTable(path));
    assert.equal(error.code, 'ragged_row');
    assert.match(error.message, /ragged\.csv: 2 problems found; first at line 3: has 2 fields, expected 3/);
    assert.deepEqual(
      error.issues.map((i) => i.path),
      [['line 3'], ['line 7']],
    );
    assert.match(error.issues[1]?.message ?? '', /has 4 fields, expected 3/);
  });

  test('a cell that is not a number in a column forced numeric: invalid_number with line and column', async () => {
    const path = writeTemp('forced.csv', 'id,amount,segment\n1,10,a\n2,12.5,b\n3,twelve,c\n4,,d\n5,1e3,e\n6,abc,f\n');
    const error = await dataError(readTable(path, { overrides: { amount: 'numeric' } }));
    assert.equal(error.code, 'invalid_number');
    assert.match(error.message, /forced\.csv: 2 problems found; first at line 4, amount: "twelve" is not a number/);
    assert.deepEqual(
      error.issues.map((i) => i.path),
      [
        ['line 4', 'amount'],
        ['line 7', 'amount'],
      ],
    );
    // Without the override the column is simply categorical.
    const { schema } = await readTable(path);
    assert.equal(schema.columns[1]?.kind, 'categorical');
  });

  test('forced boolean and datetime columns report their own codes; mixed problems are invalid_data', async () => {
    const path = writeTemp('mixed.csv', 'flag,when\nyes,2020-01-01\nmaybe,2020-01-02\n1,01/03/2020\nx\n');
    const error = await dataError(readTable(path, { overrides: { flag: 'boolean', when: 'datetime' } }));
    assert.equal(error.code, 'invalid_data');
    assert.deepEqual(
      error.issues.map((i) => [i.code, ...i.path]),
      [
        ['invalid_boolean', 'line 3', 'flag'],
        ['invalid_datetime', 'line 4', 'when'],
        ['ragged_row', 'line 5'],
      ],
    );
  });

  test('a column ≥98% numeric with stray text fails listing every stray cell', async () => {
    const rows = Array.from({ length: 200 }, (_, i) => `${i},${i === 57 ? 'n.a.' : i === 150 ? '"12,5"' : i * 1.5}`);
    const path = writeTemp('strays.csv', `row,amount\n${rows.join('\n')}\n`);
    const error = await dataError(readTable(path));
    assert.equal(error.code, 'invalid_number');
    assert.deepEqual(
      error.issues.map((i) => i.path),
      [
        ['line 59', 'amount'],
        ['line 152', 'amount'],
      ],
    );
    // Forcing the kind accepts the file as it is.
    const { schema } = await readTable(path, { overrides: { amount: 'categorical' } });
    assert.equal(schema.columns[1]?.kind, 'categorical');
  });

  test('counts every problem but stores at most 1,000', async () => {
    const rows = Array.from({ length: 2500 }, (_, i) => (i % 2 === 0 ? `${i},1` : `${i}`));
    const path = writeTemp('many.csv', `a,b\n${rows.join('\n')}\n`);
    const error = await dataError(readTable(path));
    assert.equal(error.code, 'ragged_row');
    assert.equal(error.issues.length, 1000);
    assert.match(error.message, /1,250 problems found \(first 1000 listed\)/);
  });

  test('an exact schema missing columns: missing_column listing every one', async () => {
    const schema = {
      columns: [
        { name: 'age', kind: 'numeric' as const },
        { name: 'income', kind: 'numeric' as const },
        { name: 'region', kind: 'categorical' as const },
      ],
    };
    const error = await dataError(readTable(GERMAN, { schema }));
    assert.equal(error.code, 'missing_column');
    assert.match(error.message, /german_credit\.csv: 2 required columns are missing: "income", "region"/);
    assert.deepEqual(
      error.issues.map((i) => i.path),
      [['income'], ['region']],
    );
  });

  test('an override for a column the file lacks is a ConfigError', async () => {
    await assert.rejects(
      readTable(GERMAN, { overrides: { purpse: 'categorical' } }),
      (e: unknown) => e instanceof ConfigError && e.code === 'unknown_column' && /"purpse"/.test(e.message),
    );
  });

  test('reads gzip and BOM files, fingerprinting the stored bytes', async () => {
    const text = '\uFEFFid,amount,ok\n1,2.5,True\n2,3,False\n';
    const packed = gzipSync(text);
    const path = writeTemp('small.csv.gz', packed);
    const { table, fingerprint, delimiter } = await readTable(path);
    assert.equal(delimiter, ',');
    assert.deepEqual(
      table.columns.map((c) => [c.name, c.kind]),
      [
        ['id', 'identifier'],
        ['amount', 'numeric'],
        ['ok', 'boolean'],
      ],
    );
    assert.deepEqual([...values(table, 'amount')], [2.5, 3]);
    assert.equal(fingerprint, createHash('sha256').update(packed).digest('hex'));
  });

  test('bad input from the reader surfaces unchanged: empty, header only, encoding, delimiter', async () => {
    assert.equal((await dataError(readTable(writeTemp('e.csv', '')))).code, 'empty_file');
    assert.equal((await dataError(readTable(writeTemp('h.csv', 'a,b\n')))).code, 'no_rows');
    const bad = Buffer.concat([Buffer.from('a,b\n1,2\n'), Buffer.from([0x80]), Buffer.from(',3\n')]);
    const encoding = await dataError(readTable(writeTemp('enc.csv', bad)));
    assert.equal(encoding.code, 'invalid_encoding');
    assert.match(encoding.message, /enc\.csv line 3/);
    const wrong = await dataError(readTable(writeTemp('w.csv', 'a;b\n1;2\n'), { delimiter: ',' }));
    assert.equal(wrong.code, 'wrong_delimiter');
  });
});
