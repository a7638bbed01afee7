import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { DataError } from '../errors.js';
import { type CsvRecords, CsvTextParser } from './csv-text-parser.js';

function parseAll(text: string, delimiter = ',', chunkSizes: number[] = [text.length]): CsvRecords {
  const out: CsvRecords = { records: [], lines: [] };
  const parser = new CsvTextParser(delimiter, 'test.csv');
  let at = 0;
  let k = 0;
  while (at < text.length) {
    const size = Math.max(1, chunkSizes[k++ % chunkSizes.length] as number);
    parser.push(text.slice(at, at + size), false, out);
    at += size;
  }
  parser.push('', true, out);
  return out;
}

describe('CsvTextParser', () => {
  test('splits plain records and numbers their lines', () => {
    const out = parseAll('a,b,c\n1,2,3\n4,,6\n');
    assert.deepEqual(out.records, [
      ['a', 'b', 'c'],
      ['1', '2', '3'],
      ['4', '', '6'],
    ]);
    assert.deepEqual(out.lines, [1, 2, 3]);
  });

  test('handles quotes, doubled quotes, delimiters and line breaks inside quotes', () => {
    const out = parseAll('id,text\n1,"a, b"\n2,"say ""hi"""\n3,"two\nlines"\n4,x\n');
    assert.deepEqual(out.records.slice(1), [
      ['1', 'a, b'],
      ['2', 'say "hi"'],
      ['3', 'two\nlines'],
      ['4', 'x'],
    ]);
    // Record 4 starts on line 6 because record 3 spans lines 4 and 5.
    assert.deepEqual(out.lines, [1, 2, 3, 4, 6]);
  });

  test('accepts CRLF, skips blank lines, keeps a last line without a line break', () => {
    const out = parseAll('a;b\r\n1;2\r\n\r\n\n3;"4"\r\n5;6', ';');
    assert.deepEqual(out.records, [
      ['a', 'b'],
      ['1', '2'],
      ['3', '4'],
      ['5', '6'],
    ]);
    assert.deepEqual(out.lines, [1, 2, 5, 6]);
  });

  test('a trailing delimiter yields an empty last field; ragged records pass through', () => {
    const out = parseAll('a,b\n1,\n1,2,3\n7\n');
    assert.deepEqual(out.records.slice(1), [['1', ''], ['1', '2', '3'], ['7']]);
  });

  test('an unclosed quote is an error naming the line where it opens', () => {
    assert.throws(
      () => parseAll('a,b\n1,2\n3,"open\nstill open\n'),
      (e: unknown) => e instanceof DataError && e.code === 'unterminated_quote' && /test\.csv line 3/.test(e.message),
    );
  });

  test('text after a closing quote is an error naming the line', () => {
    assert.throws(
      () => parseAll('a,b\n1,2\n3,"x"y\n'),
      (e: unknown) => e instanceof DataError && e.code === 'invalid_quote' && /line 3/.test(e.message),
    );
  });

  test('chunk boundaries never change the result', () => {
    const cell = fc.oneof(
      fc.stringMatching(/^[a-z0-9 .]{0,6}$/),
      fc.stringMatching(/^[a-z,;"\n\r]{0,6}$/).map((s) => `"${s.replaceAll('"', '""')}"`),
    );
    const record = fc.array(cell, { minLength: 1, maxLength: 4 }).map((cells) => cells.join(','));
    const document = fc.tuple(fc.array(record, { minLength: 1, maxLength: 12 }), fc.constantFrom('\n', '\r\n'));
    fc.assert(
      fc.property(
        document,
        fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 5 }),
        ([records, eol], sizes) => {
          const text = records.join(eol) + eol;
          assert.deepEqual(parseAll(text, ',', sizes), parseAll(text));
        },
      ),
      { numRuns: 500 },
    );
  });
});
