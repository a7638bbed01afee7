// Vigil's side of the engine benchmark: training with the src/engine trainers (fused layers,
// logits losses, one-pass Adam, data-parallel replicas) and scoring the trained network through
// ONNX Runtime (`createOnnxRunner` from src/onnx), the way `vigil predict` scores bundles.
//
// Training is timed through the public trainers, whole epochs at a time: untimed epochs warm
// the worker pool, the JIT and the wasm heap, then enough epochs to fill `seconds` are timed
// together. So the figure includes everything a user's `fit` pays per epoch (shuffling, gathering
// batches, the replicas' barriers), not only the step.
import {
  initialWeights,
  type NetworkRunner,
  type NetworkSpec,
  type NetworkWeight,
  trainGan,
  trainNetwork,
} from '../../src/engine/index.js';
import { createOnnxRunner } from '../../src/onnx/index.js';
import { Random } from '../../src/random.js';
import { type EngineBenchInput, type EngineBenchModel, timeScoring, WARMUP } from './bench-model.js';
import type { ModelShape } from './shapes.js';

export type { EngineBenchFactory, EngineBenchInput, EngineBenchModel } from './bench-model.js';

/** The network a model scores with, and its current weights. */
interface Scored {
  spec: NetworkSpec;
  weights: NetworkWeight[];
}

/** Trains `epochs` epochs from the current weights; returns the new scored network. */
type EpochsRun = (epochs: number, threads: number) => Promise<void>;

function epochsRunner(input: EngineBenchInput, scored: Scored): EpochsRun {
  const shape: ModelShape = input.shape;
  const { data } = input;
  let seed = 1;
  if (shape.kind === 'gan') {
    let generatorWeights = initialWeights(shape.generator, new Random(2));
    return async (epochs, threads) => {
      const result = await trainGan({
        generator: shape.generator,
        discriminator: shape.discriminator,
        generatorWeights,
        discriminatorWeights: scored.weights,
        x: data.x,
        nRows: data.nRows,
        epochs,
        batchSize: shape.batchSize,
        learningRate: shape.optimizer.learningRate,
        seed: seed++,
        threads,
      });
      generatorWeights = result.generatorWeights;
      scored.weights = result.discriminatorWeights;
    };
  }
  return async (epochs, threads) => {
    const result = await trainNetwork({
      spec: shape.network,
      initialWeights: scored.weights,
      x: data.x,
      nRows: data.nRows,
      y: shape.kind === 'autoencoder' ? data.x : (data.y as Float32Array),
      loss: { name: shape.kind === 'autoencoder' ? 'mse' : 'binary' },
      learningRate: shape.optimizer.learningRate,
      epochs,
      batchSize: shape.batchSize,
      seed: seed++,
      threads,
    });
    scored.weights = result.weights;
  };
}

/**
 * One benchmark model on Vigil's engine (training) and ONNX Runtime (scoring).
 *
 * @example
 * const model = createVigilModel({ name: 'lstm', shape, data });
 * await model.trainRowsPerSec({ seconds: 5, threads: 2 });
 */
export function createVigilModel(input: EngineBenchInput): EngineBenchModel {
  const { shape } = input;
  const spec = shape.kind === 'gan' ? shape.discriminator : shape.network;
  const scored: Scored = { spec, weights: initialWeights(spec, new Random(1)) };
  const runEpochs = epochsRunner(input, scored);
  let runner: NetworkRunner | undefined;
  return {
    name: input.name,
    async trainRowsPerSec({ seconds, threads }) {
      // Warm up as the stock side does (WARMUP): worker threads start and their JIT warms too.
      const warmStarted = performance.now();
      const warmupMs = Math.min(WARMUP.maxSeconds, seconds * WARMUP.share) * 1000;
      let warmEpochs = 0;
      let epochSeconds = 0;
      do {
        const t0 = performance.now();
        await runEpochs(1, threads);
        epochSeconds = (performance.now() - t0) / 1000;
        warmEpochs++;
      } while (warmEpochs < 2 || performance.now() - warmStarted < warmupMs);
      const epochs = Math.max(1, Math.ceil(seconds / epochSeconds));
      const started = performance.now();
      await runEpochs(epochs, threads);
      return (epochs * input.data.nRows) / ((performance.now() - started) / 1000);
    },
    async scoreMicrosPerRow({ rows, seconds }) {
      runner?.dispose();
      // One intra-op thread, as `vigil predict` runs: single rows gain nothing from more.
      runner = await createOnnxRunner(scored.spec, scored.weights, { intraOpNumThreads: 1 });
      const x = input.data.x.subarray(0, rows * input.data.rowSize);
      const active = runner;
      return timeScoring(() => active.run(x, rows), rows, seconds);
    },
    dispose() {
      runner?.dispose();
      runner = undefined;
    },
  };
}
