import assert from 'node:assert/strict';
import { test } from 'node:test';
import { initRuntime, type tf as tfNamespace } from '../engine/index.js';
import { ConfigError, NotFittedError } from '../errors.js';
import { Random } from '../random.js';
import {
  type CriticSpec,
  CtganSynthesizer,
  criticLoss,
  FoldedGenerator,
  type GeneratorSpec,
  generatorForward,
} from './ctgan.js';
import { columnMean, columnShapeScore, missingShare, relationTable, shareOf } from './test-fixtures.js';

const tf = await initRuntime();
type Tensor = tfNamespace.Tensor;

test('the WGAN-GP critic loss has the right second-order gradient on wasm (finite differences)', () => {
  const spec: CriticSpec = { rowWidth: 3, pac: 2, dims: [5] };
  const rng = new Random(11);
  const shapes = [[6, 5], [5], [5, 1], [1]];
  const weights = shapes.map((s) => {
    const v = new Float64Array(s.reduce((a, b) => a * b, 1));
    for (let i = 0; i < v.length; i++) v[i] = rng.normal(0, 0.8);
    return v;
  });
  const data = (rows: number) => {
    const v = new Float32Array(rows * 3);
    for (let i = 0; i < v.length; i++) v[i] = rng.normal();
    return v;
  };
  const real = data(4);
  const fake = data(4);
  const alpha = Float32Array.from([0.3, 0.3, 0.8, 0.8]);
  const mask = Float32Array.from([2, 0, 2, 2, 2, 2, 2, 0, 2, 2]);
  const lossOf = (ws: Tensor[]) =>
    criticLoss(
      tf,
      spec,
      ws,
      tf.tensor2d(real, [4, 3]),
      tf.tensor2d(fake, [4, 3]),
      tf.tensor2d(alpha, [4, 1]),
      { real: [tf.tensor2d(mask, [2, 5])], fake: [undefined], mixed: [tf.tensor2d(mask, [2, 5])] },
      10,
    ).loss;
  const before = tf.memory().numTensors;
  const analytic = tf.tidy(() => {
    const ws = weights.map((w, i) => tf.tensor(Float32Array.from(w), shapes[i]));
    const grads = tf.grads((...args: Tensor[]) => lossOf(args))(ws);
    return grads.map((g) => Array.from(g.dataSync()));
  });
  assert.equal(tf.memory().numTensors, before, 'no tensors leak');
  const value = (ws: Float64Array[]) =>
    tf.tidy(() => lossOf(ws.map((w, i) => tf.tensor(Float32Array.from(w), shapes[i]))).dataSync()[0] as number);
  const h = 1e-2;
  let worst = 0;
  let checked = 0;
  for (const [k, w] of weights.entries()) {
    for (let i = 0; i < w.length; i++) {
      const saved = w[i] as number;
      w[i] = saved + h;
      const up = value(weights);
      w[i] = saved - h;
      const down = value(weights);
      w[i] = saved;
      const numeric = (up - down) / (2 * h);
      const a = analytic[k]?.[i] as number;
      worst = Math.max(worst, Math.abs(numeric - a) / (1 + Math.abs(numeric)));
      checked++;
    }
  }
  // The penalty's weight gradient goes through the critic's input gradient: wrong or missing
  // second-order terms would be off by O(1), float32 central differences by ~1e-3.
  assert.equal(checked, 6 * 5 + 5 + 5 + 1);
  assert.ok(worst < 2e-2, `worst relative difference ${worst}`);
});

test('ctgan: refuses bad params, and sample before fit', async () => {
  assert.throws(() => new CtganSynthesizer({ seed: 1, batchSize: 55, pac: 10 }), ConfigError);
  await assert.rejects(new CtganSynthesizer({ seed: 1 }).sample(5), NotFittedError);
  assert.throws(() => new CtganSynthesizer({ seed: 1 }).toJSON(), NotFittedError);
});

