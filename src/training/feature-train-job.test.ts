import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readBundle } from '../bundle/index.js';
import { BundleError, ConfigError, DataError } from '../errors.js';
import { builtinFeatureSpec, featureSpecSha256, replayTransactions, transactionsFromCsv } from '../features/index.js';
import { column, takeValues } from '../matrix.js';
import { estimatorFromState } from '../models/index.js';
import { loadScoringModel, runEvaluateJob, runPredictJob } from '../scoring/index.js';
import { writeTransactionsCsv } from '../simulation/index.js';
import { type FeatureStandardisationState, standardisedFeatures } from './feature-inputs.js';
import { runTrainJob, type TrainJobOptions } from './index.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-feature-train-'));
after(() => rm(root, { recursive: true, force: true }));

const handbook = builtinFeatureSpec('fraud-handbook');
let dataPath = '';
/** 50 days from 2025-01-01; the test part starts on day 40. */
const TEST_FROM = '2025-02-10';

before(async () => {
  dataPath = join(root, 'transactions.csv');
  await writeTransactionsCsv({ customers: 120, terminals: 240, days: 50, seed: 5 }, dataPath);
});

function options(name: string, extra: Partial<TrainJobOptions>): TrainJobOptions {
  return {
    dataPath,
    target: 'TX_FRAUD',
    model: 'mlp',
    split: { kind: 'time', column: 'TX_DATETIME', testFrom: TEST_FROM },
    seed: 1,
    epochs: 3,
    threads: 1,
    outDir: join(root, name),
    features: { spec: handbook },
    ...extra,
  };
}

/** Scores of a predict output CSV, by its id column. */
async function predictedScores(path: string): Promise<Map<string, number>> {
  const lines = (await readFile(path, 'utf8')).trim().split('\n');
  assert.equal(lines[0], 'TRANSACTION_ID,score,decision');
  return new Map(lines.slice(1).map((line) => [line.split(',')[0] as string, Number(line.split(',')[1])]));
}

