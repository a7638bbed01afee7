// Issue 6's augmentation comparison: real data only, class weights, SMOTE and synthesizer
// augmentation (every kind given) on Taiwan credit (split column `_is_test`) and on fraud_sim under
// the fraud handbook's protocol, each for several seeds. For every variant the model is fitted on
// the training part less a stratified 15 % validation slice (early stopping, and the max-F1
// threshold), the synthetic rows are added to the fitted rows only, and the test part is real.
// Prints AUC, AP, and precision, recall and F1 at the threshold chosen on the validation slice.
//
// Run: npm run bench:augmentation [-- --datasets taiwan,fraud --kinds real,class-weights,smote,gaussian-copula
//                                     --seeds 1,2,3 --ratio 1 --model mlp --json]
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinFeatureSpec, replayTransactions, transactionsFromCsv } from '../src/features/index.js';
import { fraudMetrics, handbookSplit } from '../src/fraud/index.js';
import type { ModelKind } from '../src/models/index.js';
import {
  featureTable,
  fitFeatureStandardisation,
  standardisedFeatures,
  tableFeatures,
} from '../src/training/feature-inputs.js';
import { augmentFitRows, augmentKinds, fitAndMeasure, runTrainJob } from '../src/training/index.js';

const shared = new URL('../../shared/data/', import.meta.url).pathname;
const { values } = parseArgs({
  options: {
    datasets: { type: 'string', default: 'taiwan,fraud' },
    kinds: { type: 'string', default: ['real', 'class-weights', ...augmentKinds()].join(',') },
    seeds: { type: 'string', default: '1,2,3' },
    ratio: { type: 'string', default: '1' },
    model: { type: 'string', default: 'mlp' },
    taiwan: { type: 'string', default: join(shared, 'taiwan_credit.csv') },
    fraud: { type: 'string', default: join(shared, 'fraud_sim', 'transactions.csv.gz') },
    json: { type: 'boolean', default: false },
  },
});
const kinds = values.kinds.split(',').map((k) => k.trim());
const seeds = values.seeds.split(',').map(Number);
const ratio = Number(values.ratio);
const model = values.model as ModelKind;
for (const kind of kinds)
  if (kind !== 'real' && kind !== 'class-weights' && !augmentKinds().includes(kind))
    throw new Error(`unknown kind ${kind}: real, class-weights or one of ${augmentKinds().join(', ')}`);

interface Row {
  dataset: string;
  kind: string;
  seed: number;
  auc: number;
  ap: number;
  precision: number;
  recall: number;
  f1: number;
  threshold: number;
  cpAt100?: number;
  rowsAdded: number;
  seconds: number;
}
const rows: Row[] = [];
const log = (text: string) => process.stderr.write(`${text}\n`);

function variant(kind: string) {
  if (kind === 'real') return {};
  if (kind === 'class-weights') return { modelParams: { classWeight: 'balanced' } };
  return { augment: { kind, ratio } };
}

