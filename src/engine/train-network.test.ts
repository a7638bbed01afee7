import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Random } from '../random.js';
import { initialWeights } from './initial-weights.js';
import type { LossConfig } from './loss-ops.js';
import type { NetworkSpec } from './network-spec.js';
import { closeReplicaWorkers } from './parallel/replica-pool.js';
import { initRuntime, tf } from './runtime.js';
import { createTfjsRunner } from './tfjs-runner.js';
import { trainGan } from './train-gan.js';
import { trainNetwork } from './train-network.js';
import { rankAuc } from './validation-auc.js';

after(closeReplicaWorkers);

/** Rows whose label depends on a few features non-linearly, shaped [steps, features] when asked. */
function labelledData(nRows: number, seed: number, shape: number[]): { x: Float32Array; y: Float32Array } {
  const rng = new Random(seed);
  const width = shape.reduce((a, b) => a * b, 1);
  const x = new Float32Array(nRows * width);
  const y = new Float32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    for (let i = 0; i < width; i++) x[r * width + i] = rng.normal();
    // The label reads the last values of each row: in a sequence they are the latest step.
    const a = x[r * width + width - 1] as number;
    const b = x[r * width + width - 2] as number;
    y[r] = a * b + 0.3 * a + 0.2 * rng.normal() > 0 ? 1 : 0;
  }
  return { x, y };
}

const MODELS: Record<string, { spec: NetworkSpec; loss: LossConfig }> = {
  mlp: {
    spec: {
      inputShape: [12],
      layers: [
        { type: 'dense', units: 32, useBias: false },
        { type: 'batchNorm' },
        { type: 'activation', activation: 'relu' },
        { type: 'dropout', rate: 0.1 },
        { type: 'dense', units: 16, activation: 'tanh' },
        { type: 'dense', units: 1 },
      ],
    },
    loss: { name: 'binary' },
  },
  lstm: {
    spec: {
      inputShape: [6, 4],
      layers: [
        { type: 'lstm', units: 16 },
        { type: 'dense', units: 1 },
      ],
    },
    loss: { name: 'binary' },
  },
  gru: {
    spec: {
      inputShape: [6, 4],
      layers: [
        { type: 'gru', units: 8, returnSequences: true },
        { type: 'gru', units: 8 },
        { type: 'dense', units: 1 },
      ],
    },
    loss: { name: 'focal' },
  },
  cnn: {
    spec: {
      inputShape: [6, 4],
      layers: [
        { type: 'conv1d', filters: 16, kernelSize: 3, activation: 'relu' },
        { type: 'maxPool1d', poolSize: 2 },
        { type: 'flatten' },
        { type: 'dense', units: 1 },
      ],
    },
    loss: { name: 'binary' },
  },
};

test('two replicas stay bit-identical, the same seed repeats exactly, and a different seed does not', async () => {
  await initRuntime();
  const { x, y } = labelledData(3000, 1, [12]);
  const { spec, loss } = MODELS.mlp as { spec: NetworkSpec; loss: LossConfig };
  const run = (threads: number, seed: number) =>
    trainNetwork({
      spec,
      initialWeights: initialWeights(spec, new Random(seed)),
      x,
      nRows: 3000,
      y,
      loss,
      epochs: 3,
      batchSize: 256,
      seed,
      threads,
    });
  const a = await run(2, 1);
  assert.equal(a.threads, 2);
  assert.equal(a.replicaChecksums.length, 2);
  assert.equal(a.replicaChecksums[0], a.replicaChecksums[1], 'replicas diverged');
  const b = await run(2, 1);
  assert.deepEqual(b.replicaChecksums, a.replicaChecksums);
  assert.deepEqual(b.history, a.history);
  const c = await run(2, 2);
  assert.notEqual(c.replicaChecksums[0], a.replicaChecksums[0]);
  const solo1 = await run(1, 1);
  const solo2 = await run(1, 1);
  assert.equal(solo1.threads, 1);
  assert.deepEqual(solo1.replicaChecksums, solo2.replicaChecksums);
  // One and two replicas compute the same full-batch gradient up to the order of float sums.
  for (const [i, h] of solo1.history.entries()) {
    assert.ok(
      Math.abs(h.loss - (a.history[i]?.loss as number)) < 0.02,
      `epoch ${i}: ${h.loss} vs ${a.history[i]?.loss}`,
    );
  }
});

