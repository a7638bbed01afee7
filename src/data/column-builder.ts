import type { Issue } from '../errors.js';
import { isMissingCell, parseBooleanCell, parseDatetimeCell, parseNumberCell } from './cell-parsers.js';
import { type IssueList, linePath, quoteCell } from './issue-list.js';
import { StringDictionary } from './string-dictionary.js';
import type { Column, ColumnKind, ColumnSchema } from './table.js';

/** Appends cells of one column, parsing them by the column's kind, and yields the typed column. */
export interface ColumnBuilder {
  readonly name: string;
  readonly kind: ColumnKind;
  /** Parses and appends one cell; a cell that does not parse is stored as missing and reported. */
  add(text: string, line: number, issues: IssueList): void;
  /** Appends a missing value (used for rows that cannot be read, such as ragged rows). */
  addMissing(): void;
  /** The column holding every appended value, trimmed to length. */
  finish(): Column;
}

type ValueKind = 'numeric' | 'boolean' | 'datetime';

interface ValueRule {
  parse(text: string): number;
  code: string;
  expected: string;
}

const VALUE_RULES: Record<ValueKind, ValueRule> = {
  numeric: { parse: parseNumberCell, code: 'invalid_number', expected: 'a number' },
  boolean: {
    parse: parseBooleanCell,
    code: 'invalid_boolean',
    expected: 'a boolean (true/false, yes/no, y/n, t/f or 1/0)',
  },
  datetime: {
    parse: parseDatetimeCell,
    code: 'invalid_datetime',
    expected: 'an ISO date or datetime (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)',
  },
};

class ValueColumnBuilder implements ColumnBuilder {
  private values: Float64Array;
  private length = 0;
  private readonly rule: ValueRule;

  constructor(
    readonly name: string,
    readonly kind: ValueKind,
    capacity: number,
  ) {
    this.values = new Float64Array(Math.max(capacity, 16));
    this.rule = VALUE_RULES[kind];
  }

  add(text: string, line: number, issues: IssueList): void {
    let value = NaN;
    if (!isMissingCell(text)) {
      value = this.rule.parse(text);
      if (Number.isNaN(value))
        issues.add(cellIssue(this.rule.code, line, this.name, text, this.kind, this.rule.expected));
    }
    this.push(value);
  }

  addMissing(): void {
    this.push(NaN);
  }

  private push(value: number): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.length++] = value;
  }

  finish(): Column {
    const values = this.length === this.values.length ? this.values : this.values.slice(0, this.length);
    return { name: this.name, kind: this.kind, values };
  }
}

class DictionaryColumnBuilder implements ColumnBuilder {
  private codes: Int32Array;
  private length = 0;
  private readonly dictionary = new StringDictionary();

  constructor(
    readonly name: string,
    readonly kind: 'categorical' | 'identifier',
    capacity: number,
  ) {
    this.codes = new Int32Array(Math.max(capacity, 16));
  }

  add(text: string): void {
    if (isMissingCell(text)) {
      this.push(-1);
      return;
    }
    this.push(this.dictionary.codeOf(text));
  }

  addMissing(): void {
    this.push(-1);
  }

  private push(code: number): void {
    if (this.length === this.codes.length) {
      const grown = new Int32Array(this.codes.length * 2);
      grown.set(this.codes);
      this.codes = grown;
    }
    this.codes[this.length++] = code;
  }

  finish(): Column {
    const codes = this.length === this.codes.length ? this.codes : this.codes.slice(0, this.length);
    return { name: this.name, kind: this.kind, codes, dictionary: this.dictionary.values };
  }
}

function cellIssue(code: string, line: number, column: string, text: string, kind: string, expected: string): Issue {
  return {
    code,
    path: linePath(line, column),
    message:
      `${quoteCell(text)} is not ${expected}, and column ${JSON.stringify(column)} is ${kind}; ` +
      `fix the cell, or set the column's kind in a schema file`,
  };
}

/**
 * A builder for one column of the given kind, pre-sized for `capacity` rows (it grows past that).
 * Categorical and identifier text is kept exactly as written (not trimmed) so ids round-trip.
 */
export function createColumnBuilder(column: ColumnSchema, capacity: number): ColumnBuilder {
  if (column.kind === 'categorical' || column.kind === 'identifier') {
    return new DictionaryColumnBuilder(column.name, column.kind, capacity);
  }
  return new ValueColumnBuilder(column.name, column.kind, capacity);
}
