// Training throughput of the `mlp` model (Vigil's trainer, one thread) with Vigil's wasm kernels against stock tfjs-wasm kernels,
// in the same process on the same data (Taiwan training part, preprocessed), alternating the two
// so machine drift hits both alike. Prints one JSON object; the ratio is what to compare.
//
// Run: npm run bench:train [-- --epochs 3 --rounds 3 --batch 512 --hidden 256,128]
import { parseArgs } from 'node:util';
import { readTable, splitByColumn } from '../src/data/index.js';
import { initRuntime, setFastKernels } from '../src/engine/index.js';
import { takeRows, takeValues } from '../src/matrix.js';
import { MLP } from '../src/models/index.js';
import { TabularPipeline } from '../src/preprocessing/index.js';
import { encodeTarget } from '../src/training/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: new URL('../../shared/data/taiwan_credit.csv', import.meta.url).pathname },
    epochs: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    batch: { type: 'string', default: '512' },
    hidden: { type: 'string', default: '256,128' },
  },
});
const epochs = Number(values.epochs);
const rounds = Number(values.rounds);
const batchSize = Number(values.batch);
const hidden = values.hidden.split(',').map(Number);

await initRuntime();
const { table } = await readTable(values.data);
const { trainRows } = splitByColumn(table, '_is_test');
const target = encodeTarget(table, 'target');
const pipeline = new TabularPipeline({ exclude: ['target', '_is_test'] }).fit(table, trainRows);
const x = takeRows(pipeline.transform(table), trainRows);
const y = takeValues(target.y, trainRows);

async function rowsPerSec(fast: boolean): Promise<number> {
  setFastKernels(fast);
  const mlp = new MLP({
    task: 'binary',
    seed: 1,
    hiddenLayers: hidden.map((units) => ({ units, activation: 'relu' as const, dropout: 0.2 })),
    batchSize,
    epochs,
    validationSplit: 0,
    earlyStopping: false,
    // One thread: the kernel switch applies to this thread only, and this bench isolates the kernels.
    threads: 1,
  });
  const started = performance.now();
  await mlp.fit(x, y);
  return (x.nRows * epochs) / ((performance.now() - started) / 1000);
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
await rowsPerSec(true); // warm-up: JIT and wasm pages
const fast: number[] = [];
const stock: number[] = [];
for (let i = 0; i < rounds; i++) {
  fast.push(await rowsPerSec(true));
  stock.push(await rowsPerSec(false));
}
setFastKernels(true);
console.log(
  JSON.stringify({
    model: `mlp ${[x.nCols, ...hidden, 1].join('→')}, batch ${batchSize}, relu, dropout 0.2, Adam`,
    trainRows: x.nRows,
    epochs,
    rounds,
    vigilRowsPerSec: Math.round(median(fast)),
    stockRowsPerSec: Math.round(median(stock)),
    speedup: Number((median(fast) / median(stock)).toFixed(2)),
    vigilRuns: fast.map(Math.round),
    stockRuns: stock.map(Math.round),
  }),
);
