// The engine benchmark's models and data, read from shapes.json so that the TypeScript engines
// and the PyTorch reference (torch-reference.py) train the same networks on the same batches.
import { readFileSync } from 'node:fs';
import { inputSize, type NetworkSpec, resolveNetwork } from '../../src/engine/network-spec.js';
import { Random } from '../../src/random.js';

/** The five models every engine is measured on. */
export type ModelName = 'mlp' | 'lstm' | 'cnn' | 'autoencoder' | 'gan';

/** In the order the benchmark runs and prints them. */
export const MODEL_NAMES: readonly ModelName[] = ['mlp', 'lstm', 'cnn', 'autoencoder', 'gan'];

/** How a model is trained: loss on raw outputs, batch size and optimiser. */
export interface TrainingShape {
  /** `bceWithLogits`: binary cross-entropy on logits (PyTorch's BCEWithLogitsLoss); `mse`: mean squared error. */
  loss: 'bceWithLogits' | 'mse';
  batchSize: number;
  optimizer: { name: 'adam'; learningRate: number };
}

/** A network scored on a binary label. */
export interface ClassifierShape extends TrainingShape {
  kind: 'classifier';
  network: NetworkSpec;
}

/** A network trained to reproduce its input (the target is the input row). */
export interface AutoencoderShape extends TrainingShape {
  kind: 'autoencoder';
  network: NetworkSpec;
}

/**
 * A generator and a discriminator. One training step is one discriminator update on `batchSize`
 * real rows and `batchSize` generated rows, then one generator update on `batchSize` generated
 * rows; it counts as `batchSize` rows. Scoring runs the discriminator on real rows.
 */
export interface GanShape extends TrainingShape {
  kind: 'gan';
  noiseSize: number;
  generator: NetworkSpec;
  discriminator: NetworkSpec;
}

export type ModelShape = ClassifierShape | AutoencoderShape | GanShape;

/** The whole of shapes.json. */
export interface BenchShapes {
  data: { rows: number; seed: number };
  models: Record<ModelName, ModelShape>;
}

/** Where shapes.json sits; torch-reference.py is given the same path. */
export const SHAPES_PATH = new URL('./shapes.json', import.meta.url).pathname;

/**
 * Reads shapes.json and checks every network with the engine's own validator, so a shape the
 * Vigil engine would refuse fails here rather than half-way through a run.
 */
export function loadShapes(path: string = SHAPES_PATH): BenchShapes {
  const shapes = JSON.parse(readFileSync(path, 'utf8')) as BenchShapes;
  for (const name of MODEL_NAMES) {
    const shape = shapes.models[name];
    if (!shape) throw new Error(`${path}: no model '${name}'`);
    for (const network of networksOf(shape)) resolveNetwork(network);
    if (shape.batchSize > shapes.data.rows) throw new Error(`${path}: ${name} batch is larger than the data`);
  }
  return shapes;
}

function networksOf(shape: ModelShape): NetworkSpec[] {
  return shape.kind === 'gan' ? [shape.generator, shape.discriminator] : [shape.network];
}

/** The network whose input the data rows feed (the discriminator for a GAN) and that scoring runs. */
export function scoredNetwork(shape: ModelShape): NetworkSpec {
  return shape.kind === 'gan' ? shape.discriminator : shape.network;
}

/**
 * One model's training data, row-major in the Keras layout of its input (`[steps, features]` per
 * row for sequences). `y` is the 0/1 label of classifiers and `undefined` otherwise (an
 * autoencoder's target is `x`; a GAN's real rows are `x`).
 */
export interface BenchData {
  nRows: number;
  /** Values per row: the product of the input shape. */
  rowSize: number;
  inputShape: number[];
  x: Float32Array;
  y: Float32Array | undefined;
}

/**
 * Seeded synthetic rows for one model: standard normal features and, for classifiers, a label
 * from a fixed linear rule plus noise (about 30 % positive), so that the loss actually moves.
 * torch-reference.py draws the same sizes from the same rule with its own generator.
 */
export function makeBenchData(shapes: BenchShapes, name: ModelName): BenchData {
  const shape = shapes.models[name];
  const network = scoredNetwork(shape);
  const rowSize = inputSize(network);
  const nRows = shapes.data.rows;
  const random = new Random(shapes.data.seed + MODEL_NAMES.indexOf(name));
  const x = new Float32Array(nRows * rowSize);
  for (let i = 0; i < x.length; i++) x[i] = random.normal();
  let y: Float32Array | undefined;
  if (shape.kind === 'classifier') {
    const w = Float64Array.from({ length: rowSize }, () => random.normal());
    const norm = Math.hypot(...w);
    y = new Float32Array(nRows);
    for (let r = 0; r < nRows; r++) {
      let z = 0;
      for (let j = 0; j < rowSize; j++) z += (w[j] as number) * (x[r * rowSize + j] as number);
      y[r] = z / norm + 0.5 * random.normal() > 0.6 ? 1 : 0;
    }
  }
  return { nRows, rowSize, inputShape: [...network.inputShape], x, y };
}
