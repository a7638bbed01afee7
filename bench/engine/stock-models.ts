// The benchmark's models in stock TensorFlow.js Layers, the way a TF.js user would write them
// (tf.sequential, compile, trainOnBatch, predict). Run them with stock kernels:
// `setFastKernels(false)` after `initRuntime()`; run.ts does that before every stock measurement.

import { tf } from '../../src/engine/index.js';
import type { LayerSpec, NetworkSpec } from '../../src/engine/network-spec.js';
import { type EngineBenchInput, type EngineBenchModel, timeScoring, timeTraining } from './bench-model.js';
import type { BenchData, GanShape, TrainingShape } from './shapes.js';

type Activation = NonNullable<Parameters<typeof tf.layers.dense>[0]['activation']>;

/** A tfjs-layers layer for one NetworkSpec layer; `first` carries the input shape. */
function stockLayer(layer: LayerSpec, first: { inputShape?: number[] }): tf.layers.Layer {
  const activation = ('activation' in layer ? (layer.activation ?? 'linear') : 'linear') as Activation;
  switch (layer.type) {
    case 'dense':
      return tf.layers.dense({ ...first, units: layer.units, activation, useBias: layer.useBias ?? true });
    case 'conv1d':
      return tf.layers.conv1d({ ...first, filters: layer.filters, kernelSize: layer.kernelSize, activation });
    case 'maxPool1d':
      return tf.layers.maxPooling1d({ ...first, poolSize: layer.poolSize, strides: layer.poolSize });
    case 'flatten':
      return tf.layers.flatten(first);
    case 'dropout':
      return tf.layers.dropout({ ...first, rate: layer.rate });
    case 'lstm':
      // tfjs-layers defaults to hard_sigmoid gates; PyTorch and Keras 2+ use the sigmoid.
      return tf.layers.lstm({
        ...first,
        units: layer.units,
        recurrentActivation: 'sigmoid',
        returnSequences: layer.returnSequences ?? false,
      });
    default:
      throw new Error(`the stock benchmark models have no '${layer.type}' layer`);
  }
}

function stockSequential(spec: NetworkSpec): tf.Sequential {
  const model = tf.sequential();
  spec.layers.forEach((layer, i) => {
    model.add(stockLayer(layer, i === 0 ? { inputShape: spec.inputShape } : {}));
  });
  return model;
}

/** PyTorch's BCEWithLogitsLoss (mean over rows): the network's output is a logit, never a probability. */
function bceWithLogits(yTrue: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.losses.sigmoidCrossEntropy(yTrue, logits) as tf.Scalar;
}

/** `data` cut once into whole batches of `batchSize` rows (the tail that does not fill one is left out). */
function batchesOf(data: BenchData, batchSize: number): { x: tf.Tensor; y: tf.Tensor | undefined }[] {
  const out: { x: tf.Tensor; y: tf.Tensor | undefined }[] = [];
  for (let start = 0; start + batchSize <= data.nRows; start += batchSize) {
    const x = tf.tensor(data.x.subarray(start * data.rowSize, (start + batchSize) * data.rowSize), [
      batchSize,
      ...data.inputShape,
    ]);
    const y = data.y ? tf.tensor2d(data.y.subarray(start, start + batchSize), [batchSize, 1]) : undefined;
    out.push({ x, y });
  }
  return out;
}

function optimizerFor(shape: TrainingShape): tf.Optimizer {
  return tf.train.adam(shape.optimizer.learningRate);
}

/**
 * Times `model.predict` from a Float32Array of `rows` rows to a Float32Array of outputs, all rows
 * in one batch: predict's default `batchSize` of 32 would cut 1,000 rows into 32 calls and a
 * concat, about 3× slower for the MLP, which measures tfjs-layers' default rather than the engine.
 */
function scorePredict(model: tf.LayersModel, data: BenchData, rows: number, seconds: number): Promise<number> {
  const x = data.x.subarray(0, rows * data.rowSize);
  return timeScoring(
    () => {
      const out = tf.tidy(
        () => model.predict(tf.tensor(x, [rows, ...data.inputShape]), { batchSize: rows }) as tf.Tensor,
      );
      out.dataSync();
      out.dispose();
    },
    rows,
    seconds,
  );
}

