import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { closeReplicaWorkers, rankAuc } from '../engine/index.js';
import { ConfigError, NotFittedError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { onnxRunnerFactory } from '../onnx/index.js';
import { Random } from '../random.js';
import {
  Autoencoder,
  type AutoencoderParams,
  appendAnomalyScore,
  createEstimator,
  estimatorFromState,
  MODEL_KINDS,
} from './index.js';

after(closeReplicaWorkers);

const COLS = 8;

/**
 * Normal rows: 8 columns driven by two latent factors (plus noise), on different scales, so they
 * compress to a small code. Anomalies (y = 1) have the same per-column spread but are off the
 * normal rows' plane: `scattered` ones have independent columns (no single column gives them
 * away); `patterned` ones lie on a plane of their own, which an autoencoder can learn when they
 * are in its training rows.
 */
function rows(
  n: number,
  seed: number,
  anomalyRate: number,
  anomalies: 'scattered' | 'patterned' = 'scattered',
): { x: Matrix; y: Float32Array } {
  const rng = new Random(seed);
  const data = new Float32Array(n * COLS);
  const y = new Float32Array(n);
  for (let r = 0; r < n; r++) {
    y[r] = rng.next() < anomalyRate ? 1 : 0;
    const a = rng.normal();
    const b = rng.normal();
    for (let c = 0; c < COLS; c++) {
      let signal = Math.cos(c) * a + Math.sin(c) * b;
      if (y[r] === 1) signal = anomalies === 'scattered' ? rng.normal() : Math.cos(2 * c + 1) * a + Math.sin(3 * c) * b;
      data[r * COLS + c] = (1 + 10 * c) * (signal + 0.1 * rng.normal()) + 100 * c;
    }
  }
  return { x: { data, nRows: n, nCols: COLS }, y };
}

const FAST: Omit<AutoencoderParams, 'seed'> = {
  hiddenLayers: [16],
  codeUnits: 2,
  activation: 'tanh',
  epochs: 80,
  batchSize: 64,
  threads: 1,
};

function anomalyColumn(proba: Matrix): Float32Array {
  return proba.data.filter((_, i) => i % 2 === 1);
}

test('without labels, rows off the normal manifold get high scores (AUC > 0.95)', async () => {
  const train = rows(3000, 1, 0.02);
  const holdout = rows(2000, 2, 0.05);
  const ae = await new Autoencoder({ seed: 1, ...FAST }).fit(train.x);
  const errors = await ae.transform(holdout.x);
  assert.equal(errors.nCols, 1);
  const auc = rankAuc(holdout.y, errors.data);
  assert.ok(auc > 0.95, `AUC ${auc}`);
  // predictProba is a monotone map of the error, so it ranks exactly alike.
  const proba = await ae.predictProba(holdout.x);
  assert.equal(rankAuc(holdout.y, anomalyColumn(proba)), auc);
  for (let i = 0; i < holdout.x.nRows; i++) {
    const e = errors.data[i] as number;
    assert.ok(Math.abs((proba.data[2 * i + 1] as number) - e / (e + ae.errorScale)) < 1e-6);
    assert.ok(Math.abs((proba.data[2 * i] as number) + (proba.data[2 * i + 1] as number) - 1) < 1e-6);
  }
  // The scale is the training error at the 99th percentile: about 1 % of training rows are flagged.
  const flagged = (await ae.predict(train.x)).reduce((a, b) => a + b, 0) / train.x.nRows;
  assert.ok(flagged > 0.005 && flagged <= 0.011, `flagged share ${flagged}`);
  assert.ok((ae.history.at(-1)?.loss as number) < 0.5 * (ae.history[0]?.loss as number));
});

test('labels are ignored unless trainOn is negatives, which then leaves the positives out', async () => {
  // A third of the training rows are patterned anomalies: with room in the code (4 units for two
  // planes) an autoencoder trained on every row learns to reconstruct them too.
  const train = rows(3000, 3, 0.33, 'patterned');
  const holdout = rows(2000, 4, 0.05, 'patterned');
  const shuffled = Float32Array.from(train.y).reverse();
  const params = { seed: 2, ...FAST, codeUnits: 4 };
  const unsupervised = await new Autoencoder(params).fit(train.x);
  const withLabels = await new Autoencoder(params).fit(train.x, shuffled);
  assert.deepEqual(withLabels.getWeights(), unsupervised.getWeights());
  const negatives = await new Autoencoder({ ...params, trainOn: 'negatives' }).fit(train.x, train.y);
  const aucAll = rankAuc(holdout.y, (await unsupervised.transform(holdout.x)).data);
  const aucNegatives = rankAuc(holdout.y, (await negatives.transform(holdout.x)).data);
  assert.ok(aucNegatives > 0.95, `negatives only: AUC ${aucNegatives}`);
  assert.ok(aucNegatives > aucAll + 0.2, `negatives only ${aucNegatives} vs all rows ${aucAll}`);
  await assert.rejects(
    () => new Autoencoder({ seed: 2, trainOn: 'negatives' }).fit(train.x),
    (e: unknown) => e instanceof ConfigError && /needs labels/.test(e.message),
  );
});

test('appendAnomalyScore adds ln(1 + error) as a column, or per real step of a sequence', async () => {
  const train = rows(1000, 5, 0.02);
  const ae = await new Autoencoder({ seed: 3, ...FAST, epochs: 5 }).fit(train.x);
  const few: Matrix = { data: train.x.data.slice(0, 3 * COLS), nRows: 3, nCols: COLS };
  const errors = (await ae.transform(few)).data;
  const tabular = await appendAnomalyScore(few, ae);
  assert.deepEqual([tabular.nRows, tabular.nCols], [3, COLS + 1]);
  for (let r = 0; r < 3; r++) {
    assert.deepEqual(
      tabular.data.subarray(r * (COLS + 1), r * (COLS + 1) + COLS),
      few.data.subarray(r * COLS, (r + 1) * COLS),
    );
    assert.equal(tabular.data[r * (COLS + 1) + COLS], Math.fround(Math.log1p(errors[r] as number)));
  }
  // One sequence row of 3 steps: a padding step, then rows 0 and 1 of `few`.
  const sequence: Matrix = { data: new Float32Array(3 * COLS), nRows: 1, nCols: 3 * COLS };
  sequence.data.set(few.data.subarray(0, 2 * COLS), COLS);
  const withScores = await appendAnomalyScore(sequence, ae, { sequenceLength: 3 });
  assert.equal(withScores.nCols, 3 * (COLS + 1));
  assert.ok(
    withScores.data.subarray(0, COLS + 1).every((v) => v === 0),
    'padding stays all zero',
  );
  for (const step of [1, 2]) {
    const o = step * (COLS + 1);
    assert.deepEqual(withScores.data.subarray(o, o + COLS), few.data.subarray((step - 1) * COLS, step * COLS));
    assert.equal(withScores.data[o + COLS], Math.fround(Math.log1p(errors[step - 1] as number)));
  }
  await assert.rejects(
    () => appendAnomalyScore(sequence, ae, { sequenceLength: 2 }),
    (e: unknown) => e instanceof ConfigError && e.code === 'bad_sequence_length',
  );
});

test('round trip through toJSON/getWeights scores bit-identically; ONNX Runtime agrees', async () => {
  const train = rows(1500, 6, 0.02);
  const holdout = rows(500, 7, 0.05);
  const ae = createEstimator('autoencoder', { seed: 4, ...FAST, epochs: 10 });
  assert.ok(MODEL_KINDS.includes('autoencoder'));
  await ae.fit(train.x, train.y);
  const restored = estimatorFromState(JSON.parse(JSON.stringify(ae.toJSON())), ae.getWeights());
  assert.ok(restored instanceof Autoencoder);
  const expected = await ae.predictProba(holdout.x);
  assert.deepEqual((await restored.predictProba(holdout.x)).data, expected.data);
  assert.deepEqual((await restored.transform(holdout.x)).data, (await ae.transform(holdout.x)).data);
  assert.equal(restored.errorScale, ae.errorScale);
  await restored.useNetworkRunners(onnxRunnerFactory());
  const onnx = await restored.predictProba(holdout.x);
  for (let i = 0; i < onnx.data.length; i++) {
    assert.ok(Math.abs((onnx.data[i] as number) - (expected.data[i] as number)) < 1e-5, `row ${i >> 1}`);
  }
  restored.disposeRunner();
  const [network] = ae.networks();
  assert.deepEqual(
    network?.spec.layers.map((l) => (l.type === 'dense' ? l.units : l.type)),
    [16, 2, 16, COLS],
  );
});

test('misuse is refused with typed errors', async () => {
  const ae = new Autoencoder({ seed: 1 });
  await assert.rejects(() => ae.transform(rows(3, 1, 0).x), NotFittedError);
  for (const params of [
    { earlyStopping: { monitor: 'val_auc' as const } },
    { task: 'regression' as const },
    { contamination: 0.6 },
    { codeUnits: 0 },
    { hiddenLayers: [8, 0] },
    { trainOn: 'positives' as never },
    { activation: 'gelu' as never },
  ]) {
    assert.throws(
      () => new Autoencoder({ seed: 1, ...params }),
      (e: unknown) => e instanceof ConfigError && e.code === 'bad_param',
      JSON.stringify(params),
    );
  }
});
