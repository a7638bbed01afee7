import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotFittedError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { Random } from '../random.js';
import { EnsembleClassifier, type EnsembleParams, memberFlavour } from './ensemble.js';
import { estimatorFromState } from './index.js';

/** A mostly linear signal plus an XOR-like interaction: both model families have something to add. */
function mixedData(n: number, seed: number): { x: Matrix; y: Float32Array } {
  const rng = new Random(seed);
  const p = 4;
  const x: Matrix = { data: new Float32Array(n * p), nRows: n, nCols: p };
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < p; j++) x.data[i * p + j] = rng.normal();
    const [a, b, c] = [x.data[i * p] as number, x.data[i * p + 1] as number, x.data[i * p + 2] as number];
    const logit = 0.8 * a - 0.6 * b + 1.2 * Math.sign(b * c);
    y[i] = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
  }
  return { x, y };
}

const fast: EnsembleParams = {
  task: 'binary',
  seed: 5,
  nMembers: 2,
  mlp: { hiddenLayers: [{ units: 16, dropout: 0.1 }], epochs: 15, learningRate: 0.01, batchSize: 64 },
};

test('chooses the blend weight on validation and blends between its members', async () => {
  const { x, y } = mixedData(800, 1);
  const model = await new EnsembleClassifier(fast).fit(x, y);
  assert.equal(model.members.length, 2);
  const scores = model.blendScores;
  assert.equal(scores.length, 21);
  const best = Math.max(...scores.map((s) => s.score));
  assert.equal(scores.find((s) => s.weight === model.blendWeight)?.score, best);
  assert.ok([0.01, 0.1, 1].includes(model.linear.params.c as number));
  // History tags each network's epochs.
  assert.deepEqual([...new Set(model.history.map((h) => h.member))], [0, 1]);

  const test = mixedData(300, 2);
  const p = (await model.predictProba(test.x)).data;
  const parts = [...model.members, model.linear];
  const partP = await Promise.all(parts.map(async (m) => (await m.predictProba(test.x)).data));
  for (let i = 0; i < test.x.nRows; i++) {
    const own = partP.map((q) => q[2 * i + 1] as number);
    const v = p[2 * i + 1] as number;
    assert.ok(v >= Math.min(...own) - 1e-6 && v <= Math.max(...own) + 1e-6, `row ${i}: ${v} outside ${own}`);
  }
  assert.deepEqual(
    await model.predict(test.x),
    p.filter((_, i) => i % 2 === 1).map((v) => (v > 0.5 ? 1 : 0)),
  );
  // The blend itself: (1 − w) · mean(network logits) + w · logistic logit, with the chosen w.
  const w = model.blendWeight;
  const z = (await model.decisionFunction(test.x)).data;
  const memberZ = await Promise.all(model.members.map(async (m) => (await m.decisionFunction(test.x)).data));
  const linearZ = (await model.linear.decisionFunction(test.x)).data;
  for (let i = 0; i < test.x.nRows; i++) {
    const mean = memberZ.reduce((s, q) => s + (q[i] as number), 0) / memberZ.length;
    const want = (1 - w) * mean + w * (linearZ[i] as number);
    assert.ok(Math.abs((z[i] as number) - want) < 1e-5, `row ${i}: ${z[i]} ≠ ${want}`);
  }
});

test('members get different flavours and derived seeds', async () => {
  assert.deepEqual(memberFlavour(0, 20_000), {});
  assert.deepEqual(memberFlavour(1, 20_000), { batchNorm: true });
  assert.equal(memberFlavour(1, 500).hiddenLayers?.[0]?.activation, 'elu');
  assert.equal(memberFlavour(2, 500).hiddenLayers?.[0]?.activation, 'selu');
  assert.deepEqual(memberFlavour(3, 500), {});
  const { x, y } = mixedData(300, 3);
  const model = await new EnsembleClassifier({ ...fast, nMembers: 3, mlp: { ...fast.mlp, epochs: 2 } }).fit(x, y);
  const seeds = model.members.map((m) => m.params.seed);
  assert.equal(new Set(seeds).size, 3);
  assert.equal(model.members[1]?.params.hiddenLayers?.[0]?.activation, 'elu');
  const same = await new EnsembleClassifier({ ...fast, memberFlavours: false, mlp: { ...fast.mlp, epochs: 2 } }).fit(
    x,
    y,
  );
  assert.equal(same.members[1]?.params.hiddenLayers?.[0]?.activation, undefined);
});

test('state round trip reproduces predictions exactly', async () => {
  const { x, y } = mixedData(400, 4);
  const model = await new EnsembleClassifier({ ...fast, mlp: { ...fast.mlp, epochs: 3 } }).fit(x, y);
  const restored = estimatorFromState(JSON.parse(JSON.stringify(model.toJSON())), model.getWeights());
  assert.equal(restored.kind, 'ensemble');
  assert.deepEqual((await restored.predictProba(x)).data, (await model.predictProba(x)).data);
  assert.ok(model.getWeights().some((w) => w.name === 'mlp_1/output/kernel'));
  assert.ok(model.getWeights().some((w) => w.name === 'logistic/kernel'));
});

test('multiclass and regression blend too', async () => {
  const rng = new Random(6);
  const n = 450;
  const x: Matrix = { data: new Float32Array(n * 2), nRows: n, nCols: 2 };
  const yClass = new Float32Array(n);
  const yReal = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % 3;
    x.data[2 * i] = ([0, 2, -2][k] as number) + rng.normal(0, 0.7);
    x.data[2 * i + 1] = ([2, -1, -1][k] as number) + rng.normal(0, 0.7);
    yClass[i] = k;
    yReal[i] = 50 + 10 * (x.data[2 * i] as number) + 5 * Math.sin(x.data[2 * i + 1] as number);
  }
  const multi = await new EnsembleClassifier({ ...fast, task: 'multiclass' }).fit(x, yClass);
  const proba = await multi.predictProba(x);
  assert.equal(proba.nCols, 3);
  const acc = (await multi.predict(x)).filter((v, i) => v === yClass[i]).length / n;
  assert.ok(acc > 0.85, `accuracy ${acc}`);
  const reg = await new EnsembleClassifier({ ...fast, task: 'regression' }).fit(x, yReal);
  const pred = await reg.predict(x);
  const mse = pred.reduce((s, v, i) => s + (v - (yReal[i] as number)) ** 2, 0) / n;
  assert.ok(mse < 5, `mse ${mse}`); // the target's variance is ≈ 330
  const restored = estimatorFromState(reg.toJSON(), reg.getWeights());
  assert.deepEqual(await restored.predict(x), pred);
});

test('not fitted', async () => {
  const model = new EnsembleClassifier({ task: 'binary', seed: 1 });
  assert.throws(() => model.blendWeight, NotFittedError);
  await assert.rejects(model.predictProba(mixedData(3, 1).x), NotFittedError);
});