test('ctgan: learns a relation, samples conditions exactly, restores from state, keeps tensors flat', async () => {
  const table = relationTable(2000, 5);
  const gan = new CtganSynthesizer({
    seed: 3,
    epochs: 40,
    batchSize: 200,
    generatorDims: [64, 64],
    criticDims: [64, 64],
    embeddingDim: 32,
    learningRate: 1e-3,
  });
  const tensorsBefore = tf.memory().numTensors;
  await gan.fit(table);
  assert.equal(tf.memory().numTensors, tensorsBefore, 'fit() leaves no tensors or variables behind');
  assert.equal(gan.history.length, 40);
  for (const h of gan.history)
    assert.ok(Number.isFinite(h.criticLoss as number) && Number.isFinite(h.generatorLoss as number));

  const free = await gan.sample(2000, { seed: 1 });
  assert.deepEqual(
    free.columns.map((c) => [c.name, c.kind]),
    table.columns.map((c) => [c.name, c.kind]),
  );
  const shapes = columnShapeScore(table, free);
  assert.ok(shapes > 0.75, `column shapes ${shapes}`);
  assert.ok(missingShare(free, 'amount') > 0.01 && missingShare(free, 'amount') < 0.12, 'missing amounts kept');

  const b = await gan.sample(3000, { conditions: { segment: 'b' }, seed: 2 });
  assert.equal(shareOf(b, 'segment', 'b'), 1, 'every row carries the condition');
  const a = await gan.sample(3000, { conditions: { segment: 'a' }, seed: 2 });
  assert.equal(shareOf(a, 'segment', 'a'), 1);
  // The condition drives the rest of the row: segment b's amounts are far larger.
  assert.ok(
    columnMean(b, 'amount') > columnMean(a, 'amount') + 1500,
    `${columnMean(b, 'amount')} vs ${columnMean(a, 'amount')}`,
  );
  assert.equal(shareOf(await gan.sample(500, { conditions: { flag: 'true' }, seed: 4 }), 'flag', 'true'), 1);
  await assert.rejects(
    gan.sample(10, { conditions: { segment: 'c' } }),
    (e: unknown) => e instanceof ConfigError && e.code === 'unknown_condition_value',
  );
  await assert.rejects(
    gan.sample(10, { conditions: { score: '1' } }),
    (e: unknown) => e instanceof ConfigError && e.code === 'numeric_condition_column',
  );

  const state = JSON.parse(JSON.stringify(gan.toJSON()));
  const restored = await CtganSynthesizer.fromState(state, gan.getWeights());
  const again = await restored.sample(700, { conditions: { segment: 'b' }, seed: 9 });
  assert.deepEqual(again, await gan.sample(700, { conditions: { segment: 'b' }, seed: 9 }));
  assert.deepEqual(await restored.sample(300, { seed: 5 }), await gan.sample(300, { seed: 5 }));

  await gan.sample(100, { seed: 1 });
  const before = tf.memory().numTensors;
  for (let i = 0; i < 20; i++) await gan.sample(100, { seed: i });
  assert.equal(tf.memory().numTensors, before, 'sample() leaves no tensors behind');
});

test('the sampling generator (batch norm folded, SIMD stacks) matches the TF.js generator in eval mode', () => {
  const spec: GeneratorSpec = { input: 7, dims: [16, 12], output: 9 };
  const rng = new Random(4);
  const shapes: number[][] = [];
  let width = spec.input;
  for (const d of spec.dims) {
    shapes.push([width, d], [d], [d], [d], [d], [d]);
    width += d;
  }
  shapes.push([width, spec.output], [spec.output]);
  const values = shapes.map((shape, i) => {
    const v = new Float32Array(shape.reduce((a, b) => a * b, 1));
    // moving_variance (slot 5 of each block) must be positive.
    for (let j = 0; j < v.length; j++) v[j] = i % 6 === 5 && i < 12 ? 0.2 + rng.next() : rng.normal(0, 0.7);
    return v;
  });
  const rows = 33;
  const input = new Float32Array(rows * spec.input);
  for (let i = 0; i < input.length; i++) input[i] = rng.normal();
  const expected = tf.tidy(() =>
    generatorForward(
      tf,
      spec,
      values.map((v, i) => tf.tensor(v, shapes[i])),
      tf.tensor2d(input, [rows, spec.input]),
      false,
    ).dataSync(),
  );
  const folded = new FoldedGenerator(spec, values);
  const got = folded.forward(input, rows);
  folded.dispose();
  assert.equal(got.length, expected.length);
  let worst = 0;
  for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs((got[i] as number) - (expected[i] as number)));
  assert.ok(worst < 1e-4, `worst difference ${worst}`);
});
