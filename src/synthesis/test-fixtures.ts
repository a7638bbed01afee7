import type { Column, Table } from '../data/table.js';
import { cellText } from '../data/table.js';
import { ksStatistic, sortedFinite } from '../evaluation/index.js';
import { Random } from '../random.js';

/**
 * A table with a known relation for the synthesizer tests: `segment` b (20 %) has `amount`
 * around 5,000 and `score` around 5, segment a around 1,000 and 0; `flag` is true for 30 % of
 * rows; 5 % of amounts are missing. Tests only.
 */
export function relationTable(n: number, seed: number): Table {
  const rng = new Random(seed);
  const amount = new Float64Array(n);
  const score = new Float64Array(n);
  const codes = new Int32Array(n);
  const flag = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = rng.next() < 0.2;
    codes[i] = b ? 1 : 0;
    amount[i] = Math.round(b ? rng.normal(5000, 500) : rng.normal(1000, 200));
    if (rng.next() < 0.05) amount[i] = Number.NaN;
    score[i] = b ? rng.normal(5, 1) : rng.normal(0, 1);
    flag[i] = rng.next() < 0.3 ? 1 : 0;
  }
  return {
    nRows: n,
    columns: [
      { name: 'amount', kind: 'numeric', values: amount },
      { name: 'score', kind: 'numeric', values: score },
      { name: 'segment', kind: 'categorical', codes, dictionary: ['a', 'b'] },
      { name: 'flag', kind: 'boolean', values: flag },
    ],
  };
}

/** Mean over columns of 1 − KS (numeric, present values) or 1 − TVD (discrete, missing a level). */
export function columnShapeScore(real: Table, fake: Table): number {
  let sum = 0;
  for (const col of real.columns) {
    const other = fake.columns.find((c) => c.name === col.name) as Column;
    if (col.kind === 'numeric' || col.kind === 'datetime') {
      sum += 1 - ksStatistic(sortedFinite(col.values), sortedFinite((other as { values: Float64Array }).values));
    } else {
      const a = shares(col, real.nRows);
      const b = shares(other, fake.nRows);
      let tvd = 0;
      for (const k of new Set([...a.keys(), ...b.keys()])) tvd += Math.abs((a.get(k) ?? 0) - (b.get(k) ?? 0));
      sum += 1 - tvd / 2;
    }
  }
  return sum / real.columns.length;
}

function shares(col: Column, n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const k = cellText(col, r) ?? '\u0000';
    m.set(k, (m.get(k) ?? 0) + 1 / n);
  }
  return m;
}

/** Mean of the present values of numeric column `name`. */
export function columnMean(t: Table, name: string): number {
  const col = t.columns.find((c) => c.name === name) as { values: Float64Array };
  let s = 0;
  let n = 0;
  for (const v of col.values) {
    if (Number.isNaN(v)) continue;
    s += v;
    n++;
  }
  return s / n;
}

/** Share of rows whose column `name` reads `text`. */
export function shareOf(t: Table, name: string, text: string | null): number {
  const col = t.columns.find((c) => c.name === name) as Column;
  let k = 0;
  for (let r = 0; r < t.nRows; r++) if (cellText(col, r) === text) k++;
  return k / t.nRows;
}

/** Share of missing values in column `name`. */
export function missingShare(t: Table, name: string): number {
  return shareOf(t, name, null);
}
