import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  isMissingCell,
  parseBooleanCell,
  parseBooleanWord,
  parseDatetimeCell,
  parseNumberCell,
} from './cell-parsers.js';

describe('isMissingCell', () => {
  test('accepts every missing token, trimmed and in any case', () => {
    for (const text of [
      '',
      ' ',
      'NA',
      'na',
      'N/A',
      'n/a',
      'null',
      'NULL',
      'Null',
      '?',
      'NaN',
      'nan',
      ' NA ',
      '\tnull ',
    ]) {
      assert.equal(isMissingCell(text), true, JSON.stringify(text));
    }
  });
  test('rejects values that merely look empty-ish', () => {
    for (const text of ['0', 'none', 'N', 'no', 'nana', 'NAN1', '-', 'n/a/b', 'nul']) {
      assert.equal(isMissingCell(text), false, JSON.stringify(text));
    }
  });
});

describe('parseNumberCell', () => {
  test('reads decimals, signs, exponents and padding like Number()', () => {
    const cases: [string, number][] = [
      ['0', 0],
      ['-12', -12],
      ['+3', 3],
      ['57.16', 57.16],
      ['.5', 0.5],
      ['1.', 1],
      ['1e5', 100000],
      ['-2.5E-3', -0.0025],
      [' 42 ', 42],
      ['00012', 12],
      ['123456789012345678', 123456789012345680],
    ];
    for (const [text, value] of cases) assert.equal(parseNumberCell(text), value, text);
    assert.ok(Object.is(parseNumberCell('-0'), -0));
  });
  test('rejects text Number() would misread or that is not a plain number', () => {
    for (const text of [
      '',
      '  ',
      '0x1F',
      '0b11',
      '0o7',
      'Infinity',
      '-Infinity',
      '1,5',
      '1 000',
      '1_000',
      '1.2.3',
      '2018-04-01',
      'e5',
      '1e',
      '-',
      '.',
      'abc',
      '12abc',
    ]) {
      assert.ok(Number.isNaN(parseNumberCell(text)), JSON.stringify(text));
    }
  });
  test('the fast path agrees with Number() on every decimal it accepts', () => {
    const decimal = fc
      .tuple(
        fc.constantFrom('', '-', '+'),
        fc.stringMatching(/^[0-9]{0,18}$/),
        fc.option(fc.stringMatching(/^[0-9]{0,18}$/)),
      )
      .map(([sign, whole, fraction]) => `${sign}${whole}${fraction === null ? '' : `.${fraction}`}`);
    fc.assert(
      fc.property(decimal, (text) => {
        const expected = Number(text);
        const actual = parseNumberCell(text);
        if (/[0-9]/.test(text)) assert.ok(Object.is(actual, expected), `${text}: ${actual} vs ${expected}`);
        else assert.ok(Number.isNaN(actual), text);
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        // String(-0) is "0", so compare with what the text means rather than with `value`.
        const text = String(value);
        assert.ok(Object.is(parseNumberCell(text), Number(text)), text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('boolean parsers', () => {
  test('words: true/false, yes/no, y/n, t/f in any case; not 0/1', () => {
    for (const text of ['True', 'true', 'TRUE', 'yes', 'Yes', 'Y', 'y', 't', 'T', ' yes '])
      assert.equal(parseBooleanWord(text), 1, text);
    for (const text of ['False', 'false', 'no', 'NO', 'n', 'N', 'f', 'F'])
      assert.equal(parseBooleanWord(text), 0, text);
    for (const text of ['1', '0', 'maybe', 'yess', 'none', 'on']) assert.ok(Number.isNaN(parseBooleanWord(text)), text);
  });
  test('a boolean column also accepts 1/0', () => {
    assert.equal(parseBooleanCell('1'), 1);
    assert.equal(parseBooleanCell('0'), 0);
    assert.equal(parseBooleanCell('No'), 0);
    assert.ok(Number.isNaN(parseBooleanCell('2')));
  });
});

describe('parseDatetimeCell', () => {
  test('reads ISO dates and datetimes, naive ones as UTC', () => {
    assert.equal(parseDatetimeCell('2018-04-01'), Date.UTC(2018, 3, 1));
    assert.equal(parseDatetimeCell('2018-04-01 00:00:31'), Date.UTC(2018, 3, 1, 0, 0, 31));
    assert.equal(parseDatetimeCell('2018-04-01T23:59:59'), Date.UTC(2018, 3, 1, 23, 59, 59));
    assert.equal(parseDatetimeCell('2018-04-01T12:00:00.250'), Date.UTC(2018, 3, 1, 12, 0, 0, 250));
    assert.equal(parseDatetimeCell('2018-04-01T12:00:00.1234567Z'), Date.UTC(2018, 3, 1, 12, 0, 0, 123));
    assert.equal(parseDatetimeCell('2018-04-01T12:00:00+02:00'), Date.UTC(2018, 3, 1, 10, 0, 0));
    assert.equal(parseDatetimeCell('2018-04-01T12:00:00-05:30'), Date.UTC(2018, 3, 1, 17, 30, 0));
    assert.equal(parseDatetimeCell(' 2020-02-29 '), Date.UTC(2020, 1, 29));
    assert.equal(parseDatetimeCell('0050-01-01'), Date.parse('0050-01-01T00:00:00Z'));
  });
  test('rejects impossible dates and other formats', () => {
    for (const text of [
      '2018-02-29',
      '2018-13-01',
      '2018-04-31',
      '2018-04-01 24:00:00',
      '2018-04-01 12:60:00',
      '2018-04-01 12:00',
      '2018-04-01T12:00:00+2',
      '2018-04-01T12:00:00.',
      '2018-04-01X12:00:00',
      '04/01/2018',
      '2018/04/01',
      '20180401',
      '2018',
      '2018-04-01 00:00:31 extra',
    ]) {
      assert.ok(Number.isNaN(parseDatetimeCell(text)), text);
    }
  });
});
