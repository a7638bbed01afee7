// Conditional sampling speed of the gaussian copula (issue 6: "100,000 minority rows take seconds,
// and 100 % carry the condition"): fit on Taiwan credit (id and `_is_test` left out), then draw
// 100,000 rows with target = 1 in memory several times, and check every row carries it.
// Prints one JSON object: fit time, and the median and each run's sampling time.
//
// Run: npm run bench:synth [-- --rows 100000 --rounds 5]
import { parseArgs } from 'node:util';
import { readTable } from '../src/data/index.js';
import type { Table } from '../src/data/table.js';
import { GaussianCopulaSynthesizer } from '../src/synthesis/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: new URL('../../shared/data/taiwan_credit.csv', import.meta.url).pathname },
    rows: { type: 'string', default: '100000' },
    rounds: { type: 'string', default: '5' },
  },
});
const nRows = Number(values.rows);
const { table } = await readTable(values.data);
const features: Table = {
  nRows: table.nRows,
  columns: table.columns.filter((c) => c.kind !== 'identifier' && c.name !== '_is_test'),
};
const fitStart = performance.now();
const copula = await new GaussianCopulaSynthesizer({ seed: 1 }).fit(features);
const fitMs = performance.now() - fitStart;
const runsMs: number[] = [];
let carried = 0;
for (let round = 0; round < Number(values.rounds); round++) {
  const started = performance.now();
  const sample = await copula.sample(nRows, { conditions: { target: '1' }, seed: round + 1 });
  runsMs.push(performance.now() - started);
  const target = sample.columns.find((c) => c.name === 'target');
  if (target === undefined || !('values' in target)) throw new Error('no target column');
  carried = target.values.filter((v) => v === 1).length;
  if (carried !== nRows) throw new Error(`only ${carried} of ${nRows} rows carry target = 1`);
}
const sorted = [...runsMs].sort((a, b) => a - b);
process.stdout.write(
  `${JSON.stringify({
    rows: nRows,
    columns: features.columns.length,
    latentDims: copula.latentCorrelation.nDims,
    fitMs: Math.round(fitMs),
    sampleMedianMs: Math.round(sorted[Math.floor(sorted.length / 2)] as number),
    sampleRunsMs: runsMs.map(Math.round),
    carryingCondition: `${carried}/${nRows}`,
  })}\n`,
);