/** A classifier or autoencoder: one tf.sequential, compiled, trained with trainOnBatch. */
function stockNetworkModel(input: EngineBenchInput & { shape: { kind: 'classifier' | 'autoencoder' } }) {
  const { shape, data } = input;
  const model = stockSequential(shape.network);
  // Passed in, so not owned by the model: model.dispose() leaves its Adam slots alone.
  const optimizer = optimizerFor(shape);
  model.compile({ optimizer, loss: shape.loss === 'mse' ? 'meanSquaredError' : bceWithLogits });
  const batches = batchesOf(data, shape.batchSize);
  let next = 0;
  // A missing kernel fails every step alike; failing again would only leak the step's tensors.
  let failure: unknown;
  return {
    name: input.name,
    async trainRowsPerSec({ seconds }) {
      if (failure) throw failure;
      return timeTraining(
        async () => {
          const batch = batches[next++ % batches.length]!;
          // The autoencoder's target is its input.
          await model.trainOnBatch(batch.x, batch.y ?? batch.x);
        },
        shape.batchSize,
        seconds,
      ).catch((error: unknown) => {
        failure = error;
        throw error;
      });
    },
    scoreMicrosPerRow({ rows, seconds }) {
      return scorePredict(model, data, rows, seconds);
    },
    dispose() {
      for (const batch of batches) tf.dispose([batch.x, batch.y ?? []]);
      optimizer.dispose();
      model.dispose();
    },
  } satisfies EngineBenchModel;
}

/**
 * The GAN as two tf.sequential models and two Adam optimisers, trained with optimizer.minimize over
 * each model's own variables. The generated rows of the discriminator step are made outside the
 * gradient tape (PyTorch's `.detach()`); the generator step draws fresh noise and backpropagates
 * through the discriminator into the generator, as torch-reference.py does.
 */
function stockGanModel(input: EngineBenchInput & { shape: GanShape }): EngineBenchModel {
  const { shape, data } = input;
  const generator = stockSequential(shape.generator);
  const discriminator = stockSequential(shape.discriminator);
  const gOptimizer = optimizerFor(shape);
  const dOptimizer = optimizerFor(shape);
  const gVars = generator.trainableWeights.map((w) => w.read() as tf.Variable);
  const dVars = discriminator.trainableWeights.map((w) => w.read() as tf.Variable);
  const n = shape.batchSize;
  const ones = tf.ones([n, 1]);
  const zeros = tf.zeros([n, 1]);
  const batches = batchesOf(data, n);
  let next = 0;
  const forward = (model: tf.Sequential, x: tf.Tensor) => model.apply(x, { training: true }) as tf.Tensor;
  const step = () => {
    const real = batches[next++ % batches.length]!.x;
    tf.tidy(() => {
      const fake = forward(generator, tf.randomNormal([n, shape.noiseSize]));
      dOptimizer.minimize(
        () =>
          tf.add(bceWithLogits(ones, forward(discriminator, real)), bceWithLogits(zeros, forward(discriminator, fake))),
        false,
        dVars,
      );
      gOptimizer.minimize(
        () => bceWithLogits(ones, forward(discriminator, forward(generator, tf.randomNormal([n, shape.noiseSize])))),
        false,
        gVars,
      );
    });
  };
  return {
    name: input.name,
    trainRowsPerSec: ({ seconds }) => timeTraining(step, n, seconds),
    scoreMicrosPerRow: ({ rows, seconds }) => scorePredict(discriminator, data, rows, seconds),
    dispose() {
      for (const batch of batches) batch.x.dispose();
      tf.dispose([ones, zeros]);
      gOptimizer.dispose();
      dOptimizer.dispose();
      generator.dispose();
      discriminator.dispose();
    },
  };
}

/**
 * One benchmark model in stock tfjs-layers. Stock tfjs-wasm under Node is single-threaded, so
 * `threads` is ignored. Training throws when a kernel is missing (e.g. a gradient the wasm backend
 * does not register); run.ts records the message.
 */
export function createStockModel(input: EngineBenchInput): EngineBenchModel {
  const { shape } = input;
  return shape.kind === 'gan' ? stockGanModel({ ...input, shape }) : stockNetworkModel({ ...input, shape });
}
