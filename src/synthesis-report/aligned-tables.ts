/**
 * The real, synthetic and (optional) holdout tables put on one footing before any metric: the same
 * columns in the same order, numbers as Float64 and discrete values as codes into one shared list
 * of levels, so every metric compares like with like and never looks a string up twice.
 */
import { type Column, cellText, isDictionaryColumn, type Table } from '../data/table.js';
import { DataError } from '../errors.js';

/** Which table a row comes from. */
export type Side = 'real' | 'synthetic' | 'holdout';

/** A numeric or datetime column: values per side, NaN = missing. */
export interface ContinuousColumn {
  name: string;
  kind: 'numeric' | 'datetime';
  type: 'continuous';
  values: Record<Side, Float64Array>;
}

/**
 * A categorical or boolean column: codes per side into `levels`, -1 = missing. The real data's
 * levels come first (`nRealLevels` of them); values only the synthetic or holdout table holds come
 * after, so "unseen in real data" is a code ≥ `nRealLevels`.
 */
export interface DiscreteColumn {
  name: string;
  kind: 'categorical' | 'boolean';
  type: 'discrete';
  levels: string[];
  nRealLevels: number;
  codes: Record<Side, Int32Array>;
}

export type ComparedColumn = ContinuousColumn | DiscreteColumn;

/** A column left out of the metrics, and why (shown in the report). */
export interface ExcludedColumn {
  name: string;
  reason: string;
}

/** The three tables, aligned. A missing holdout is an empty side (0 rows). */
export interface AlignedTables {
  columns: ComparedColumn[];
  excluded: ExcludedColumn[];
  nRows: Record<Side, number>;
}

/** Options of {@link alignTables}. */
export interface AlignOptions {
  /** Columns to leave out of every metric (e.g. a split flag), by name. */
  exclude?: string[];
}

const EMPTY: Table = { nRows: 0, columns: [] };

/**
 * Checks that `other` has exactly the columns of `real` and throws `DataError('column_mismatch')`
 * naming every column found in only one of them.
 */
export function checkSameColumns(
  realNames: readonly string[],
  otherNames: readonly string[],
  otherLabel: string,
): void {
  const inReal = new Set(realNames);
  const inOther = new Set(otherNames);
  const onlyReal = realNames.filter((n) => !inOther.has(n));
  const onlyOther = otherNames.filter((n) => !inReal.has(n));
  if (onlyReal.length === 0 && onlyOther.length === 0) return;
  const issues = [
    ...onlyReal.map((name) => ({
      code: 'column_mismatch',
      path: [name],
      message: `column ${JSON.stringify(name)} is in the real data but not in the ${otherLabel} data`,
    })),
    ...onlyOther.map((name) => ({
      code: 'column_mismatch',
      path: [name],
      message: `column ${JSON.stringify(name)} is in the ${otherLabel} data but not in the real data`,
    })),
  ];
  const parts: string[] = [];
  if (onlyReal.length > 0) parts.push(`only in the real data: ${onlyReal.join(', ')}`);
  if (onlyOther.length > 0) parts.push(`only in the ${otherLabel} data: ${onlyOther.join(', ')}`);
  throw new DataError(
    'column_mismatch',
    `the real and ${otherLabel} data must have the same columns; ${parts.join('; ')}`,
    {
      issues,
    },
  );
}

function booleanCodes(col: Column, n: number): Int32Array {
  const codes = new Int32Array(n);
  const values = (col as { values: Float64Array }).values;
  for (let r = 0; r < n; r++) {
    const v = values[r] as number;
    codes[r] = Number.isNaN(v) ? -1 : v === 1 ? 1 : 0;
  }
  return codes;
}

/** Codes of a dictionary column against a shared level index, adding levels it has not seen. */
function recode(col: Column, n: number, index: Map<string, number>, levels: string[]): Int32Array {
  const codes = new Int32Array(n);
  if (isDictionaryColumn(col)) {
    const map = col.dictionary.map((text) => {
      let code = index.get(text);
      if (code === undefined) {
        code = levels.length;
        levels.push(text);
        index.set(text, code);
      }
      return code;
    });
    for (let r = 0; r < n; r++) {
      const c = col.codes[r] as number;
      codes[r] = c < 0 ? -1 : (map[c] as number);
    }
    return codes;
  }
  // A table built elsewhere may hold another kind under this name; compare it by its text.
  for (let r = 0; r < n; r++) {
    const text = cellText(col, r);
    if (text === null) {
      codes[r] = -1;
      continue;
    }
    let code = index.get(text);
    if (code === undefined) {
      code = levels.length;
      levels.push(text);
      index.set(text, code);
    }
    codes[r] = code;
  }
  return codes;
}

function kindError(name: string, label: string, expected: string, got: string): DataError {
  return new DataError(
    'column_kind_mismatch',
    `column ${JSON.stringify(name)} is ${expected} in the real data but ${got} in the ${label} data; read both with one schema`,
    { issues: [{ code: 'column_kind_mismatch', path: [name], message: `${expected} vs ${got}` }] },
  );
}

/**
 * Aligns the tables on the real table's columns. Identifier columns are left out (they name rows,
 * they do not describe them), and so are the `exclude` columns; both are listed in `excluded`.
 *
 * @throws DataError `column_mismatch` naming every column found in only one table, or
 *   `column_kind_mismatch` when a numeric column of the real data is not numeric in another table.
 */
