// Test support: small tables with known structure for the report's known-answer tests.
import { type Column, type Table, takeTableRows } from '../data/table.js';
import { Random } from '../random.js';

const REGIONS = ['north', 'south', 'east', 'west'];

/**
 * `n` loan-like rows with strong dependence between columns: `income` and `balance` correlate
 * (ρ ≈ 0.9), `region` and `owner` follow income, `bad` (0/1) follows balance and region. About 5 %
 * of `balance` is missing. `loan_id` is an identifier.
 */
export function correlatedTable(n: number, seed: number, shift = 0): Table {
  const rng = new Random(seed);
  const id = new Int32Array(n);
  const income = new Float64Array(n);
  const balance = new Float64Array(n);
  const region = new Int32Array(n);
  const owner = new Float64Array(n);
  const bad = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    id[i] = i;
    const z = rng.normal();
    income[i] = shift + Math.exp(10 + 0.5 * z);
    const b = z + 0.45 * rng.normal();
    balance[i] = rng.next() < 0.05 ? Number.NaN : shift + 1000 * b;
    region[i] = Math.min(3, Math.max(0, Math.floor(1.5 + z + 0.6 * rng.normal())));
    owner[i] = z + 0.5 * rng.normal() > 0 ? 1 : 0;
    const logit = -1.2 + 1.4 * b + (region[i] === 2 ? 0.8 : 0);
    bad[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  const columns: Column[] = [
    {
      name: 'loan_id',
      kind: 'identifier',
      codes: id,
      dictionary: Array.from({ length: n }, (_, i) => `L${seed}-${i}`),
    },
    { name: 'income', kind: 'numeric', values: income },
    { name: 'balance', kind: 'numeric', values: balance },
    {
      name: 'region',
      kind: 'categorical',
      codes: region,
      dictionary: shift === 0 ? REGIONS : REGIONS.map((r) => `far-${r}`),
    },
    { name: 'owner', kind: 'boolean', values: owner },
    { name: 'bad', kind: 'numeric', values: bad },
  ];
  return { nRows: n, columns };
}

/** Every column permuted on its own (seeded): the same marginals, no relation left between columns. */
export function shuffleColumns(table: Table, seed: number): Table {
  const rng = new Random(seed);
  const columns = table.columns.map((col) => {
    const rows = rng.shuffle(Int32Array.from({ length: table.nRows }, (_, i) => i));
    return takeTableRows({ nRows: table.nRows, columns: [col] }, rows).columns[0] as Column;
  });
  return { nRows: table.nRows, columns };
}
