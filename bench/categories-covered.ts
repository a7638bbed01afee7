// Whether every category of the real data's categorical and boolean columns occurs in a sample:
// issue 6's German credit check. Prints one JSON object; exit 1 when any value is missing.
// Run: node --import tsx bench/categories-covered.ts REAL.csv SAMPLE.csv [--exclude COL,...]
import { parseArgs } from 'node:util';
import { readTable } from '../src/data/index.js';
import { cellText, findColumn, isDictionaryColumn } from '../src/data/table.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { exclude: { type: 'string', default: '' } },
});
const [realPath, samplePath] = positionals;
if (realPath === undefined || samplePath === undefined) {
  console.error('usage: categories-covered.ts REAL.csv SAMPLE.csv [--exclude COL,...]');
  process.exit(2);
}
const excluded = new Set(values.exclude.split(',').filter((c) => c !== ''));
const real = (await readTable(realPath)).table;
const sample = (await readTable(samplePath)).table;
const missing: { column: string; values: string[] }[] = [];
let checked = 0;
for (const col of real.columns) {
  if (excluded.has(col.name) || !(isDictionaryColumn(col) || col.kind === 'boolean') || col.kind === 'identifier')
    continue;
  const other = findColumn(sample, col.name);
  const seen = new Set<string | null>();
  if (other !== undefined) for (let r = 0; r < sample.nRows; r++) seen.add(cellText(other, r));
  const want = new Set<string | null>();
  for (let r = 0; r < real.nRows; r++) want.add(cellText(col, r));
  checked += want.size;
  const absent = [...want].filter((v) => !seen.has(v)).map((v) => v ?? '(missing)');
  if (absent.length > 0) missing.push({ column: col.name, values: absent });
}
console.log(JSON.stringify({ realRows: real.nRows, sampleRows: sample.nRows, categoriesChecked: checked, missing }));
process.exit(missing.length === 0 ? 0 : 1);