export function alignTables(
  tables: { real: Table; synthetic: Table; holdout?: Table },
  options: AlignOptions = {},
): AlignedTables {
  const { real, synthetic } = tables;
  const holdout = tables.holdout ?? EMPTY;
  const realNames = real.columns.map((c) => c.name);
  const exclude = new Set(options.exclude ?? []);
  const unknown = [...exclude].filter((name) => !realNames.includes(name));
  if (unknown.length > 0)
    throw new DataError('unknown_column', `excluded column(s) not in the data: ${unknown.join(', ')}`);
  // Columns set aside may be missing from the other files: `vigil synth fit` never synthesizes
  // identifiers, and a dropped split flag is excluded here too.
  const setAside = new Set([...exclude, ...real.columns.filter((c) => c.kind === 'identifier').map((c) => c.name)]);
  const compared = (t: Table) => t.columns.map((c) => c.name).filter((name) => !setAside.has(name));
  checkSameColumns(compared(real), compared(synthetic), 'synthetic');
  if (tables.holdout !== undefined) checkSameColumns(compared(real), compared(holdout), 'holdout');

  const bySide = (t: Table) => new Map(t.columns.map((c) => [c.name, c]));
  const syntheticByName = bySide(synthetic);
  const holdoutByName = bySide(holdout);
  const columns: ComparedColumn[] = [];
  const excluded: ExcludedColumn[] = [];
  for (const col of real.columns) {
    if (exclude.has(col.name)) {
      excluded.push({ name: col.name, reason: 'excluded on request' });
      continue;
    }
    if (col.kind === 'identifier') {
      excluded.push({ name: col.name, reason: 'identifier: names rows rather than describing them' });
      continue;
    }
    const s = syntheticByName.get(col.name) as Column;
    const h = holdoutByName.get(col.name);
    if (col.kind === 'numeric' || col.kind === 'datetime') {
      const values = (other: Column | undefined, label: string, n: number): Float64Array => {
        if (other === undefined) return new Float64Array(0);
        if (other.kind !== col.kind && !(other.kind === 'numeric' || other.kind === 'datetime'))
          throw kindError(col.name, label, col.kind, other.kind);
        return (other as { values: Float64Array }).values.subarray(0, n);
      };
      columns.push({
        name: col.name,
        kind: col.kind,
        type: 'continuous',
        values: {
          real: col.values,
          synthetic: values(s, 'synthetic', synthetic.nRows),
          holdout: values(h, 'holdout', holdout.nRows),
        },
      });
      continue;
    }
    if (col.kind === 'boolean') {
      const codesOf = (other: Column | undefined, label: string, n: number): Int32Array => {
        if (other === undefined) return new Int32Array(0);
        if (other.kind !== 'boolean') throw kindError(col.name, label, 'boolean', other.kind);
        return booleanCodes(other, n);
      };
      columns.push({
        name: col.name,
        kind: 'boolean',
        type: 'discrete',
        levels: ['false', 'true'],
        nRealLevels: 2,
        codes: {
          real: booleanCodes(col, real.nRows),
          synthetic: codesOf(s, 'synthetic', synthetic.nRows),
          holdout: codesOf(h, 'holdout', holdout.nRows),
        },
      });
      continue;
    }
    const levels: string[] = [];
    const index = new Map<string, number>();
    const realCodes = recode(col, real.nRows, index, levels);
    const nRealLevels = levels.length;
    columns.push({
      name: col.name,
      kind: 'categorical',
      type: 'discrete',
      levels,
      nRealLevels,
      codes: {
        real: realCodes,
        synthetic: recode(s, synthetic.nRows, index, levels),
        holdout: h === undefined ? new Int32Array(0) : recode(h, holdout.nRows, index, levels),
      },
    });
  }
  if (columns.length === 0)
    throw new DataError('no_columns', 'no column left to compare once identifiers and excluded columns are set aside');
  return { columns, excluded, nRows: { real: real.nRows, synthetic: synthetic.nRows, holdout: holdout.nRows } };
}

/**
 * Rows of the aligned tables as one `Table` (numeric, datetime as numeric milliseconds, boolean,
 * categorical with the shared levels as dictionary), for Vigil's preprocessing and models.
 * `parts` lists which rows of which side, in order.
 */
export function comparedTable(aligned: AlignedTables, parts: { side: Side; rows: ArrayLike<number> }[]): Table {
  let n = 0;
  for (const p of parts) n += p.rows.length;
  const columns: Column[] = aligned.columns.map((col): Column => {
    if (col.type === 'continuous' || col.kind === 'boolean') {
      const out = new Float64Array(n);
      let at = 0;
      for (const p of parts) {
        if (col.type === 'continuous') {
          const src = col.values[p.side];
          for (let i = 0; i < p.rows.length; i++) out[at++] = src[p.rows[i] as number] as number;
        } else {
          const src = col.codes[p.side];
          for (let i = 0; i < p.rows.length; i++) {
            const c = src[p.rows[i] as number] as number;
            out[at++] = c < 0 ? Number.NaN : c;
          }
        }
      }
      // Datetimes enter models as numbers: preprocessing would otherwise drop them.
      return col.type === 'continuous'
        ? { name: col.name, kind: 'numeric', values: out }
        : { name: col.name, kind: 'boolean', values: out };
    }
    const codes = new Int32Array(n);
    let at = 0;
    for (const p of parts) {
      const src = col.codes[p.side];
      for (let i = 0; i < p.rows.length; i++) codes[at++] = src[p.rows[i] as number] as number;
    }
    return { name: col.name, kind: 'categorical', codes, dictionary: col.levels };
  });
  return { nRows: n, columns };
}