const work = await mkdtemp(join(tmpdir(), 'vigil-augment-bench-'));
try {
  if (values.datasets.includes('taiwan')) {
    for (const kind of kinds)
      for (const seed of seeds) {
        const started = performance.now();
        const result = await runTrainJob({
          dataPath: values.taiwan,
          target: 'target',
          model,
          split: { kind: 'column', column: '_is_test' },
          seed,
          outDir: join(work, `taiwan-${kind}-${seed}`),
          ...variant(kind),
        });
        const m = result.metrics as Record<string, number>;
        const row: Row = {
          dataset: 'taiwan',
          kind,
          seed,
          auc: m.auc as number,
          ap: m.ap as number,
          precision: m.precision as number,
          recall: m.recall as number,
          f1: m.f1 as number,
          threshold: m.threshold as number,
          rowsAdded: result.augmentation?.rowsAdded ?? 0,
          seconds: (performance.now() - started) / 1000,
        };
        rows.push(row);
        log(
          `taiwan ${kind} seed ${seed}: auc ${row.auc.toFixed(4)} ap ${row.ap.toFixed(4)} f1 ${row.f1.toFixed(4)} (${row.seconds.toFixed(1)} s)`,
        );
      }
  }

  if (values.datasets.includes('fraud')) {
    // The handbook protocol as `vigil benchmark fraud` runs it: fraud-handbook features, train
    // 2018-07-25 for 7 days, 7 delay days, test 7 days with known compromised cards removed.
    const spec = builtinFeatureSpec('fraud-handbook');
    log(`reading ${values.fraud}`);
    const tx = await transactionsFromCsv(values.fraud, spec);
    const labels = Float32Array.from(tx.labels as Float64Array);
    const split = handbookSplit(
      { timestampSeconds: tx.timestampSeconds, customer: tx.customerIds, label: labels },
      { trainStart: '2018-07-25', trainDays: 7, delayDays: 7, testDays: 7 },
    );
    const replay = replayTransactions(spec, tx);
    const scaling = fitFeatureStandardisation(replay.features, replay.featureNames, split.train);
    const inputs = (rows: Int32Array) => standardisedFeatures(scaling, replay.features, rows);
    const testCards = Array.from(split.test, (i) => tx.customerIds[i] as string);
    for (const kind of kinds)
      for (const seed of seeds) {
        const started = performance.now();
        const v = variant(kind);
        const fitted = await fitAndMeasure({
          model,
          task: 'binary',
          classes: ['0', '1'],
          y: labels,
          trainRows: split.train,
          testRows: split.test,
          inputs,
          seed,
          ...('modelParams' in v ? { modelParams: v.modelParams } : {}),
          ...('augment' in v && v.augment
            ? {
                augment: (fitRows: Int32Array) =>
                  augmentFitRows(
                    featureTable(replay.features, replay.featureNames, fitRows),
                    Float32Array.from(fitRows, (r) => labels[r] as number),
                    ['0', '1'],
                    Int32Array.from({ length: fitRows.length }, (_, i) => i),
                    { ...v.augment, seed },
                    (synthetic) =>
                      standardisedFeatures(
                        scaling,
                        tableFeatures(synthetic, replay.featureNames),
                        Int32Array.from({ length: synthetic.nRows }, (_, i) => i),
                      ),
                  ),
              }
            : {}),
        });
        const m = fitted.metrics as Record<string, number>;
        const yTest = Float32Array.from(split.test, (r) => labels[r] as number);
        const cp = fraudMetrics(yTest, fitted.testScores as Float32Array, split.testDay, testCards, { k: 100 });
        const row: Row = {
          dataset: 'fraud_sim',
          kind,
          seed,
          auc: m.auc as number,
          ap: m.ap as number,
          precision: m.precision as number,
          recall: m.recall as number,
          f1: m.f1 as number,
          threshold: m.threshold as number,
          cpAt100: cp.cpAtK,
          rowsAdded: fitted.augmentation?.rowsAdded ?? 0,
          seconds: (performance.now() - started) / 1000,
        };
        rows.push(row);
        log(
          `fraud_sim ${kind} seed ${seed}: auc ${row.auc.toFixed(4)} ap ${row.ap.toFixed(4)} f1 ${row.f1.toFixed(4)} (${row.seconds.toFixed(1)} s)`,
        );
      }
  }
} finally {
  await rm(work, { recursive: true, force: true });
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs: number[]) => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / Math.max(1, xs.length - 1));
};
const summary = [...new Set(rows.map((r) => `${r.dataset}|${r.kind}`))].map((key) => {
  const [dataset, kind] = key.split('|') as [string, string];
  const group = rows.filter((r) => r.dataset === dataset && r.kind === kind);
  const stat = (k: 'auc' | 'ap' | 'precision' | 'recall' | 'f1' | 'cpAt100' | 'seconds' | 'rowsAdded') => {
    const xs = group.map((r) => r[k] ?? Number.NaN);
    return { mean: mean(xs), sd: sd(xs) };
  };
  return {
    dataset,
    kind,
    auc: stat('auc'),
    ap: stat('ap'),
    precision: stat('precision'),
    recall: stat('recall'),
    f1: stat('f1'),
    ...(dataset === 'fraud_sim' ? { cpAt100: stat('cpAt100') } : {}),
    rowsAdded: stat('rowsAdded').mean,
    seconds: stat('seconds').mean,
  };
});

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}`;
if (values.json) {
  process.stdout.write(`${JSON.stringify({ model, ratio, seeds, machine, summary, rows })}\n`);
} else {
  const f = (s: { mean: number; sd: number }) => `${s.mean.toFixed(4)} ± ${s.sd.toFixed(4)}`;
  process.stdout.write(`model ${model}, ratio ${ratio}, seeds ${seeds.join(',')}; ${machine}\n\n`);
  process.stdout.write('| data | variant | AUC | AP | precision | recall | F1 | CP@100 | rows added | s/run |\n');
  process.stdout.write('|---|---|---|---|---|---|---|---|---|---|\n');
  for (const s of summary)
    process.stdout.write(
      `| ${s.dataset} | ${s.kind} | ${f(s.auc)} | ${f(s.ap)} | ${f(s.precision)} | ${f(s.recall)} | ${f(s.f1)} | ${'cpAt100' in s && s.cpAt100 ? f(s.cpAt100) : '—'} | ${Math.round(s.rowsAdded)} | ${s.seconds.toFixed(1)} |\n`,
    );
}