for (const [name, { spec, loss }] of Object.entries(MODELS)) {
  test(`${name}: learns on one and on two replicas, with early stopping on validation AUC`, async () => {
    const shape = spec.inputShape;
    const train = labelledData(4000, 3, shape);
    const valid = labelledData(1000, 4, shape);
    for (const threads of [1, 2]) {
      const result = await trainNetwork({
        spec,
        initialWeights: initialWeights(spec, new Random(1)),
        x: train.x,
        nRows: 4000,
        y: train.y,
        validation: { x: valid.x, nRows: 1000, y: valid.y },
        loss,
        learningRate: 3e-3,
        epochs: 30,
        batchSize: 128,
        seed: 1,
        threads,
        earlyStopping: { monitor: 'val_auc', patience: 5, minDelta: 0, restoreBestWeights: true },
      });
      assert.equal(new Set(result.replicaChecksums).size, 1);
      const runner = await createTfjsRunner(spec, result.weights);
      const scores = await runner.run(valid.x, 1000);
      runner.dispose();
      const auc = rankAuc(valid.y, scores);
      const best = Math.max(...result.history.map((h) => h.valAuc as number));
      assert.ok(Math.abs(auc - best) < 1e-6, `${name}: restored weights score ${auc}, best epoch ${best}`);
      assert.ok(auc > 0.8, `${name} threads ${threads}: AUC ${auc}`);
      assert.ok((result.history.at(-1)?.loss as number) < (result.history[0]?.loss as number));
    }
  });
}

test('autoencoder: mean squared reconstruction error falls well below the data variance', async () => {
  const rng = new Random(5);
  const n = 2000;
  const x = new Float32Array(n * 8);
  // Eight columns driven by two latent factors: compressible to a 2-unit code.
  for (let r = 0; r < n; r++) {
    const a = rng.normal();
    const b = rng.normal();
    for (let c = 0; c < 8; c++) x[r * 8 + c] = (c % 2 ? a : b) * (1 + c / 8) + 0.05 * rng.normal();
  }
  const spec: NetworkSpec = {
    inputShape: [8],
    layers: [
      { type: 'dense', units: 6, activation: 'tanh' },
      { type: 'dense', units: 2 },
      { type: 'dense', units: 6, activation: 'tanh' },
      { type: 'dense', units: 8 },
    ],
  };
  const result = await trainNetwork({
    spec,
    initialWeights: initialWeights(spec, new Random(1)),
    x,
    nRows: n,
    y: x,
    loss: { name: 'mse' },
    learningRate: 1e-2,
    epochs: 40,
    batchSize: 64,
    seed: 1,
    threads: 2,
  });
  const last = result.history.at(-1)?.loss as number;
  assert.ok(last < 0.1, `reconstruction mse ${last} (variance about 1.3)`);
});

test('GAN: replicas stay identical and the generator moves its rows toward the real distribution', async () => {
  const rng = new Random(9);
  const n = 2048;
  const x = new Float32Array(n * 4);
  for (let i = 0; i < x.length; i++) x[i] = 3 + 0.5 * rng.normal();
  const generator: NetworkSpec = {
    inputShape: [4],
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 4 },
    ],
  };
  const discriminator: NetworkSpec = {
    inputShape: [4],
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 1 },
    ],
  };
  const result = await trainGan({
    generator,
    discriminator,
    generatorWeights: initialWeights(generator, new Random(1)),
    discriminatorWeights: initialWeights(discriminator, new Random(2)),
    x,
    nRows: n,
    epochs: 30,
    batchSize: 128,
    learningRate: 5e-3,
    seed: 1,
    threads: 2,
  });
  assert.equal(result.replicaChecksums[0], result.replicaChecksums[1]);
  const runner = await createTfjsRunner(generator, result.generatorWeights);
  const noise = new Float32Array(1000 * 4);
  for (let i = 0; i < noise.length; i++) noise[i] = rng.normal();
  const rows = await runner.run(noise, 1000);
  runner.dispose();
  const mean = rows.reduce((a, b) => a + b, 0) / rows.length;
  assert.ok(Math.abs(mean - 3) < 0.6, `generated mean ${mean}, real 3`);
  for (const h of result.history) assert.ok(Number.isFinite(h.discriminatorLoss) && Number.isFinite(h.generatorLoss));
});

function wasmHeapBytes(): number {
  return (tf.backend() as unknown as { wasm: { HEAPU8: Uint8Array } }).wasm.HEAPU8.buffer.byteLength;
}

