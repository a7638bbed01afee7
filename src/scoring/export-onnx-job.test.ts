import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readBundle } from '../bundle/index.js';
import { readTable } from '../data/index.js';
import type { Table } from '../data/table.js';
import { createTfjsRunner } from '../engine/index.js';
import { ConfigError, DataError } from '../errors.js';
import { isNetworkEstimator } from '../models/index.js';
import { createOnnxRunnerFromBytes } from '../onnx/index.js';
import { loadScoringModel, runExportJob } from './index.js';
import { trainTestBundle, writeTestApplications } from './test-bundles.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-export-'));
after(() => rm(root, { recursive: true, force: true }));

let table: Table;
let mlpDir = '';
let ensembleDir = '';
let logisticDir = '';

before(async () => {
  const dataPath = await writeTestApplications(root, 2000);
  table = (await readTable(dataPath)).table;
  mlpDir = await trainTestBundle(dataPath, root, 'mlp', { model: 'mlp' });
  ensembleDir = await trainTestBundle(dataPath, root, 'ensemble', { model: 'ensemble', epochs: 2 });
  logisticDir = await trainTestBundle(dataPath, root, 'logistic', { model: 'logistic' });
});

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

describe('runExportJob', () => {
  test('an mlp bundle exports to DIR/model.onnx, listed in SHA256SUMS; the file scores like the bundle', async () => {
    const manifestBefore = await readFile(join(mlpDir, 'manifest.json'));
    const result = await runExportJob({ modelDir: mlpDir, format: 'onnx' });
    assert.deepEqual(
      result.files.map((f) => [f.network, f.path, f.checksummed]),
      [['mlp', join(mlpDir, 'model.onnx'), true]],
    );
    assert.match(result.notes.join('\n'), /apply sigmoid/);
    assert.deepEqual(await readFile(join(mlpDir, 'manifest.json')), manifestBefore);
    assert.match(await readFile(join(mlpDir, 'SHA256SUMS'), 'utf8'), /^[0-9a-f]{64} {2}model\.onnx$/m);
    const bytes = (await readBundle(mlpDir)).files['model.onnx'] as Uint8Array;
    assert.ok(Buffer.from(bytes).includes('vigil.feature_names'), 'feature names in the metadata');

    const model = await loadScoringModel(mlpDir);
    const runner = await createOnnxRunnerFromBytes(bytes);
    try {
      const x = model.pipeline.transform(table);
      const logits = await runner.run(x.data, x.nRows);
      const proba = await model.scoreTable(table);
      for (let r = 0; r < table.nRows; r++) {
        assert.ok(Math.abs(sigmoid(logits[r] as number) - (proba.data[2 * r + 1] as number)) < 1e-5, `row ${r}`);
      }
    } finally {
      runner.dispose();
      model.dispose();
    }
    // Exporting again replaces the file; the bundle still verifies.
    await runExportJob({ modelDir: mlpDir, format: 'onnx' });
    await readBundle(mlpDir);
  });

  test('an ensemble exports one file per member network, each equal to the TF.js forward pass', async () => {
    const out = join(root, 'exported', 'pd.onnx');
    await rm(join(root, 'exported'), { recursive: true, force: true });
    await mkdir(join(root, 'exported'));
    const result = await runExportJob({ modelDir: ensembleDir, format: 'onnx', outPath: out });
    assert.deepEqual(
      result.files.map((f) => [f.network, f.path, f.checksummed]),
      ['mlp_0', 'mlp_1', 'mlp_2'].map((n) => [n, join(root, 'exported', `pd-${n}.onnx`), false]),
    );
    assert.match(result.notes.join('\n'), /logistic model/);
    // Written outside the bundle: the bundle is untouched.
    assert.doesNotMatch(await readFile(join(ensembleDir, 'SHA256SUMS'), 'utf8'), /onnx/);

    const model = await loadScoringModel(ensembleDir, { engine: 'tfjs' });
    try {
      const estimator = model.estimator;
      assert.ok(estimator && isNetworkEstimator(estimator));
      const x = model.pipeline.transform(table);
      for (const [i, network] of estimator.networks().entries()) {
        const onnx = await createOnnxRunnerFromBytes(await readFile(result.files[i]?.path as string));
        const tfjs = await createTfjsRunner(network.spec, network.weights);
        const a = await onnx.run(x.data, x.nRows);
        const b = await tfjs.run(x.data, x.nRows);
        for (let j = 0; j < b.length; j++) assert.ok(Math.abs((a[j] as number) - (b[j] as number)) < 1e-5);
        onnx.dispose();
        tfjs.dispose();
      }
    } finally {
      model.dispose();
    }
  });

  test('a logistic bundle is refused: export applies to network models', async () => {
    await assert.rejects(
      runExportJob({ modelDir: logisticDir, format: 'onnx' }),
      (e: unknown) =>
        e instanceof DataError &&
        e.code === 'not_a_network' &&
        /holds a logistic model; export applies to network models/.test(e.message),
    );
    assert.ok(!(await readdir(logisticDir)).includes('model.onnx'));
  });

  test('an output directory that does not exist, a reserved name and a bad format are refused', async () => {
    await assert.rejects(
      runExportJob({ modelDir: mlpDir, format: 'onnx', outPath: join(root, 'nowhere', 'm.onnx') }),
      (e: unknown) => e instanceof ConfigError && e.code === 'unwritable_file' && /nowhere/.test(e.message),
    );
    await assert.rejects(
      runExportJob({ modelDir: mlpDir, format: 'onnx', outPath: join(mlpDir, 'weights.bin') }),
      /cannot be a bundle file name/,
    );
    await assert.rejects(runExportJob({ modelDir: mlpDir, format: 'pb' as 'onnx' }), ConfigError);
    await readBundle(mlpDir);
  });
});
