// Acceptance on the shared real credit data sets, through runTrainJob: exactly what
// `vigil train --json` runs (file → split → pipeline → 15 % validation → model → test metrics).
//
// Targets (references measured on this machine with the same split):
//   Taiwan (22,471 train / 7,529 test, split by _is_test): mlp AUC ≥ 0.775 and KS ≥ 0.41,
//     ensemble AUC ≥ 0.778 (XGBoost 0.778, PyTorch MLP 0.775, logistic 0.722).
//   German (743 / 257, positive = bad): mlp mean test AUC over seeds 1–3 ≥ 0.79
//     (XGBoost 0.806, logistic 0.785).
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { ModelKind } from '../models/index.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { runTrainJob } from './index.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-acceptance-'));
after(() => rm(dir, { recursive: true, force: true }));

async function train(file: string, model: ModelKind, seed: number, positive?: string) {
  const result = await runTrainJob({
    dataPath: join(SHARED_DATA, file),
    target: 'target',
    ...(positive ? { positive } : {}),
    model,
    split: { kind: 'column', column: '_is_test' },
    seed,
    outDir: join(dir, `${file}-${model}-${seed}`),
  });
  return result.metrics as { auc: number; ks: number; ap: number; f1: number };
}

test('Taiwan: mlp AUC ≥ 0.775 and KS ≥ 0.41', async (t) => {
  const m = await train('taiwan_credit.csv', 'mlp', 1);
  t.diagnostic(`mlp auc ${m.auc.toFixed(4)} ks ${m.ks.toFixed(4)}`);
  assert.ok(m.auc >= 0.775, `auc ${m.auc}`);
  assert.ok(m.ks >= 0.41, `ks ${m.ks}`);
});

test('Taiwan: ensemble AUC ≥ 0.778', async (t) => {
  const m = await train('taiwan_credit.csv', 'ensemble', 1);
  t.diagnostic(`ensemble auc ${m.auc.toFixed(4)} ks ${m.ks.toFixed(4)}`);
  assert.ok(m.auc >= 0.778, `auc ${m.auc}`);
});

test('German: mlp mean test AUC over seeds 1–3 ≥ 0.79, and the same seed gives the same metrics', async (t) => {
  const runs = [];
  for (const seed of [1, 2, 3]) runs.push(await train('german_credit.csv', 'mlp', seed, 'bad'));
  const aucs = runs.map((m) => m.auc);
  const mean = aucs.reduce((a, b) => a + b, 0) / aucs.length;
  t.diagnostic(`mlp auc per seed ${aucs.map((a) => a.toFixed(4)).join(', ')}; mean ${mean.toFixed(4)}`);
  assert.ok(mean >= 0.79, `mean auc ${mean}`);
  const again = await train('german_credit.csv', 'mlp', 1, 'bad');
  assert.deepEqual(again, runs[0]);
});
