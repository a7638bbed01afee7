import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readBundle } from '../bundle/index.js';
import { ConfigError } from '../errors.js';
import { builtinFeatureSpec } from '../features/index.js';
import type { Matrix } from '../matrix.js';
import { Random } from '../random.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import type { AugmentedRows } from './augment.js';
import { fitAndMeasure } from './fit-and-measure.js';
import { runFraudBenchmarkJob } from './fraud-benchmark-job.js';
import { runTrainJob } from './train-job.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-augment-'));
after(() => rm(dir, { recursive: true, force: true }));

/** 1,200 applications, about 12 % bad, with numeric, categorical and missing values and a split column. */
function applicationsCsv(): string {
  const rng = new Random(4);
  const lines = ['app_id,income,utilisation,region,months,bad,is_test'];
  for (let i = 0; i < 1200; i++) {
    const income = Math.round(20000 + 60000 * rng.next());
    const utilisation = rng.next();
    const region = ['north', 'south', 'east'][rng.int(3)] as string;
    const months = rng.next() < 0.1 ? '' : String(rng.int(60));
    const z = -3 + 3 * utilisation - income / 60000 + (region === 'east' ? 0.7 : 0) + rng.normal(0, 0.3);
    const bad = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    lines.push(`A${i},${income},${utilisation.toFixed(3)},${region},${months},${bad},${i % 4 === 0 ? 1 : 0}`);
  }
  return `${lines.join('\n')}\n`;
}

const data = join(dir, 'applications.csv');
await writeFile(data, applicationsCsv());

