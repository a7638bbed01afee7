// Speed of the synthetic-data report's nearest-neighbour search (distance to the closest real record)
// on the Taiwan training part: 22,471 reference rows × 24 columns, with every synthetic and holdout
// row measured (no subsample) for three kinds of "synthetic" rows: near-copies (a real row with
// amounts jittered by 15 %), columns shuffled independently (far from every real row: the least
// pruning), and the real rows themselves (distance 0, found at once). Prints one JSON object.
//
// Run: node --import tsx bench/synth-report-dcr.ts [--rows N]
import { parseArgs } from 'node:util';
import { readTable, splitByColumn, takeTableRows } from '../src/data/index.js';
import type { Column, Table } from '../src/data/table.js';
import { Random } from '../src/random.js';
import { alignTables, distanceToClosestRecord } from '../src/synthesis-report/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: new URL('../../shared/data/taiwan_credit.csv', import.meta.url).pathname },
    rows: { type: 'string', default: '0' },
  },
});
const { table } = await readTable(values.data);
const split = splitByColumn(table, '_is_test');
const real = takeTableRows(table, split.trainRows);
const holdout = takeTableRows(table, split.testRows);
const cap = Number(values.rows) > 0 ? Number(values.rows) : Number.POSITIVE_INFINITY;

function jittered(t: Table, seed: number): Table {
  const rng = new Random(seed);
  const rows = Int32Array.from({ length: t.nRows }, () => rng.int(t.nRows));
  const copy = takeTableRows(t, rows);
  for (const col of copy.columns) {
    if (col.kind !== 'numeric' || !/amt|limit/.test(col.name)) continue;
    for (let i = 0; i < copy.nRows; i++)
      col.values[i] = Math.round((col.values[i] as number) * (1 + 0.15 * rng.normal()));
  }
  return copy;
}

function shuffled(t: Table, seed: number): Table {
  const rng = new Random(seed);
  const columns = t.columns.map((col) => {
    const rows = rng.shuffle(Int32Array.from({ length: t.nRows }, (_, i) => i));
    return takeTableRows({ nRows: t.nRows, columns: [col] }, rows).columns[0] as Column;
  });
  return { nRows: t.nRows, columns };
}

const results: Record<string, unknown> = {};
for (const [name, synthetic] of [
  ['near-copies', jittered(real, 1)],
  ['shuffled', shuffled(real, 2)],
  ['real-itself', real],
] as const) {
  const aligned = alignTables({ real, synthetic, holdout }, { exclude: ['_is_test'] });
  const started = performance.now();
  const cpu = process.cpuUsage();
  const dcr = distanceToClosestRecord(aligned, {
    referenceRows: Int32Array.from({ length: real.nRows }, (_, i) => i),
    holdout: { side: 'holdout', rows: Int32Array.from({ length: holdout.nRows }, (_, i) => i) },
    maxRows: cap,
  });
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const cpuMs = (used.user + used.system) / 1000;
  const queries = dcr.synthetic.rows + dcr.holdout.rows;
  results[name] = {
    queries,
    referenceRows: dcr.referenceRows,
    columns: aligned.columns.length,
    ms: Math.round(ms),
    // CPU time of this thread: on a shared machine wall time also counts other processes' turns.
    cpuMs: Math.round(cpuMs),
    pairsPerCpuSec: Math.round((queries * dcr.referenceRows) / (cpuMs / 1000)),
    dcrRatio: Number(dcr.ratio.toFixed(3)),
  };
}
console.log(JSON.stringify(results, null, 2));
