/**
 * The typed columnar table every Vigil module reads. Numbers are Float64Array with NaN for
 * missing; categorical and identifier columns are dictionary-encoded (code -1 = missing) so a
 * million-row column of repeated strings costs four bytes a row.
 */
export type ColumnKind = 'numeric' | 'categorical' | 'boolean' | 'datetime' | 'identifier';

export interface ColumnSchema {
  name: string;
  kind: ColumnKind;
}

/** Column kinds in file order; saved in bundles as the input schema. */
export interface Schema {
  columns: ColumnSchema[];
}

export interface NumericColumn {
  name: string;
  kind: 'numeric';
  /** NaN = missing. */
  values: Float64Array;
}

export interface BooleanColumn {
  name: string;
  kind: 'boolean';
  /** 1 = true, 0 = false, NaN = missing. */
  values: Float64Array;
}

export interface DatetimeColumn {
  name: string;
  kind: 'datetime';
  /** Milliseconds since the Unix epoch, UTC; NaN = missing. */
  values: Float64Array;
}

export interface DictionaryColumn {
  name: string;
  kind: 'categorical' | 'identifier';
  /** Index into `dictionary`; -1 = missing. */
  codes: Int32Array;
  dictionary: string[];
}

export type Column = NumericColumn | BooleanColumn | DatetimeColumn | DictionaryColumn;

export interface Table {
  nRows: number;
  columns: Column[];
}

/** True for dictionary-encoded (categorical and identifier) columns. */
export function isDictionaryColumn(col: Column): col is DictionaryColumn {
  return col.kind === 'categorical' || col.kind === 'identifier';
}

/** Finds a column by name, or undefined. */
export function findColumn(table: Table, name: string): Column | undefined {
  return table.columns.find((c) => c.name === name);
}

/** The schema of a table. */
export function schemaOf(table: Table): Schema {
  return { columns: table.columns.map((c) => ({ name: c.name, kind: c.kind })) };
}

/** Value of row `r` as a string (missing → null); for messages, ids and target labels. */
export function cellText(col: Column, r: number): string | null {
  if (isDictionaryColumn(col)) {
    const code = col.codes[r] as number;
    return code < 0 ? null : (col.dictionary[code] as string);
  }
  const v = col.values[r] as number;
  if (Number.isNaN(v)) return null;
  if (col.kind === 'datetime') return new Date(v).toISOString();
  if (col.kind === 'boolean') return v === 1 ? 'true' : 'false';
  return String(v);
}

/** Keeps the given rows, in the given order, of every column. */
export function takeTableRows(table: Table, rows: ArrayLike<number>): Table {
  const n = rows.length;
  const columns = table.columns.map((col): Column => {
    if (isDictionaryColumn(col)) {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = col.codes[rows[i] as number] as number;
      return { ...col, codes };
    }
    const values = new Float64Array(n);
    for (let i = 0; i < n; i++) values[i] = col.values[rows[i] as number] as number;
    return { ...col, values };
  });
  return { nRows: n, columns };
}
