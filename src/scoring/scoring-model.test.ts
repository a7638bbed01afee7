import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readTable } from '../data/index.js';
import type { Table } from '../data/table.js';
import { tf } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { loadScoringModel, runPredictJob, type ScoringEngine } from './index.js';
import { trainTestBundle, writeTestApplications } from './test-bundles.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-engines-'));
after(() => rm(root, { recursive: true, force: true }));

let dataPath = '';
let table: Table;
const bundles: Record<string, string> = {};

before(async () => {
  dataPath = await writeTestApplications(root);
  table = (await readTable(dataPath)).table;
  bundles.mlp = await trainTestBundle(dataPath, root, 'mlp', { model: 'mlp' });
  bundles.mlpBatchNorm = await trainTestBundle(dataPath, root, 'mlp-bn', {
    model: 'mlp',
    modelParams: { batchNorm: true, hiddenLayers: [{ units: 16, activation: 'gelu', dropout: 0.2 }] },
  });
  bundles.regression = await trainTestBundle(dataPath, root, 'regression', { model: 'mlp', task: 'regression' });
  bundles.multiclass = await trainTestBundle(dataPath, root, 'multiclass', { model: 'mlp', task: 'multiclass' });
  bundles.ensemble = await trainTestBundle(dataPath, root, 'ensemble', { model: 'ensemble', epochs: 2 });
  bundles.logistic = await trainTestBundle(dataPath, root, 'logistic', { model: 'logistic' });
});

/** |a − b| ≤ 1e-5, relative to |b| when it exceeds 1 (regression predictions are in target units). */
function assertClose(actual: Float32Array, expected: Float32Array, what: string): void {
  assert.equal(actual.length, expected.length, what);
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] as number;
    const err = Math.abs((actual[i] as number) - e) / Math.max(1, Math.abs(e));
    assert.ok(err <= 1e-5, `${what}: value ${i}: onnx ${actual[i]}, tfjs ${expected[i]}`);
  }
}

async function scores(dir: string, engine: ScoringEngine): Promise<Float32Array> {
  const tensorsBefore = tf.memory().numTensors;
  const model = await loadScoringModel(dir, { engine });
  try {
    assert.equal(model.engine, engine);
    // `engine` only names the choice; the runtime really used shows in where the weights live
    // (TF.js tensors, or onnxruntime's native memory), else the two sides could be the same runtime.
    const tensorsHeld = tf.memory().numTensors - tensorsBefore;
    if (engine === 'tfjs') assert.ok(tensorsHeld > 0, 'the tfjs engine holds the weights as TF.js tensors');
    else assert.equal(tensorsHeld, 0, 'the onnx engine holds no TF.js tensors');
    return (await model.scoreTable(table)).data;
  } finally {
    model.dispose();
  }
}

describe('loadScoringModel: onnx and tfjs engines agree within 1e-5', () => {
  for (const name of ['mlp', 'mlpBatchNorm', 'regression', 'multiclass', 'ensemble']) {
    test(`${name} bundle, every row`, async () => {
      const dir = bundles[name] as string;
      assertClose(await scores(dir, 'onnx'), await scores(dir, 'tfjs'), name);
    });
  }

  test('network models default to onnx; a logistic model has no engine and ignores the option', async () => {
    const mlp = await loadScoringModel(bundles.mlp as string);
    assert.equal(mlp.engine, 'onnx');
    mlp.dispose();
    const logistic = await loadScoringModel(bundles.logistic as string, { engine: 'tfjs' });
    assert.equal(logistic.engine, undefined);
    assert.equal((await logistic.scoreTable(table)).nCols, 2);
    logistic.dispose();
  });

  test('an unknown engine is refused', async () => {
    await assert.rejects(
      loadScoringModel(bundles.mlp as string, { engine: 'torch' as ScoringEngine }),
      (e: unknown) =>
        e instanceof ConfigError && e.code === 'bad_option' && /engine must be one of onnx, tfjs/.test(e.message),
    );
  });

  test('dispose frees the TF.js tensors of the tfjs engine', async () => {
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const model = await loadScoringModel(bundles.ensemble as string, { engine: 'tfjs' });
      await model.scoreTable(table);
      model.dispose();
    }
    assert.equal(tf.memory().numTensors, before);
  });
});

describe('runPredictJob with both engines', () => {
  test('writes the same scores (within 1e-5) and decisions, and reports the engine', async () => {
    const outputs: Record<string, string[]> = {};
    for (const engine of ['onnx', 'tfjs'] as const) {
      const outPath = join(root, `scores-${engine}.csv`);
      const result = await runPredictJob({
        modelDir: bundles.mlp as string,
        dataPath,
        outPath,
        engine,
        batchRows: 700,
      });
      assert.equal(result.engine, engine);
      assert.equal(result.rows, table.nRows);
      outputs[engine] = (await readFile(outPath, 'utf8')).trim().split('\n');
    }
    const [onnx, tfjsLines] = [outputs.onnx as string[], outputs.tfjs as string[]];
    assert.equal(onnx[0], 'application_id,score,decision');
    assert.equal(onnx.length, tfjsLines.length);
    let decisionsDiffer = 0;
    for (let i = 1; i < onnx.length; i++) {
      const [idA, scoreA, decisionA] = (onnx[i] as string).split(',');
      const [idB, scoreB, decisionB] = (tfjsLines[i] as string).split(',');
      assert.equal(idA, idB);
      assert.ok(Math.abs(Number(scoreA) - Number(scoreB)) <= 1e-5, `row ${i}: ${scoreA} vs ${scoreB}`);
      if (decisionA !== decisionB) decisionsDiffer++;
    }
    // A decision can only flip for a score within 1e-5 of the threshold.
    assert.ok(decisionsDiffer <= 1, `${decisionsDiffer} decisions differ`);
  });
});
