// Writes synthetic credit applications for benchmarks.
// Run: node --import tsx bench/write-credit-csv.ts --rows 1000000 --seed 42 --out .tmp/credit-1m.csv
import { parseArgs } from 'node:util';
import { writeCreditApplicationsCsv } from '../src/simulation/index.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: '.tmp/credit-1m.csv' },
  },
});
const summary = await writeCreditApplicationsCsv(values.out, { rows: Number(values.rows), seed: Number(values.seed) });
console.log(JSON.stringify({ out: values.out, ...summary }));
