/**
 * A dense row-major float matrix: the one shape that preprocessing hands to models and models
 * hand back as scores. Row `r`, column `c` lives at `data[r * nCols + c]`.
 */
export interface Matrix {
  data: Float32Array;
  nRows: number;
  nCols: number;
}

/** `0, 1, …, n − 1`: every row of an n-row matrix or table, in order. */
export function rowRange(n: number): Int32Array {
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) rows[i] = i;
  return rows;
}

/** Selects rows by index into a new matrix (used for splits and mini-batches). */
export function takeRows(m: Matrix, rows: ArrayLike<number>): Matrix {
  const out = new Float32Array(rows.length * m.nCols);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    out.set(m.data.subarray(r * m.nCols, (r + 1) * m.nCols), i * m.nCols);
  }
  return { data: out, nRows: rows.length, nCols: m.nCols };
}

/** Selects entries of a vector by index. */
export function takeValues<T extends Float32Array | Float64Array | Int32Array>(v: T, rows: ArrayLike<number>): T {
  const out = new (v.constructor as new (n: number) => T)(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = v[rows[i] as number] as number;
  return out;
}

/** Column `c` of a matrix as a new vector. */
export function column(m: Matrix, c: number): Float32Array {
  const out = new Float32Array(m.nRows);
  for (let r = 0; r < m.nRows; r++) out[r] = m.data[r * m.nCols + c] as number;
  return out;
}
