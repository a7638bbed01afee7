import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { DataError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { type CsvBatch, detectDelimiter, readCsv } from './read-csv.js';

const dir = mkdtempSync(join(tmpdir(), 'vigil-read-csv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function writeTemp(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function readAll(path: string, options: Parameters<typeof readCsv>[1] = {}): Promise<CsvBatch[]> {
  const batches: CsvBatch[] = [];
  for await (const batch of readCsv(path, options)) batches.push(batch);
  return batches;
}

async function rejectsWith(promise: Promise<unknown>, code: string, pattern: RegExp): Promise<DataError> {
  let caught: unknown;
  try {
    await promise;
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof DataError, `expected a DataError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.match(caught.message, pattern);
  return caught;
}

describe('readCsv', () => {
  test('streams batches with the header and 1-based line numbers', async () => {
    const rows = Array.from({ length: 10 }, (_, i) => `${i},v${i}`);
    const path = writeTemp('batches.csv', `id,value\n${rows.join('\n')}\n`);
    const batches = await readAll(path, { batchSize: 3 });
    assert.deepEqual(
      batches.map((b) => b.records.length),
      [3, 3, 3, 1],
    );
    assert.deepEqual(batches[0]?.header, ['id', 'value']);
    assert.deepEqual(batches[0]?.records[0], ['0', 'v0']);
    assert.deepEqual(
      batches.flatMap((b) => b.lines),
      Array.from({ length: 10 }, (_, i) => i + 2),
    );
  });

  test('reads gzip by its magic bytes, whatever the name, identically to the plain file', async () => {
    const text = 'a,b\n1,x\n2,"y, z"\n';
    const plain = await readAll(writeTemp('plain.csv', text));
    const gz = await readAll(writeTemp('packed.csv.gz', gzipSync(text)));
    const misnamed = await readAll(writeTemp('packed-no-ext.csv', gzipSync(text)));
    assert.deepEqual(gz, plain);
    assert.deepEqual(misnamed, plain);
    assert.deepEqual(plain[0]?.records, [
      ['1', 'x'],
      ['2', 'y, z'],
    ]);
  });

  test('a truncated gzip file is invalid_gzip', async () => {
    const packed = gzipSync('a,b\n'.repeat(5000));
    const path = writeTemp('truncated.csv.gz', packed.subarray(0, packed.length - 20));
    await rejectsWith(readAll(path), 'invalid_gzip', /truncated\.csv\.gz/);
  });

  test('strips a UTF-8 byte-order mark from the first column name', async () => {
    const path = writeTemp('bom.csv', '\uFEFFid,amount\n1,2\n');
    const [batch] = await readAll(path);
    assert.deepEqual(batch?.header, ['id', 'amount']);
  });

  test('detects ; tab and | delimiters, and commas despite quoted commas', async () => {
    for (const [name, delimiter] of [
      ['semicolon.csv', ';'],
      ['tab.tsv', '\t'],
      ['pipe.txt', '|'],
    ] as const) {
      // Decimal commas must not fool detection into ','.
      const text = ['id|amount|note', '1|2,5|a', '2|3,75|b'].map((l) => l.replaceAll('|', delimiter)).join('\n');
      const [batch] = await readAll(writeTemp(name, text));
      assert.equal(batch?.delimiter, delimiter, name);
      assert.deepEqual(batch?.header, ['id', 'amount', 'note']);
      assert.deepEqual(batch?.records[1], ['2', '3,75', 'b']);
    }
    const [german] = await readAll(`${SHARED_DATA}/german_credit.csv`, { batchSize: 5 });
    assert.equal(german?.delimiter, ',');
    assert.equal(german?.header.length, 22);
    assert.equal(german?.records[0]?.[18], 'yes, registered under the customers name');
    assert.equal(detectDelimiter('single\n1\n2\n'), ',');
  });

  test('an explicit wrong delimiter is wrong_delimiter, suggesting the right one', async () => {
    const path = writeTemp('semi.csv', 'id;amount;purpose\n1;20;car\n2;30;tv\n');
    const error = await rejectsWith(readAll(path, { delimiter: ',' }), 'wrong_delimiter', /semi\.csv line 1/);
    assert.match(error.message, /single column when split on ','/);
    assert.match(error.message, /use delimiter ';'/);
    assert.deepEqual(error.issues[0]?.path, ['line 1']);
    // The right explicit delimiter reads fine.
    const [batch] = await readAll(path, { delimiter: ';' });
    assert.deepEqual(batch?.header, ['id', 'amount', 'purpose']);
  });

  test('an empty or blank file is empty_file; a header alone is no_rows', async () => {
    await rejectsWith(readAll(writeTemp('empty.csv', '')), 'empty_file', /empty\.csv: the file is empty/);
    await rejectsWith(readAll(writeTemp('blank.csv', '\n\n  \n')), 'empty_file', /blank\.csv/);
    await rejectsWith(readAll(writeTemp('header.csv', 'id,amount\n')), 'no_rows', /header\.csv: .*no data rows/);
    await rejectsWith(readAll(writeTemp('header-blank.csv', 'id,amount\r\n\r\n\n')), 'no_rows', /header-blank\.csv/);
  });

  test('invalid UTF-8 is invalid_encoding naming the line, even deep in a large file', async () => {
    const bytes = Buffer.concat([Buffer.from('id,name\n1,ok\n2,caf'), Buffer.from([0xe9]), Buffer.from(',x\n3,z\n')]);
    await rejectsWith(readAll(writeTemp('latin1.csv', bytes)), 'invalid_encoding', /latin1\.csv line 3: .*UTF-8/);

    // Valid multi-byte characters cut by chunk boundaries must decode, and the bad byte on line 60,002
    // (past several 256 KB chunks) must be located.
    const good = Array.from({ length: 60_000 }, (_, i) => `${i},crème brûlée €${i}`).join('\n');
    const big = Buffer.concat([Buffer.from(`id,name\n${good}\n60000,`), Buffer.from([0xc3, 0x28]), Buffer.from('\n')]);
    await rejectsWith(readAll(writeTemp('big-latin1.csv', big)), 'invalid_encoding', /line 60002:/);
    const fine = await readAll(writeTemp('big-utf8.csv', `id,name\n${good}\n`));
    const records = fine.flatMap((b) => b.records);
    assert.equal(records.length, 60_000);
    assert.deepEqual(records[59_999], ['59999', 'crème brûlée €59999']);
  });

  test('a UTF-16 file is invalid_encoding', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('id,x\n1,2\n', 'utf16le')]);
    await rejectsWith(readAll(writeTemp('utf16.csv', utf16)), 'invalid_encoding', /UTF-16/);
  });

  test('duplicate and empty column names are reported with the header line', async () => {
    const error = await rejectsWith(
      readAll(writeTemp('dup.csv', 'id,amount,x,amount\n1,2,3,4\n')),
      'duplicate_column',
      /dup\.csv line 1: .*"amount" is used 2 times \(columns 2, 4\)/,
    );
    assert.deepEqual(error.issues[0]?.path, ['line 1', 'amount']);
    const empty = await rejectsWith(readAll(writeTemp('noname.csv', 'id,,x\n1,2,3\n')), 'empty_column_name', /line 1/);
    assert.deepEqual(empty.issues[0]?.path, ['line 1', 'column 2']);
  });

  test('a missing file is file_not_found', async () => {
    await rejectsWith(readAll(join(dir, 'nope.csv')), 'file_not_found', /nope\.csv: no such file/);
  });

  test('onRawBytes sees every stored byte (compressed bytes for gzip)', async () => {
    const path = writeTemp('raw.csv.gz', gzipSync('a,b\n'.repeat(100_000)));
    let total = 0;
    await readAll(path, { onRawBytes: (chunk) => (total += chunk.length) });
    assert.equal(total, statSync(path).size);
  });

  test('streams a million gzip rows in bounded batches', async () => {
    const lines: string[] = ['id,amount,flag'];
    for (let i = 0; i < 1_000_000; i++) lines.push(`${i},${i % 997}.5,${i % 2 === 0 ? 'True' : 'False'}`);
    const path = writeTemp('million.csv.gz', gzipSync(lines.join('\n'), { level: 1 }));
    let rows = 0;
    let largest = 0;
    let lastLine = 0;
    let lastRecord: string[] = [];
    for await (const batch of readCsv(path, { batchSize: 50_000 })) {
      rows += batch.records.length;
      largest = Math.max(largest, batch.records.length);
      lastLine = batch.lines[batch.lines.length - 1] as number;
      lastRecord = batch.records[batch.records.length - 1] as string[];
    }
    assert.equal(rows, 1_000_000);
    assert.equal(largest, 50_000);
    assert.equal(lastLine, 1_000_001);
    assert.deepEqual(lastRecord, ['999999', `${999_999 % 997}.5`, 'False']);
  });

  test('stopping early releases the file and a new read works', async () => {
    const path = writeTemp('early.csv', `a\n${'1\n'.repeat(50_000)}`);
    for await (const batch of readCsv(path, { batchSize: 100 })) {
      assert.equal(batch.records.length, 100);
      break;
    }
    const all = await readAll(path, { batchSize: 100_000 });
    assert.equal(all[0]?.records.length, 50_000);
    const packed = writeTemp('early.csv.gz', gzipSync(`a\n${'1\n'.repeat(500_000)}`));
    for await (const batch of readCsv(packed, { batchSize: 10 })) {
      assert.equal(batch.records.length, 10);
      break;
    }
    const rows = (await readAll(packed, { batchSize: 1_000_000 }))[0]?.records.length;
    assert.equal(rows, 500_000);
  });
});