test('no growth of tensors or wasm heap over 20 epochs of each model', async () => {
  await initRuntime();
  const check = (what: string, perEpoch: { tensors: number; buffers: number; heap: number }[]) => {
    // Epoch 0 may grow the heap once to its working size; after that nothing may grow.
    const settled = perEpoch.slice(1);
    assert.equal(
      new Set(settled.map((e) => e.tensors)).size,
      1,
      `${what}: tensors ${settled.map((e) => e.tensors).join(',')}`,
    );
    // The direct dense and conv paths hold wasm buffers, not tensors: count those too.
    assert.equal(
      new Set(settled.map((e) => e.buffers)).size,
      1,
      `${what}: wasm buffers ${settled.map((e) => e.buffers).join(',')}`,
    );
    assert.equal(new Set(settled.map((e) => e.heap)).size, 1, `${what}: heap ${settled.map((e) => e.heap).join(',')}`);
  };
  const before = tf.memory().numTensors;
  const buffersBefore = tf.backend().numDataIds();
  const autoencoder: NetworkSpec = {
    inputShape: [12],
    layers: [
      { type: 'dense', units: 6, activation: 'relu' },
      { type: 'dense', units: 3, activation: 'relu' },
      { type: 'dense', units: 6, activation: 'relu' },
      { type: 'dense', units: 12 },
    ],
  };
  const lstmAttention: NetworkSpec = {
    inputShape: [6, 4],
    layers: [{ type: 'lstm', units: 12, returnSequences: true }, { type: 'attention' }, { type: 'dense', units: 1 }],
  };
  const cases = {
    ...MODELS,
    lstmAttention: { spec: lstmAttention, loss: { name: 'binary' } as LossConfig },
    autoencoder: { spec: autoencoder, loss: { name: 'mse' } as LossConfig },
  };
  for (const [name, { spec, loss }] of Object.entries(cases)) {
    const { x, y } = labelledData(1024, 7, spec.inputShape);
    const perEpoch: { tensors: number; buffers: number; heap: number }[] = [];
    await trainNetwork({
      spec,
      initialWeights: initialWeights(spec, new Random(1)),
      x,
      nRows: 1024,
      y: name === 'autoencoder' ? x : y,
      validation: { x, nRows: 1024, y: name === 'autoencoder' ? x : y },
      loss,
      epochs: 20,
      batchSize: 128,
      seed: 1,
      threads: 1,
      onEpochEnd: () =>
        perEpoch.push({ tensors: tf.memory().numTensors, buffers: tf.backend().numDataIds(), heap: wasmHeapBytes() }),
    });
    check(name, perEpoch);
    assert.equal(tf.memory().numTensors, before, `${name}: tensors left after training`);
    assert.equal(tf.backend().numDataIds(), buffersBefore, `${name}: wasm buffers left after training`);
  }
  const generator: NetworkSpec = {
    inputShape: [4],
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 12 },
    ],
  };
  const discriminator: NetworkSpec = {
    inputShape: [12],
    layers: [
      { type: 'dense', units: 16, activation: 'relu' },
      { type: 'dense', units: 1 },
    ],
  };
  const perEpoch: { tensors: number; buffers: number; heap: number }[] = [];
  await trainGan({
    generator,
    discriminator,
    generatorWeights: initialWeights(generator, new Random(1)),
    discriminatorWeights: initialWeights(discriminator, new Random(2)),
    x: labelledData(1024, 8, [12]).x,
    nRows: 1024,
    epochs: 20,
    batchSize: 128,
    seed: 1,
    threads: 1,
    onEpochEnd: () =>
      perEpoch.push({ tensors: tf.memory().numTensors, buffers: tf.backend().numDataIds(), heap: wasmHeapBytes() }),
  });
  check('gan', perEpoch);
  assert.equal(tf.memory().numTensors, before, 'gan: tensors left after training');
  assert.equal(tf.backend().numDataIds(), buffersBefore, 'gan: wasm buffers left after training');
});

test('a failure in training ends every replica with the error instead of hanging', async () => {
  const { x, y } = labelledData(2048, 11, [12]);
  const spec: NetworkSpec = {
    inputShape: [12],
    layers: [
      { type: 'dense', units: 8, activation: 'relu' },
      { type: 'dense', units: 1 },
    ],
  };
  // Non-finite targets make the loss NaN in the first epoch on both replicas.
  const poisoned = Float32Array.from(y);
  poisoned.fill(Number.NaN, 0, 1024);
  await assert.rejects(
    trainNetwork({
      spec,
      initialWeights: initialWeights(spec, new Random(1)),
      x,
      nRows: 2048,
      y: poisoned,
      loss: { name: 'binary' },
      epochs: 3,
      batchSize: 256,
      seed: 1,
      threads: 2,
    }),
    /diverged/,
  );
  // The pool is still usable afterwards.
  const ok = await trainNetwork({
    spec,
    initialWeights: initialWeights(spec, new Random(1)),
    x,
    nRows: 2048,
    y,
    loss: { name: 'binary' },
    epochs: 1,
    batchSize: 256,
    seed: 1,
    threads: 2,
  });
  assert.equal(ok.replicaChecksums[0], ok.replicaChecksums[1]);
});
