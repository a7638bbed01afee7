/**
 * Vigil's data module: CSV files (plain or gzip) in, typed columnar tables out.
 *
 * - {@link readTable} reads a whole file, inferring column kinds or using a given schema;
 * - {@link readCsv} + {@link tableFromRecords} stream a file of any size in batches for scoring;
 * - {@link readSchemaFile} reads kind overrides; {@link inferSchema} infers kinds alone;
 * - {@link splitByColumn}, {@link stratifiedSplit}, {@link timeSplit} make train/test splits;
 * - {@link fingerprintFile} hashes a file for bundles and reports.
 *
 * Every problem with the data is a `DataError` with a stable `code`; validation lists every
 * problem as `{code, path: ['line 12', 'amount'], message}`.
 */

export { isMissingCell, parseBooleanCell, parseDatetimeCell, parseNumberCell } from './cell-parsers.js';
export { type ReadTableOptions, readTable, type TableReadResult } from './dataset-from-csv.js';
export { fingerprintFile } from './fingerprint.js';
export {
  DOMINANT_KIND_SHARE,
  type InferredSchema,
  type InferSchemaOptions,
  inferSchema,
  isIdentifierName,
  MIN_IDENTIFIER_ROWS,
  type SchemaOverrides,
} from './infer-schema.js';
export { MAX_STORED_ISSUES } from './issue-list.js';
export { CSV_DELIMITERS, type CsvBatch, detectDelimiter, type ReadCsvOptions, readCsv } from './read-csv.js';
export {
  COLUMN_KINDS,
  parseSchemaOverrides,
  readSchemaFile,
  type SchemaOverridesResult,
  safeParseSchemaOverrides,
} from './schema-file.js';
export { type Split, splitByColumn, stratifiedSplit, timeSplit } from './split.js';
export {
  type BooleanColumn,
  type Column,
  type ColumnKind,
  type ColumnSchema,
  cellText,
  type DatetimeColumn,
  type DictionaryColumn,
  findColumn,
  isDictionaryColumn,
  type NumericColumn,
  type Schema,
  schemaOf,
  type Table,
  takeTableRows,
} from './table.js';
export { type RecordsTable, tableFromRecords } from './table-from-records.js';