describe('augmentation of the training part', () => {
  test('fitAndMeasure hands the augmenter only the fitted rows; validation and test stay real', async () => {
    const rng = new Random(2);
    const n = 600;
    const x: Matrix = { data: new Float32Array(n * 2), nRows: n, nCols: 2 };
    const y = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      x.data[2 * i] = rng.normal();
      x.data[2 * i + 1] = rng.normal();
      y[i] = (x.data[2 * i] as number) + rng.normal() > 1.5 ? 1 : 0;
    }
    const trainRows = Int32Array.from({ length: 450 }, (_, i) => i);
    const testRows = Int32Array.from({ length: 150 }, (_, i) => 450 + i);
    const seen: Int32Array[] = [];
    const inputs = (rows: Int32Array): Matrix => {
      const out = new Float32Array(rows.length * 2);
      rows.forEach((r, i) => {
        out.set(x.data.subarray(2 * r, 2 * r + 2), 2 * i);
      });
      return { data: out, nRows: rows.length, nCols: 2 };
    };
    const base = {
      model: 'logistic' as const,
      task: 'binary' as const,
      classes: ['0', '1'],
      y,
      trainRows,
      testRows,
      inputs,
      seed: 1,
    };
    const plain = await fitAndMeasure(base);
    const augmented = await fitAndMeasure({
      ...base,
      augment: async (fitRows): Promise<AugmentedRows> => {
        seen.push(fitRows);
        const extra = inputs(fitRows.filter((r) => y[r] === 1));
        return {
          x: extra,
          y: new Float32Array(extra.nRows).fill(1),
          record: {
            kind: 'copy',
            ratio: 1,
            minorityClass: '1',
            minorityRows: extra.nRows,
            rowsAdded: extra.nRows,
            fittedOn: 'training-minority-rows',
            synthMs: 0,
          },
        };
      },
    });
    assert.equal(seen.length, 1);
    const fitRows = seen[0] as Int32Array;
    const fitSet = new Set(fitRows);
    assert.ok(
      fitRows.every((r) => r < 450),
      'no test row reaches the augmenter',
    );
    // The validation slice is 15 % of the training part and none of it is among the fitted rows.
    assert.equal(fitRows.length, 450 - (plain.validationMetrics.nRows as number));
    assert.equal(augmented.validationMetrics.nRows, plain.validationMetrics.nRows);
    assert.equal(augmented.metrics.nRows, 150);
    assert.equal(fitSet.size, fitRows.length);
    const added = augmented.augmentation?.rowsAdded ?? 0;
    assert.ok(added > 10);
    assert.equal(augmented.fitRowCount, fitRows.length + added);
    assert.equal(plain.fitRowCount, fitRows.length);
    await assert.rejects(
      fitAndMeasure({ ...base, task: 'regression', augment: async () => Promise.reject(new Error('not called')) }),
      ConfigError,
    );
  });

  for (const kind of ['smote', 'gaussian-copula']) {
    test(`train --augment ${kind}: minority rows added to the fitted rows, recorded in the manifest`, async () => {
      const common = {
        dataPath: data,
        target: 'bad',
        model: 'logistic' as const,
        split: { kind: 'column' as const, column: 'is_test' },
        seed: 3,
      };
      const plain = await runTrainJob({ ...common, outDir: join(dir, `plain-${kind}`) });
      const result = await runTrainJob({ ...common, outDir: join(dir, kind), augment: { kind, ratio: 1.5 } });
      const record = result.augmentation;
      assert.ok(record);
      assert.equal(record.kind, kind);
      assert.equal(record.minorityClass, '1');
      assert.equal(record.rowsAdded, Math.round(1.5 * record.minorityRows));
      // The parts are the real ones: same training and test rows, same validation slice size.
      assert.equal(result.manifest.data.trainRows, plain.manifest.data.trainRows);
      assert.equal(result.manifest.data.testRows, 300);
      assert.equal(result.validationMetrics.nRows, plain.validationMetrics.nRows);
      assert.equal(result.metrics.nRows, 300);
      const fittedRows = (plain.manifest.data.trainRows as number) - (plain.validationMetrics.nRows as number);
      assert.ok(record.minorityRows > 30 && record.minorityRows < fittedRows / 3, 'the minority is the bad class');
      const { manifest } = await readBundle(join(dir, kind));
      assert.deepEqual(manifest.data.augmentation, { ...record });
      // The augmented model still learns the signal.
      assert.ok((result.metrics.auc as number) > 0.7, `auc ${result.metrics.auc}`);
    });
  }

  test('bad augment options are refused with a message naming the flag', async () => {
    const options = {
      dataPath: data,
      target: 'bad',
      model: 'logistic' as const,
      split: { kind: 'random' as const, testFraction: 0.25 },
      seed: 1,
      outDir: join(dir, 'never'),
    };
    await assert.rejects(
      runTrainJob({ ...options, augment: { kind: 'gan', ratio: 1 } }),
      /--augment gan is not available/,
    );
    await assert.rejects(runTrainJob({ ...options, augment: { kind: 'smote', ratio: 0 } }), /--augment-ratio/);
    await assert.rejects(
      runTrainJob({ ...options, task: 'regression', target: 'income', augment: { kind: 'smote', ratio: 1 } }),
      /needs --task binary/,
    );
    await assert.rejects(
      runTrainJob({ ...options, model: 'autoencoder', augment: { kind: 'smote', ratio: 1 } }),
      /does not apply to --model autoencoder/,
    );
  });

  test('the fraud benchmark augments the training week of per-transaction models only', async () => {
    const common = {
      dataPath: join(SHARED_DATA, 'fraud_sim', 'sample_2w.csv'),
      models: ['logistic'] as const,
      seeds: [1],
      trainStart: '2018-04-01',
      trainDays: 5,
      delayDays: 3,
      testDays: 5,
    };
    const result = await runFraudBenchmarkJob({ ...common, augment: { kind: 'smote', ratio: 2 } });
    const logistic = result.models.logistic;
    assert.ok(logistic?.augmentation);
    assert.equal(logistic.augmentation.minorityRows, result.data.trainFrauds);
    assert.equal(logistic.augmentation.rowsAdded, 2 * result.data.trainFrauds);
    assert.ok(logistic.auc > 0.6, `auc ${logistic.auc}`);
    await assert.rejects(
      runFraudBenchmarkJob({ ...common, models: ['lstm'], augment: { kind: 'smote', ratio: 1 } }),
      /--augment makes single rows of features for classifiers; leave out lstm/,
    );
  });

  test('train --features augments the replayed feature rows of per-transaction models; sequence models are refused', async () => {
    const options = {
      dataPath: join(SHARED_DATA, 'fraud_sim', 'sample_2w.csv'),
      target: 'TX_FRAUD',
      model: 'logistic' as const,
      split: { kind: 'time' as const, column: 'TX_DATETIME', testFrom: '2018-04-10' },
      seed: 2,
      features: { spec: builtinFeatureSpec('fraud-handbook') },
    };
    const result = await runTrainJob({
      ...options,
      outDir: join(dir, 'features'),
      augment: { kind: 'gaussian-copula', ratio: 2 },
    });
    const record = result.augmentation;
    assert.ok(record);
    assert.equal(record.minorityClass, '1');
    assert.equal(record.rowsAdded, 2 * record.minorityRows);
    assert.ok(record.minorityRows > 20);
    const { manifest } = await readBundle(join(dir, 'features'));
    assert.deepEqual(manifest.data.augmentation, { ...record });
    assert.ok((result.metrics.auc as number) > 0.6, `auc ${result.metrics.auc}`);
    await assert.rejects(
      runTrainJob({ ...options, model: 'lstm', outDir: join(dir, 'lstm'), augment: { kind: 'smote', ratio: 1 } }),
      /--model lstm reads sequences of transactions/,
    );
  });
});
