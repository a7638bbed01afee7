/**
 * One parser per column kind, shared by schema inference, `readTable` and `tableFromRecords` so a
 * cell means the same thing whether a file is read for training or streamed for scoring.
 * Each parser returns NaN for text it does not accept; missing tokens are checked first with
 * {@link isMissingCell}, so NaN never means "missing" here.
 */

const MISSING_TOKENS = new Set(['', 'na', 'n/a', 'null', '?', 'nan']);
const CHAR_N = 110;
const CHAR_UPPER_N = 78;
const CHAR_QUESTION = 63;
const CHAR_SPACE = 32;

/**
 * True for the missing-value tokens `""`, `NA`, `N/A`, `null`, `?`, `NaN`, compared trimmed and
 * case-insensitively.
 * @example isMissingCell(' n/a ') // true
 */
export function isMissingCell(text: string): boolean {
  if (text.length === 0) return true;
  // Every token starts with n, N or ?, or the cell is padded; this rejects most cells without allocating.
  const first = text.charCodeAt(0);
  if (first > CHAR_SPACE && first !== CHAR_N && first !== CHAR_UPPER_N && first !== CHAR_QUESTION) return false;
  const trimmed = text.trim();
  return trimmed.length <= 4 && MISSING_TOKENS.has(trimmed.toLowerCase());
}

// Powers of ten exactly representable as doubles, for the fast path of parseNumberCell.
const POWERS_OF_TEN = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * Parses a decimal number (`12`, `-3.5`, `1e-4`, surrounding spaces allowed). Rejects infinities and
 * the hex/binary/octal literals `Number()` would accept, and decimal commas or thousands separators.
 * Gives exactly what `Number()` gives for every accepted text.
 * @returns the value, or NaN when the text is not a number.
 */
export function parseNumberCell(text: string): number {
  // Fast path for plain decimals of up to 15 digits: the digits form an integer below 2^53 and
  // 10^k is exact for k ≤ 22, so one division rounds correctly, as Number() would (Clinger's fast
  // path). This is most of the cost of reading a numeric file, hence the hand-written loop.
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  const negative = c === 45;
  if (negative || c === 43) i = 1;
  let mantissa = 0;
  let digits = 0;
  let fractionDigits = -1;
  for (; i < n; i++) {
    c = text.charCodeAt(i);
    const d = c - 48;
    if (d >= 0 && d <= 9) {
      mantissa = mantissa * 10 + d;
      digits++;
      if (fractionDigits >= 0) fractionDigits++;
    } else if (c === 46 && fractionDigits < 0) {
      fractionDigits = 0;
    } else if (c === 101 || c === 69 || c <= CHAR_SPACE) {
      // An exponent or padding: rare enough to leave to Number().
      return parseNumberSlowly(text);
    } else {
      // Any other character (a second dot, a dash as in a date, a letter) cannot be in a number.
      return NaN;
    }
  }
  if (digits === 0 || digits > 15) return parseNumberSlowly(text);
  const value = fractionDigits > 0 ? mantissa / (POWERS_OF_TEN[fractionDigits] as number) : mantissa;
  return negative ? -value : value;
}

function parseNumberSlowly(text: string): number {
  const t = text.trim();
  // Number() reads blank text as 0.
  if (t.length === 0) return NaN;
  const value = Number(t);
  if (!Number.isFinite(value)) return NaN;
  // `Number('0x1F')` is 31, but in a data file such a cell is a code, not a quantity.
  if (t.length > 2 && t.charCodeAt(0) === 48) {
    const prefix = t.charCodeAt(1) | 0x20;
    if (prefix === 120 || prefix === 98 || prefix === 111) return NaN;
  }
  return value;
}

const TRUE_WORDS = new Set(['true', 'yes', 'y', 't']);
const FALSE_WORDS = new Set(['false', 'no', 'n', 'f']);

/**
 * Parses a textual boolean: true/false, yes/no, y/n, t/f, case-insensitive and trimmed.
 * `0`/`1` are not accepted here: inference keeps 0/1 columns numeric (see {@link parseBooleanCell}).
 * @returns 1, 0, or NaN when the text is not a boolean word.
 */
