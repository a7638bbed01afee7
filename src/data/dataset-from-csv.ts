import { createHash } from 'node:crypto';
import { checkOverrideColumns, type SchemaOverrides, SchemaProfiler } from './infer-schema.js';
import { dataErrorFromIssues, IssueList } from './issue-list.js';
import { type CsvBatch, readCsv } from './read-csv.js';
import { type Schema, schemaOf, type Table } from './table.js';
import { TableAssembler } from './table-from-records.js';

/** Options for {@link readTable}. */
export interface ReadTableOptions {
  /** One character; detected among `,` `;` tab `|` when omitted. */
  delimiter?: string;
  /**
   * The exact schema to read with (for scoring with a trained model's schema): every column must be
   * in the file (else `DataError('missing_column')`), other file columns are left out of the table,
   * and cells are parsed by these kinds without inference.
   */
  schema?: Schema;
  /** Kinds that replace inferred ones (or the `schema` ones), by column name. */
  overrides?: SchemaOverrides;
  /**
   * Raw cells to keep from the inference pass so the file is parsed only once (default 4,000,000,
   * roughly 160 MB); a larger file is read a second time instead. 0 always reads twice.
   */
  holdCells?: number;
}

/** A CSV file read into a typed table. */
export interface TableReadResult {
  table: Table;
  schema: Schema;
  /** sha256 hex of the file's bytes as stored (the compressed bytes for `.gz`). */
  fingerprint: string;
  nRows: number;
  delimiter: string;
  /** Notes for the user, e.g. inferred identifiers or columns the schema left out. */
  warnings: string[];
}

// A held raw cell costs roughly 40 bytes (the string and its slot), so this caps the extra memory of
// parsing once near 160 MB.
const DEFAULT_HOLD_CELLS = 4_000_000;

async function buildTable(
  batches: AsyncIterable<CsvBatch> | Iterable<CsvBatch>,
  schema: Schema,
  capacity: number,
  path: string,
): Promise<{ table: Table; header: string[] }> {
  const issues = new IssueList();
  let assembler: TableAssembler | undefined;
  let header: string[] = [];
  for await (const batch of batches) {
    if (assembler === undefined) {
      header = batch.header;
      assembler = new TableAssembler(header, schema, capacity, path);
    }
    assembler.append(batch.records, batch.lines, issues);
  }
  if (issues.count > 0) throw dataErrorFromIssues(path, issues);
  // readCsv throws rather than yield nothing, so the assembler exists here.
  return { table: (assembler as TableAssembler).finish(), header };
}

/**
 * Reads a CSV file (plain or gzip) into a typed columnar table.
 *
 * Without `schema`, kinds are inferred from all rows (see `decideKind`): a first streaming pass
 * profiles every column and keeps the raw records of files up to a few million cells, from which the
 * table is then built; larger files are streamed a second time instead. With `schema`, one pass.
 * Validation collects every problem (ragged rows, cells that do not parse as their column's kind)
 * and throws a single `DataError` listing them with paths like `['line 12', 'amount']`; its code is
 * the problems' shared code (`ragged_row`, `invalid_number`, …) or `invalid_data` when they differ.
 *
 * @example
 * const { table, schema, fingerprint } = await readTable('german_credit.csv', {
 *   overrides: { n_credits: 'categorical' },
 * });
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<TableReadResult> {
  const overrides = options.overrides ?? {};
  const warnings: string[] = [];
  const hash = createHash('sha256');
  const onRawBytes = (chunk: Buffer): void => {
    hash.update(chunk);
  };
  let delimiter = options.delimiter;
  let built: { table: Table; header: string[] };

  if (options.schema !== undefined) {
    checkOverrideColumns(
      overrides,
      options.schema.columns.map((c) => c.name),
      'the schema',
    );
    const schema = {
      columns: options.schema.columns.map((c) => ({ name: c.name, kind: overrides[c.name] ?? c.kind })),
    };
    const batches = readCsv(path, { delimiter, onRawBytes });
    const tagged = (async function* () {
      for await (const batch of batches) {
        delimiter = batch.delimiter;
        yield batch;
      }
    })();
    built = await buildTable(tagged, schema, 1024, path);
  } else {
    let profiler: SchemaProfiler | undefined;
    const holdCells = options.holdCells ?? DEFAULT_HOLD_CELLS;
    let held: CsvBatch[] | undefined = [];
    let heldCells = 0;
    let nRows = 0;
    for await (const batch of readCsv(path, { delimiter, onRawBytes })) {
      profiler ??= new SchemaProfiler(batch.header, overrides, path);
      delimiter = batch.delimiter;
      profiler.add(batch.records);
      nRows += batch.records.length;
      if (held !== undefined) {
        heldCells += batch.records.length * batch.header.length;
        if (heldCells <= holdCells) held.push(batch);
        else held = undefined;
      }
    }
    const inferred = (profiler as SchemaProfiler).finish();
    warnings.push(...inferred.warnings);
    built = await buildTable(held ?? readCsv(path, { delimiter }), inferred.schema, nRows, path);
  }

  const { table, header } = built;
  const used = new Set(table.columns.map((c) => c.name));
  const ignored = header.filter((name) => !used.has(name));
  if (ignored.length > 0) {
    warnings.push(`ignored ${ignored.length} column(s) not in the schema: ${ignored.join(', ')}`);
  }
  return {
    table,
    schema: schemaOf(table),
    fingerprint: hash.digest('hex'),
    nRows: table.nRows,
    delimiter: delimiter ?? ',',
    warnings,
  };
}
