import { DataError, type Issue } from '../errors.js';
import { type ColumnBuilder, createColumnBuilder } from './column-builder.js';
import { IssueList, linePath } from './issue-list.js';
import type { Schema, Table } from './table.js';

/** The result of {@link tableFromRecords}. */
export interface RecordsTable {
  /** One row per record, in order, with the schema's columns in the schema's order. */
  table: Table;
  /** Problems found (ragged rows, cells that do not parse), at most 1,000 stored. */
  issues: Issue[];
  /** How many problems there were in all. */
  issueCount: number;
}

/**
 * Checks that a header has every schema column and throws `missing_column` listing all that do not.
 * Columns the schema does not mention are allowed (and ignored by the table).
 */
function checkRequiredColumns(header: readonly string[], schema: Schema, source: string): void {
  const present = new Set(header);
  const missing = schema.columns.filter((c) => !present.has(c.name)).map((c) => c.name);
  if (missing.length === 0) return;
  const issues = missing.map((name) => ({
    code: 'missing_column',
    path: [name],
    message: `required column ${JSON.stringify(name)} is not in the header`,
  }));
  const names = missing.map((m) => JSON.stringify(m)).join(', ');
  throw new DataError(
    'missing_column',
    `${source}: ${missing.length === 1 ? 'a required column is' : `${missing.length} required columns are`} missing: ${names}`,
    { issues },
  );
}

/**
 * Turns raw records into a table with a fixed schema, one batch at a time. Shared by `readTable` and
 * {@link tableFromRecords} so a file read for training and one streamed for scoring parse alike.
 */
export class TableAssembler {
  private readonly builders: ColumnBuilder[];
  private readonly fieldIndex: Int32Array;
  private readonly headerLength: number;
  private nRows = 0;

  /**
   * @param capacity expected rows; the columns grow past it if needed
   * @param source the file name for messages
   */
  constructor(header: readonly string[], schema: Schema, capacity: number, source = 'input') {
    checkRequiredColumns(header, schema, source);
    const position = new Map(header.map((name, i) => [name, i]));
    this.headerLength = header.length;
    this.fieldIndex = Int32Array.from(schema.columns, (c) => position.get(c.name) as number);
    this.builders = schema.columns.map((c) => createColumnBuilder(c, capacity));
  }

  /**
   * Appends records. A ragged record (field count unlike the header's) becomes a row of missing
   * values with a `ragged_row` issue, so rows stay aligned with records and their line numbers.
   */
  append(records: readonly (readonly string[])[], lines: number | ArrayLike<number>, issues: IssueList): void {
    const builders = this.builders;
    const fieldIndex = this.fieldIndex;
    const nColumns = builders.length;
    for (let r = 0; r < records.length; r++) {
      const record = records[r] as readonly string[];
      const line = typeof lines === 'number' ? lines + r : (lines[r] as number);
      if (record.length !== this.headerLength) {
        issues.add({
          code: 'ragged_row',
          path: linePath(line),
          message: `has ${record.length} field${record.length === 1 ? '' : 's'}, expected ${this.headerLength} like the header`,
        });
        for (let c = 0; c < nColumns; c++) (builders[c] as ColumnBuilder).addMissing();
        continue;
      }
      for (let c = 0; c < nColumns; c++) {
        (builders[c] as ColumnBuilder).add(record[fieldIndex[c] as number] as string, line, issues);
      }
    }
    this.nRows += records.length;
  }

  /** The table of every appended row. */
  finish(): Table {
    return { nRows: this.nRows, columns: this.builders.map((b) => b.finish()) };
  }
}

/**
 * Parses one batch of raw records into a table with a fixed schema, as `vigil predict` does for each
 * streamed batch. Unseen categorical or identifier strings simply get new dictionary entries; each
 * call builds its own dictionaries, so match categories by their text, not by code, across batches.
 * Cells that do not parse become missing and are listed in `issues`; the caller decides whether to
 * stop. Throws `DataError('missing_column')` when the header lacks schema columns.
 *
 * @param header the file's column names
 * @param lines the file line of each record, or of the first record when each takes one line
 * @example
 * const { table, issues } = tableFromRecords(batch.header, batch.records, bundle.schema, batch.lines);
 */
export function tableFromRecords(
  header: readonly string[],
  records: readonly (readonly string[])[],
  schema: Schema,
  lines: number | ArrayLike<number> = 2,
): RecordsTable {
  const assembler = new TableAssembler(header, schema, records.length);
  const issues = new IssueList();
  assembler.append(records, lines, issues);
  return { table: assembler.finish(), issues: issues.items, issueCount: issues.count };
}