export function parseBooleanWord(text: string): number {
  // The spellings pandas and most exports write, checked before lower-casing.
  if (text === 'True' || text === 'true') return 1;
  if (text === 'False' || text === 'false') return 0;
  if (text.length > 16) return NaN;
  const word = text.trim().toLowerCase();
  if (TRUE_WORDS.has(word)) return 1;
  if (FALSE_WORDS.has(word)) return 0;
  return NaN;
}

/**
 * Parses a cell of a boolean column: the words of {@link parseBooleanWord} plus `1`/`0`, which a
 * column whose kind was set to boolean (by a schema) may reasonably hold.
 * @returns 1, 0, or NaN when the text is not a boolean.
 */
export function parseBooleanCell(text: string): number {
  const word = parseBooleanWord(text);
  if (!Number.isNaN(word)) return word;
  const t = text.trim();
  if (t === '1') return 1;
  if (t === '0') return 0;
  return NaN;
}

function digitsAt(s: string, start: number, count: number): number {
  let value = 0;
  for (let k = 0; k < count; k++) {
    const d = s.charCodeAt(start + k) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

const CHAR_DASH = 45;
const CHAR_COLON = 58;
const CHAR_DOT = 46;
const CHAR_PLUS = 43;

/**
 * Parses an ISO date or datetime: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or
 * `YYYY-MM-DDTHH:MM:SS[.sss][Z|±hh:mm]` (fraction and zone are also accepted after a space).
 * A datetime without a zone is read as UTC, so the same file gives the same instants on every machine.
 * @returns milliseconds since the Unix epoch, or NaN when the text is not such a date.
 * @example parseDatetimeCell('2018-04-01 00:00:31') // 1522540831000
 */
export function parseDatetimeCell(text: string): number {
  const s = text.charCodeAt(0) <= CHAR_SPACE || text.charCodeAt(text.length - 1) <= CHAR_SPACE ? text.trim() : text;
  const n = s.length;
  if (n < 10 || s.charCodeAt(4) !== CHAR_DASH || s.charCodeAt(7) !== CHAR_DASH) return NaN;
  const year = digitsAt(s, 0, 4);
  const month = digitsAt(s, 5, 2);
  const day = digitsAt(s, 8, 2);
  if (year < 0 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return NaN;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let ms = 0;
  let offsetMinutes = 0;
  if (n > 10) {
    const sep = s[10];
    if ((sep !== 'T' && sep !== ' ') || n < 19) return NaN;
    if (s.charCodeAt(13) !== CHAR_COLON || s.charCodeAt(16) !== CHAR_COLON) return NaN;
    hour = digitsAt(s, 11, 2);
    minute = digitsAt(s, 14, 2);
    second = digitsAt(s, 17, 2);
    if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
    let i = 19;
    if (i < n && s.charCodeAt(i) === CHAR_DOT) {
      const start = ++i;
      while (i < n && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
      if (i === start) return NaN;
      // Only milliseconds fit in the column; finer digits are dropped, not rounded, like Date.parse.
      ms = Number(s.slice(start, Math.min(i, start + 3)).padEnd(3, '0'));
    }
    if (i < n) {
      const zone = s.charCodeAt(i);
      if (zone === 90 || zone === 122) {
        i++;
      } else if ((zone === CHAR_PLUS || zone === CHAR_DASH) && i + 6 <= n && s.charCodeAt(i + 3) === CHAR_COLON) {
        const zh = digitsAt(s, i + 1, 2);
        const zm = digitsAt(s, i + 4, 2);
        if (zh < 0 || zh > 23 || zm < 0 || zm > 59) return NaN;
        offsetMinutes = (zone === CHAR_PLUS ? 1 : -1) * (zh * 60 + zm);
        i += 6;
      } else {
        return NaN;
      }
    }
    if (i !== n) return NaN;
  }
  let time = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  // Date.UTC maps years 0–99 to 1900–1999.
  if (year < 100) {
    const date = new Date(time);
    date.setUTCFullYear(year);
    time = date.getTime();
  }
  return time - offsetMinutes * 60_000;
}
