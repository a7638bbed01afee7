import { type Column, isDictionaryColumn, type Table } from '../data/table.js';
import { DataError } from '../errors.js';
import { Random } from '../random.js';

/** Options of {@link smote}. */
export interface SmoteOptions {
  /** Nearest minority neighbours each base row interpolates towards (default 5). */
  k?: number;
  seed: number;
}

/**
 * The nearest-neighbour lists of `rows` (k each, nearest first) under SMOTE's distance: numeric and
 * datetime columns standardised on these rows, categorical and boolean columns one-hot (a mismatch
 * adds 2, the squared distance of two one-hot vectors), a value present on one side and missing on
 * the other adds 1; identifier columns do not count.
 */
export function minorityNeighbours(table: Table, rows: Int32Array, k: number): Int32Array {
  const m = rows.length;
  const numeric: Float64Array[] = [];
  const discrete: Int32Array[] = [];
  for (const col of table.columns) {
    if (col.kind === 'identifier') continue;
    if (isDictionaryColumn(col)) {
      discrete.push(Int32Array.from(rows, (r) => col.codes[r] as number));
      continue;
    }
    if (col.kind === 'boolean') {
      discrete.push(
        Int32Array.from(rows, (r) => (Number.isNaN(col.values[r] as number) ? -1 : (col.values[r] as number))),
      );
      continue;
    }
    const v = Float64Array.from(rows, (r) => col.values[r] as number);
    let n = 0;
    let sum = 0;
    let sumSq = 0;
    for (const x of v) {
      if (Number.isNaN(x)) continue;
      n++;
      sum += x;
      sumSq += x * x;
    }
    const mean = n > 0 ? sum / n : 0;
    const sd = n > 1 ? Math.sqrt(Math.max(0, sumSq / n - mean * mean)) : 0;
    if (!(sd > 0)) continue; // a constant column cannot tell rows apart
    for (let i = 0; i < m; i++) v[i] = ((v[i] as number) - mean) / sd;
    numeric.push(v);
  }
  const neighbours = new Int32Array(m * k);
  const bestDist = new Float64Array(k);
  const bestIdx = new Int32Array(k);
  for (let i = 0; i < m; i++) {
    bestDist.fill(Number.POSITIVE_INFINITY);
    bestIdx.fill(-1);
    for (let j = 0; j < m; j++) {
      if (j === i) continue;
      let d = 0;
      for (const v of numeric) {
        const a = v[i] as number;
        const b = v[j] as number;
        const aMissing = Number.isNaN(a);
        if (aMissing || Number.isNaN(b)) d += aMissing === Number.isNaN(b) ? 0 : 1;
        else d += (a - b) * (a - b);
      }
      for (const c of discrete) if (c[i] !== c[j]) d += 2;
      if (d >= (bestDist[k - 1] as number)) continue;
      // Insertion into the sorted top-k.
      let p = k - 1;
      while (p > 0 && (bestDist[p - 1] as number) > d) {
        bestDist[p] = bestDist[p - 1] as number;
        bestIdx[p] = bestIdx[p - 1] as number;
        p--;
      }
      bestDist[p] = d;
      bestIdx[p] = j;
    }
    neighbours.set(bestIdx, i * k);
  }
  return neighbours;
}

/**
 * SMOTE for mixed tabular data: `nNew` synthetic rows, each between a random minority row and one
 * of its k nearest minority neighbours. Numeric and datetime values are interpolated at a uniform
 * gap (rounded when the column holds only whole numbers on these rows); categorical and boolean
 * values, and a value missing on one side, are taken from whichever of the two rows the gap lies
 * nearer, so every category comes from the data and missing shares carry over. Identifier columns
 * are left missing (a synthetic row is no one). Returns a table with `table`'s columns.
 *
 * @example
 * const extra = smote(table, minorityRows, minorityRows.length, { seed: 1 }); // doubles the minority
 * @throws DataError `too_few_rows` with fewer than 2 minority rows
 */
export function smote(table: Table, rows: Int32Array, nNew: number, options: SmoteOptions): Table {
  const m = rows.length;
  if (m < 2) throw new DataError('too_few_rows', `SMOTE needs at least 2 minority rows, got ${m}`);
  const k = Math.min(options.k ?? 5, m - 1);
  const neighbours = minorityNeighbours(table, rows, k);
  const rng = new Random(options.seed);
  const base = new Int32Array(nNew);
  const other = new Int32Array(nNew);
  const gap = new Float64Array(nNew);
  for (let s = 0; s < nNew; s++) {
    const i = rng.int(m);
    base[s] = rows[i] as number;
    other[s] = rows[neighbours[i * k + rng.int(k)] as number] as number;
    gap[s] = rng.next();
  }
  const columns = table.columns.map((col): Column => {
    if (isDictionaryColumn(col)) {
      const codes = new Int32Array(nNew);
      if (col.kind === 'identifier') codes.fill(-1);
      else
        for (let s = 0; s < nNew; s++)
          codes[s] = col.codes[(gap[s] as number) < 0.5 ? (base[s] as number) : (other[s] as number)] as number;
      return { ...col, codes };
    }
    const values = new Float64Array(nNew);
    const src = col.values;
    if (col.kind === 'boolean') {
      for (let s = 0; s < nNew; s++)
        values[s] = src[(gap[s] as number) < 0.5 ? (base[s] as number) : (other[s] as number)] as number;
      return { ...col, values };
    }
    let integer = true;
    for (const r of rows) {
      const v = src[r] as number;
      if (!Number.isNaN(v) && !Number.isInteger(v)) {
        integer = false;
        break;
      }
    }
    for (let s = 0; s < nNew; s++) {
      const a = src[base[s] as number] as number;
      const b = src[other[s] as number] as number;
      const g = gap[s] as number;
      if (Number.isNaN(a) || Number.isNaN(b)) values[s] = g < 0.5 ? a : b;
      else {
        const v = a + g * (b - a);
        values[s] = integer ? Math.round(v) : v;
      }
    }
    return { ...col, values };
  });
  return { nRows: nNew, columns };
}
