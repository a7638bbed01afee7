// Preprocessing speed: batch scoring transforms millions of rows and the online service one
// event at a time. Synthetic 1,000,000 × 25 table (15 numeric with missing values and skew,
// 2 boolean, 8 categorical with 12 levels each: 136 output columns).
// Run: node --import tsx bench/preprocess-speed.ts
import assert from 'node:assert/strict';
import type { Column, Table } from '../src/data/table.js';
import { TabularPipeline } from '../src/preprocessing/index.js';
import { Random } from '../src/random.js';

const N_ROWS = 1_000_000;

/** Tiles a pool of 64k random draws so building a million-row table takes milliseconds. */
function wideTable(n: number, seed: number): Table {
  const rng = new Random(seed);
  const POOL = 1 << 16;
  const pool = (draw: () => number) => Float64Array.from({ length: POOL }, draw);
  // An odd multiplier permutes the pool indices, so columns are not copies of each other.
  const at = (r: number, k: number) => (r * (2 * k + 1) + k * 7919) & (POOL - 1);
  const columns: Column[] = [];
  for (let k = 0; k < 15; k++) {
    const src = pool(() => {
      if (k % 3 === 0 && rng.next() < 0.05) return Number.NaN;
      return k % 2 === 1 ? Math.exp(rng.normal(5, 1.5)) : rng.normal(0, 1);
    });
    const values = new Float64Array(n);
    for (let r = 0; r < n; r++) values[r] = src[at(r, k)] as number;
    columns.push({ name: `x${k}`, kind: 'numeric', values });
  }
  for (let k = 0; k < 2; k++) {
    const src = pool(() => (rng.next() < 0.01 ? Number.NaN : rng.next() < 0.3 ? 1 : 0));
    const values = new Float64Array(n);
    for (let r = 0; r < n; r++) values[r] = src[at(r, 15 + k)] as number;
    columns.push({ name: `b${k}`, kind: 'boolean', values });
  }
  for (let k = 0; k < 8; k++) {
    const src = pool(() => (rng.next() < 0.02 ? -1 : Math.min(11, Math.floor(-Math.log(1 - rng.next()) * 3))));
    const codes = new Int32Array(n);
    for (let r = 0; r < n; r++) codes[r] = src[at(r, 17 + k)] as number;
    const dictionary = Array.from({ length: 12 }, (_, i) => `level-${i}`);
    columns.push({ name: `c${k}`, kind: 'categorical', codes, dictionary });
  }
  return { nRows: n, columns };
}

{
  const t = wideTable(N_ROWS, 1);
  const trainRows = Int32Array.from({ length: 200_000 }, (_, i) => i * 5);
  const p = new TabularPipeline().fit(t, trainRows);
  assert.equal(p.featureNames.length, 136);

  // Best of two: the first call also pays for the OS mapping fresh output memory.
  let best = Infinity;
  for (let i = 0; i < 2; i++) {
    const start = performance.now();
    const m = p.transform(t);
    best = Math.min(best, performance.now() - start);
    assert.equal(m.nRows, N_ROWS);
  }
  console.log(
    `transform ${N_ROWS} rows × ${t.columns.length} columns → ${p.featureNames.length}: ${best.toFixed(0)} ms (${Math.round(N_ROWS / (best / 1000))} rows/s)`,
  );

  const event: Table = {
    nRows: 1,
    columns: t.columns.map((c) =>
      'codes' in c ? { ...c, codes: c.codes.slice(42, 43) } : { ...c, values: c.values.slice(42, 43) },
    ),
  };
  for (let i = 0; i < 2000; i++) p.transform(event); // warm up the JIT
  const calls = 20_000;
  const start = performance.now();
  for (let i = 0; i < calls; i++) p.transform(event);
  const perCallUs = ((performance.now() - start) * 1000) / calls;
  console.log(`transform of one row: ${perCallUs.toFixed(1)} µs`);
}
