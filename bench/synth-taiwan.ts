// Issue 6's synthesizer acceptance on Taiwan: fit ctgan or tvae on the training part (_is_test
// False, id dropped), sample as many rows, and print one JSON object with
//   fitMs, sampleMs, columnShapes (mean over columns of 1 − KS for numeric, 1 − TVD for discrete),
//   exactCopies (synthetic rows equal to a real training row in every column),
//   tstrAuc / trtrAuc (logistic regression through Vigil's preprocessing pipeline, trained on the
//   synthetic / real training rows, scored on the real test part),
//   conditionalMs for 100,000 rows with target = 1 and the share of them that carry it.
// The file's metadata: sex, education, marriage, pay_0…pay_6 and target are codes, read as
// categorical (as SDV's metadata for this data set does); the other columns are amounts and age.
//
// Run: node --import tsx bench/synth-taiwan.ts --model tvae|ctgan [--epochs N] [--seed S] [--params JSON]
import { parseArgs } from 'node:util';
import { readTable, splitByColumn } from '../src/data/index.js';
import { type Column, cellText, isDictionaryColumn, type Table, takeTableRows } from '../src/data/table.js';
import { auc, ksStatistic, sortedFinite } from '../src/evaluation/index.js';
import { LogisticRegression } from '../src/models/index.js';
import { TabularPipeline } from '../src/preprocessing/index.js';
import { CtganSynthesizer, TvaeSynthesizer } from '../src/synthesis/index.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string', default: new URL('../../shared/data/taiwan_credit.csv', import.meta.url).pathname },
    model: { type: 'string', default: 'tvae' },
    epochs: { type: 'string' },
    seed: { type: 'string', default: '1' },
    /** More hyper-parameters as JSON, e.g. '{"generatorDims":[128,128]}'. */
    params: { type: 'string', default: '{}' },
  },
});
const seed = Number(values.seed);
const CODES = ['sex', 'education', 'marriage', 'pay_0', 'pay_2', 'pay_3', 'pay_4', 'pay_5', 'pay_6', 'target'];
const { table } = await readTable(values.data, {
  overrides: Object.fromEntries([...CODES.map((c) => [c, 'categorical' as const]), ['id', 'identifier' as const]]),
});
const split = splitByColumn(table, '_is_test');
const keepColumns = (t: Table): Table => ({
  nRows: t.nRows,
  columns: t.columns.filter((c) => c.name !== 'id' && c.name !== '_is_test'),
});
const train = keepColumns(takeTableRows(table, split.trainRows));
const test = keepColumns(takeTableRows(table, split.testRows));

const epochs = {
  ...JSON.parse(values.params),
  ...(values.epochs === undefined ? {} : { epochs: Number(values.epochs) }),
};
const synth =
  values.model === 'ctgan' ? new CtganSynthesizer({ seed, ...epochs }) : new TvaeSynthesizer({ seed, ...epochs });
let started = performance.now();
await synth.fit(train, {
  onEpochEnd: (logs) => {
    if (logs.epoch % 10 === 0)
      process.stderr.write(`${JSON.stringify(logs)} ${Math.round(performance.now() - started)} ms\n`);
  },
});
const fitMs = performance.now() - started;
started = performance.now();
const synthetic = await synth.sample(train.nRows, { seed: seed + 100 });
const sampleMs = performance.now() - started;

started = performance.now();
const minority = await synth.sample(100_000, { conditions: { target: '1' }, seed: seed + 200 });
const conditionalMs = performance.now() - started;
const targetOf = (t: Table) => t.columns.find((c) => c.name === 'target') as Column;
const minorityTarget = targetOf(minority);
let carrying = 0;
for (let r = 0; r < minority.nRows; r++) if (cellText(minorityTarget, r) === '1') carrying++;

console.log(
  JSON.stringify(
    {
      model: values.model,
      params: synth.params,
      epochs: synth.history.length,
      lastEpoch: synth.history[synth.history.length - 1],
      trainRows: train.nRows,
      fitMs: Math.round(fitMs),
      sampleMs: Math.round(sampleMs),
      columnShapes: columnShapes(train, synthetic),
      exactCopies: exactCopies(train, synthetic),
      tstrAuc: await logisticAuc(synthetic, test),
      trtrAuc: await logisticAuc(train, test),
      conditionalRows: minority.nRows,
      conditionalMs: Math.round(conditionalMs),
      conditionShare: carrying / minority.nRows,
    },
    null,
    2,
  ),
);

/** Mean over columns of 1 − KS (numeric, present values) or 1 − total variation distance (discrete, missing as a level). */
function columnShapes(real: Table, fake: Table): { mean: number; perColumn: Record<string, number> } {
  const perColumn: Record<string, number> = {};
  for (const col of real.columns) {
    const other = fake.columns.find((c) => c.name === col.name) as Column;
    if (isDictionaryColumn(col) || col.kind === 'boolean') {
      const a = levelShares(col, real.nRows);
      const b = levelShares(other, fake.nRows);
      let tvd = 0;
      for (const key of new Set([...a.keys(), ...b.keys()])) tvd += Math.abs((a.get(key) ?? 0) - (b.get(key) ?? 0));
      perColumn[col.name] = 1 - tvd / 2;
    } else {
      perColumn[col.name] =
        1 - ksStatistic(sortedFinite(col.values), sortedFinite((other as { values: Float64Array }).values));
    }
  }
  const scores = Object.values(perColumn);
  return { mean: scores.reduce((s, v) => s + v, 0) / scores.length, perColumn };
}

function levelShares(col: Column, n: number): Map<string, number> {
  const shares = new Map<string, number>();
  for (let r = 0; r < n; r++) {
    const key = cellText(col, r) ?? '\u0000missing';
    shares.set(key, (shares.get(key) ?? 0) + 1 / n);
  }
  return shares;
}

function rowKeys(t: Table): string[] {
  const keys: string[] = [];
  for (let r = 0; r < t.nRows; r++) keys.push(t.columns.map((c) => cellText(c, r) ?? '').join('\u0001'));
  return keys;
}

function exactCopies(real: Table, fake: Table): number {
  const seen = new Set(rowKeys(real));
  return rowKeys(fake).filter((k) => seen.has(k)).length;
}

/** Test AUC of a logistic regression fitted on `fitOn` (pipeline and model) and scored on `scoreOn`. */
async function logisticAuc(fitOn: Table, scoreOn: Table): Promise<number> {
  const pipeline = new TabularPipeline({ exclude: ['target'] });
  const x = pipeline.fit(fitOn).transform(fitOn);
  const y = labels(fitOn);
  const model = await new LogisticRegression({ seed }).fit(x, y);
  const proba = await model.predictProba(pipeline.transform(scoreOn));
  const scores = new Float32Array(scoreOn.nRows);
  for (let r = 0; r < scoreOn.nRows; r++) scores[r] = proba.data[r * proba.nCols + 1] as number;
  return auc(labels(scoreOn), scores);
}

function labels(t: Table): Float32Array {
  const target = targetOf(t);
  const y = new Float32Array(t.nRows);
  for (let r = 0; r < t.nRows; r++) y[r] = cellText(target, r) === '1' ? 1 : 0;
  return y;
}