describe('train --features: bundles that carry the feature spec', () => {
  let mlpDir = '';
  before(async () => {
    mlpDir = (await runTrainJob(options('mlp', {}))).bundleDir;
  });

  test('the manifest records the resolved spec, its sha256 and the input; format version 2', async () => {
    const { manifest } = await readBundle(mlpDir);
    const record = manifest.features;
    assert.ok(record);
    assert.deepEqual(record.spec, handbook);
    assert.equal(record.specSha256, featureSpecSha256(handbook));
    assert.deepEqual(
      record.featureNames,
      handbook.features.map((f) => f.name),
    );
    assert.equal(record.input, 'features');
    assert.equal(record.sequence, undefined);
    assert.equal(manifest.formatVersion, 2);
    assert.equal(manifest.idColumn, 'TRANSACTION_ID');
    assert.deepEqual(
      manifest.inputSchema.columns.map((c) => c.name),
      ['TRANSACTION_ID', 'TX_DATETIME', 'CUSTOMER_ID', 'TERMINAL_ID', 'TX_AMOUNT'],
    );
    const prep = manifest.preprocessing as FeatureStandardisationState;
    assert.equal(prep.kind, 'feature-standardisation');
    assert.equal(prep.mean.length, 15);
    const test = manifest.metrics.test as Record<string, unknown>;
    assert.equal(manifest.data.testRows, test.nRows);
    assert.equal(test.k, 100);
    assert.equal(typeof test.cpAtK, 'number');
    assert.equal((test.cpPerDay as unknown[]).length, 10, 'one Card Precision figure per test day');
  });

  test('predict on the raw events gives the training-time scores of every row (no training/serving skew)', async () => {
    // Training side, computed here independently: replay the file, scale as the bundle says,
    // score with the model rebuilt from its state.
    const { manifest, weights } = await readBundle(mlpDir);
    const tx = await transactionsFromCsv(dataPath, handbook);
    const replay = replayTransactions(handbook, tx);
    const all = Int32Array.from({ length: tx.nRows }, (_, i) => i);
    const x = standardisedFeatures(manifest.preprocessing as FeatureStandardisationState, replay.features, all);
    const expected = column(await estimatorFromState(manifest.model, weights).predictProba(x), 1);

    const out = join(root, 'mlp-scores.csv');
    const result = await runPredictJob({ modelDir: mlpDir, dataPath, outPath: out });
    assert.equal(result.rows, tx.nRows);
    const scores = await predictedScores(out);
    assert.equal(scores.size, tx.nRows);
    for (let i = 0; i < tx.nRows; i++) {
      const got = scores.get(tx.ids[i] as string) as number;
      assert.ok(Math.abs(got - (expected[i] as number)) <= 1e-5, `row ${i}: predict ${got}, training ${expected[i]}`);
    }
    // The same through the in-process scorer on TF.js: bit for bit.
    const model = await loadScoringModel(mlpDir, { engine: 'tfjs' });
    try {
      assert.deepEqual(column(await model.scoreTransactions(tx), 1), expected);
    } finally {
      model.dispose();
    }
  });

  test('a file that starts 37 days (the longest window + delay) before the rows scores them the same', async () => {
    const text = (await readFile(dataPath, 'utf8')).trimEnd().split('\n');
    // Drop the first five days: rows from day 42 on still have every window's history.
    const kept = text.filter((line, i) => i === 0 || (line.split(',')[1] as string) >= '2025-01-06');
    const cut = join(root, 'cut.csv');
    await writeFile(cut, `${kept.join('\n')}\n`);
    const full = join(root, 'full-scores.csv');
    const partial = join(root, 'cut-scores.csv');
    await runPredictJob({ modelDir: mlpDir, dataPath, outPath: full, scoreFrom: '2025-02-12' });
    const result = await runPredictJob({ modelDir: mlpDir, dataPath: cut, outPath: partial, scoreFrom: '2025-02-12' });
    assert.ok(result.history !== undefined && result.history > 0);
    const a = await predictedScores(full);
    const b = await predictedScores(partial);
    assert.ok(a.size > 1000);
    assert.deepEqual(b, a);
    // Rows with less history than that do change: the check above is not vacuous.
    const early = join(root, 'early-full.csv');
    const earlyCut = join(root, 'early-cut.csv');
    await runPredictJob({ modelDir: mlpDir, dataPath, outPath: early, scoreFrom: '2025-01-08' });
    await runPredictJob({ modelDir: mlpDir, dataPath: cut, outPath: earlyCut, scoreFrom: '2025-01-08' });
    const c = await predictedScores(early);
    const d = await predictedScores(earlyCut);
    assert.ok(
      [...d].some(([id, score]) => c.get(id) !== score),
      'scores without the history differ',
    );
  });

  test('a split column gives the same split as --test-from, and evaluate on the raw events the test metrics of training', async () => {
    const lines = (await readFile(dataPath, 'utf8')).trimEnd().split('\n');
    const flagged = join(root, 'flagged.csv');
    await writeFile(
      flagged,
      `${lines.map((line, i) => `${line},${i === 0 ? '_is_test' : Number((line.split(',')[1] as string) >= TEST_FROM)}`).join('\n')}\n`,
    );
    const byColumn = await runTrainJob(
      options('split-column', { dataPath: flagged, split: { kind: 'column', column: '_is_test' } }),
    );
    const byTime = await readBundle(mlpDir);
    assert.equal(byColumn.manifest.data.testRows, byTime.manifest.data.testRows);
    assert.deepEqual(byColumn.metrics, byTime.manifest.metrics.test);

    for (const split of [
      { kind: 'column' as const, column: '_is_test' },
      { kind: 'time' as const, testFrom: TEST_FROM },
    ]) {
      const evaluated = await runEvaluateJob({
        modelDir: byColumn.bundleDir,
        dataPath: flagged,
        split,
        cardColumn: 'CUSTOMER_ID',
      });
      const { cpAtK, k, cpPerDay, ...rest } = evaluated.metrics;
      const { cpAtK: trainCp, k: trainK, cpPerDay: trainPerDay, ...trainRest } = byColumn.metrics;
      for (const [key, value] of Object.entries(trainRest))
        if (typeof value === 'number')
          assert.ok(Math.abs((rest[key] as number) - value) <= 1e-6, `${split.kind} ${key}: ${rest[key]} vs ${value}`);
      assert.equal(k, trainK);
      assert.ok(Math.abs((cpAtK as number) - (trainCp as number)) <= 1e-12);
      assert.deepEqual(cpPerDay, trainPerDay);
    }
    await assert.rejects(
      runTrainJob(options('split-missing', { split: { kind: 'column', column: '_is_test' } })),
      (e: unknown) => e instanceof DataError && /--split-column _is_test: .* has no column "_is_test"/.test(e.message),
    );
  });

  test('a random split warns that it mixes the same days into training and test', async () => {
    const result = await runTrainJob(
      options('random', { model: 'logistic', split: { kind: 'random', testFraction: 0.25 } }),
    );
    assert.ok(result.warnings.some((w) => /random split mixes the same days/.test(w)));
    // Stratified: a quarter of each class, each rounded.
    assert.ok(Math.abs(result.manifest.data.testRows - result.manifest.data.nRows * 0.25) <= 1);
  });

  test('a spec altered in the manifest is refused, even with the checksums redone', async () => {
    const dir = join(root, 'tampered');
    await runTrainJob(options('tampered', { model: 'logistic' }));
    const manifestPath = join(dir, 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    manifest.features.spec.features[8].windowDays = 6;
    const text = `${JSON.stringify(manifest, null, 2)}\n`;
    await writeFile(manifestPath, text);
    await assert.rejects(readBundle(dir), (e: unknown) => e instanceof BundleError && /checksum/.test(e.message));
    const sums = (await readFile(join(dir, 'SHA256SUMS'), 'utf8')).replace(
      /^[0-9a-f]{64} {2}manifest\.json$/m,
      `${createHash('sha256').update(text).digest('hex')}  manifest.json`,
    );
    await writeFile(join(dir, 'SHA256SUMS'), sums);
    await assert.rejects(
      loadScoringModel(dir),
      (e: unknown) =>
        e instanceof BundleError &&
        e.code === 'bundle_corrupted' &&
        /feature spec does not match its sha256/.test(e.message),
    );
  });

  test('an lstm trains on sequences of the previous transactions and predict replays them the same', async () => {
    const result = await runTrainJob(
      options('lstm', {
        model: 'lstm',
        epochs: 2,
        features: { spec: handbook, sequenceKey: 'CUSTOMER_ID', sequenceLength: 3 },
        modelParams: { units: 8, hiddenUnits: 8 },
      }),
    );
    const { manifest, weights } = await readBundle(result.bundleDir);
    const record = manifest.features;
    assert.ok(record);
    assert.equal(record.input, 'sequences');
    assert.deepEqual(record.sequence, {
      key: 'customerId',
      previous: 3,
      steps: 4,
      features: handbook.features.map((f) => f.name),
    });
    assert.deepEqual(record.spec.sequence, { key: 'customerId', length: 3 });
    assert.equal(record.specSha256, featureSpecSha256(record.spec));
    assert.deepEqual(manifest.preprocessing, { kind: 'raw-sequences', version: 1 });
    assert.equal((manifest.model.params as { sequenceLength: number }).sequenceLength, 4);

    const tx = await transactionsFromCsv(dataPath, record.spec);
    const replay = replayTransactions(record.spec, tx);
    const x = { data: replay.sequences as Float32Array, nRows: tx.nRows, nCols: replay.sequenceWidth };
    assert.equal(x.nCols, 4 * 15);
    const expected = column(await estimatorFromState(manifest.model, weights).predictProba(x), 1);
    const out = join(root, 'lstm-scores.csv');
    await runPredictJob({ modelDir: result.bundleDir, dataPath, outPath: out, scoreFrom: TEST_FROM });
    const scores = await predictedScores(out);
    assert.equal(scores.size, manifest.data.testRows);
    for (let i = 0; i < tx.nRows; i++) {
      const got = scores.get(tx.ids[i] as string);
      if (got === undefined) continue;
      assert.ok(Math.abs(got - (expected[i] as number)) <= 1e-5, `row ${i}: predict ${got}, training ${expected[i]}`);
    }
    // Test metrics are those of the same scores.
    const testRows = Int32Array.from(tx.ids.flatMap((id, i) => (scores.has(id) ? [i] : [])));
    assert.equal(testRows.length, manifest.data.testRows);
    assert.ok(Math.abs((result.metrics.auc as number) - 0.5) > 0.05, 'the lstm learned something');
    const yTest = takeValues(Float32Array.from(tx.labels as Float64Array), testRows);
    assert.equal(
      result.metrics.positives,
      yTest.reduce((s, v) => s + v, 0),
    );
  });

  test('the autoencoder is fitted without labels; its anomaly score gets a validation threshold, no probability metrics', async () => {
    const result = await runTrainJob(options('autoencoder', { model: 'autoencoder', epochs: 3 }));
    for (const key of ['auc', 'ap', 'cpAtK', 'threshold', 'precision', 'recall', 'f1'])
      assert.equal(typeof result.metrics[key], 'number', key);
    assert.equal(result.metrics.brier, undefined);
    assert.equal(result.metrics.logLoss, undefined);
    assert.ok((result.metrics.auc as number) > 0.6, `auc ${result.metrics.auc}`);
    assert.equal(result.manifest.threshold?.policy.kind, 'max-f1');
  });
});

describe('train --features: flags that do not fit are refused before any work', () => {
  const refused = async (extra: Partial<TrainJobOptions>, pattern: RegExp) =>
    assert.rejects(
      runTrainJob(options('refused', extra)),
      (e: unknown) => e instanceof ConfigError && e.code === 'invalid_flag' && pattern.test(e.message),
    );

  test('sequence models need a spec; sequence flags need a sequence model', async () => {
    await refused({ model: 'cnn', features: undefined }, /--model cnn .*--features SPEC/);
    await refused(
      { features: { spec: handbook, sequenceLength: 3 } },
      /--sequence-length applies to the sequence models/,
    );
    await refused(
      { model: 'lstm', features: { spec: handbook, sequenceKey: 'ipAddress' } },
      /--sequence-key ipAddress: the feature spec 'fraud-handbook' maps no column to ipAddress/,
    );
  });

  test('the target must be the spec label; task, schema and delimiter do not apply', async () => {
    await refused({ target: 'TX_FRAUD_SCENARIO' }, /--target TX_FRAUD_SCENARIO: .*reads labels from column TX_FRAUD/);
    await refused({ task: 'regression' }, /--task regression/);
    await refused({ schemaPath: 'x.json' }, /--schema does not apply with --features/);
    await refused({ delimiter: ';' }, /--delimiter does not apply/);
    await refused(
      { split: { kind: 'time', column: 'LABEL_TIME', testFrom: TEST_FROM } },
      /--time-column LABEL_TIME: .*timestamp column TX_DATETIME/,
    );
  });
});
