import type { Tensor } from '@tensorflow/tfjs-core';
import { Random } from '../random.js';
import { Adam } from './adam.js';
import { DenseStack, denseStackLayers } from './dense-stack.js';
import { type LossConfig, lossAndGradient, lossOp } from './loss-ops.js';
import { forwardNetwork } from './network-forward.js';
import type { NetworkWeight } from './network-runner.js';
import { inputSize, type NetworkSpec, outputSize, resolveNetwork } from './network-spec.js';
import type { Communicator } from './parallel/communicator.js';
import { fastKernelsActive, initRuntime, type tf as tfNamespace } from './runtime.js';
import { gradientViews, type ReplicaParams, replicaParams, weightsChecksum } from './training-replica.js';

const BINARY: LossConfig = { name: 'binary' };

/** Per-epoch record of GAN training: mean discriminator and generator losses. */
export interface GanLogs {
  epoch: number;
  discriminatorLoss: number;
  generatorLoss: number;
}

/** One replica's GAN training work; plain data as in `ReplicaJob`. */
export interface GanJob {
  /** Noise [noiseDim] → a row shaped like the data. */
  generator: NetworkSpec;
  /** A row → one logit (real vs generated). */
  discriminator: NetworkSpec;
  generatorWeights: NetworkWeight[];
  discriminatorWeights: NetworkWeight[];
  /** Real rows, `nRows × outputSize(generator)`, row-major. */
  x: Float32Array;
  nRows: number;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Adam β₁; GANs usually train with 0.5 (Radford et al.). */
  beta1: number;
  seed: number;
}

export interface GanResult {
  generatorWeights: NetworkWeight[];
  discriminatorWeights: NetworkWeight[];
  history: GanLogs[];
  checksum: string;
}

/** One network of the pair: its weights, optimiser and the buffer of gradients then loss summed each step. */
interface Side extends ReplicaParams {
  layers: ReturnType<typeof resolveNetwork>;
  adam: Adam;
  grads: Float32Array[];
  slotGrads: Float32Array[];
  exchange: Float32Array;
}

function side(spec: NetworkSpec, weights: NetworkWeight[], learningRate: number, beta1: number): Side {
  const params = replicaParams(spec, weights);
  const exchange = new Float32Array(params.trainableValues.reduce((n, v) => n + v.length, 0) + 1);
  return {
    ...params,
    ...gradientViews(exchange, params),
    layers: resolveNetwork(spec),
    adam: new Adam(
      { learningRate, beta1 },
      params.trainableValues.map((v) => v.length),
    ),
    exchange,
  };
}

/**
 * Trains one replica of a GAN (non-saturating loss, binary cross-entropy from logits): per batch
 * one discriminator step on real and generated rows, then one generator step. Replicas split
 * each batch, sum gradients through `comm` and stay identical, as in supervised training.
 */
export async function runGanReplica(
  job: GanJob,
  comm: Communicator,
  onEpochEnd?: (logs: GanLogs) => void,
): Promise<GanResult> {
  const tf = await initRuntime();
  const g = side(job.generator, job.generatorWeights, job.learningRate, job.beta1);
  const d = side(job.discriminator, job.discriminatorWeights, job.learningRate, job.beta1);
  const noiseWidth = inputSize(job.generator);
  const width = outputSize(job.generator);
  const rng = new Random(job.seed);
  const order = new Uint32Array(job.nRows);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const batchSize = Math.min(job.batchSize, job.nRows);
  const history: GanLogs[] = [];
  const tensorsOf = (s: Side): Tensor[] => s.slots.map((slot, i) => tf.tensor(s.values[i] as Float32Array, slot.shape));
  const params = (s: Side, all: Tensor[], train?: Tensor[]): Map<string, Tensor> => {
    const list = [...all];
    if (train)
      s.trainable.forEach((i, k) => {
        list[i] = train[k] as Tensor;
      });
    return new Map(s.slots.map((slot, i) => [slot.name, list[i] as Tensor]));
  };
  // Dense-only generator and discriminator train directly on the SIMD kernels (see DenseStack).
  const gPlan = fastKernelsActive() ? denseStackLayers(job.generator) : undefined;
  const dPlan = fastKernelsActive() ? denseStackLayers(job.discriminator) : undefined;
  const gStack = gPlan && dPlan ? new DenseStack(gPlan, noiseWidth) : undefined;
  const dStack = gPlan && dPlan ? new DenseStack(dPlan, width) : undefined;
  const noise = (n: number): Float32Array => {
    const z = new Float32Array(n * noiseWidth);
    for (let i = 0; i < z.length; i++) z[i] = rng.normal();
    return z;
  };
  /**
   * One optimiser step of `s`: `compute` writes this replica's gradients into `s.grads` and returns
   * its loss (a replica with no rows this batch passes undefined and contributes zeros).
   */
  const directStep = (s: Side, compute: (() => number) | undefined): number => {
    s.exchange.fill(0);
    if (compute) s.exchange[s.exchange.length - 1] = compute();
    comm.allReduceSum(s.exchange);
    s.adam.update(s.trainableValues, s.grads);
    return s.exchange[s.exchange.length - 1] as number;
  };
  /** The same step with gradients from the tfjs graph of `loss`. */
  const step = (s: Side, loss: (train: Tensor[]) => Tensor, active: boolean): number =>
    directStep(
      s,
      active
        ? () =>
            tf.tidy(() => {
              const all = tensorsOf(s);
              const { value, grads } = tf.valueAndGrads(
                (...train: Tensor[]) => loss([...train, ...all]) as tfNamespace.Scalar,
              )(s.trainable.map((i) => all[i] as Tensor));
              for (const [k, t] of grads.entries()) (s.grads[k] as Float32Array).set(t.dataSync() as Float32Array);
              return (value.dataSync() as Float32Array)[0] as number;
            })
        : undefined,
    );
  try {
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      rng.shuffle(order);
      let dSum = 0;
      let gSum = 0;
      let steps = 0;
      for (let start = 0; start < order.length; start += batchSize) {
        const batch = order.subarray(start, Math.min(order.length, start + batchSize));
        const n = batch.length;
        const per = Math.ceil(n / comm.size);
        const from = Math.min(n, comm.rank * per);
        const to = Math.min(n, from + per);
        const rows = to - from;
        // Every replica draws the whole batch's noise, so the streams stay in step.
        const zD = noise(n).subarray(from * noiseWidth, to * noiseWidth);
        const zG = noise(n).subarray(from * noiseWidth, to * noiseWidth);
        const real = new Float32Array(rows * width);
        for (let i = 0; i < rows; i++) {
          const r = batch[from + i] as number;
          real.set(job.x.subarray(r * width, (r + 1) * width), i * width);
        }
        const ones = new Float32Array(rows).fill(1);
        const zeros = new Float32Array(rows);
        if (gStack && dStack) {
          const active = rows > 0;
          let fake: Float32Array | undefined;
          dSum += directStep(
            d,
            active
              ? () => {
                  gStack.load(g.values);
                  fake = gStack.forward(zD, rows);
                  dStack.load(d.values);
                  let total = 0;
                  for (const [input, target] of [
                    [real, ones],
                    [fake, zeros],
                  ] as const) {
                    const out = dStack.forward(input, rows);
                    const dOut = new Float32Array(rows);
                    total += lossAndGradient(BINARY, out, rows, 1, target, 1, undefined, n, dOut);
                    dStack.backward(dOut, d.slotGrads, false);
                  }
                  return total / n;
                }
              : undefined,
          );
          gSum += directStep(
            g,
            active
              ? () => {
                  dStack.load(d.values);
                  const generated = gStack.forward(zG, rows);
                  const out = dStack.forward(generated, rows);
                  const dOut = new Float32Array(rows);
                  const total = lossAndGradient(BINARY, out, rows, 1, ones, 1, undefined, n, dOut);
                  // The discriminator's own gradients are not wanted here: only dLoss/dGenerated is.
                  const dx = dStack.backward(dOut, undefined, true) as Float32Array;
                  gStack.backward(dx, g.slotGrads, false);
                  gStack.release();
                  dStack.release();
                  return total / n;
                }
              : undefined,
          );
          steps++;
          continue;
        }
        const gAll = rows > 0 ? tensorsOf(g) : [];
        const fake =
          rows > 0
            ? tf.tidy(() =>
                forwardNetwork(tf, g.layers, params(g, gAll), tf.tensor(zD, [rows, ...job.generator.inputShape]), {
                  training: true,
                }),
              )
            : undefined;
        dSum += step(
          d,
          (args) => {
            const train = args.slice(0, d.trainable.length);
            const all = args.slice(d.trainable.length);
            const p = params(d, all, train);
            const realOut = forwardNetwork(tf, d.layers, p, tf.tensor(real, [rows, ...job.discriminator.inputShape]), {
              training: true,
            });
            const fakeOut = forwardNetwork(tf, d.layers, p, fake as Tensor, { training: true });
            return tf.add(
              lossOp(tf, BINARY, realOut, ones, undefined, n),
              lossOp(tf, BINARY, fakeOut, zeros, undefined, n),
            );
          },
          rows > 0,
        );
        fake?.dispose();
        tf.dispose(gAll);
        const dAll = rows > 0 ? tensorsOf(d) : [];
        gSum += step(
          g,
          (args) => {
            const train = args.slice(0, g.trainable.length);
            const all = args.slice(g.trainable.length);
            const generated = forwardNetwork(
              tf,
              g.layers,
              params(g, all, train),
              tf.tensor(zG, [rows, ...job.generator.inputShape]),
              {
                training: true,
              },
            );
            const out = forwardNetwork(tf, d.layers, params(d, dAll), generated, {
              training: true,
              inputNeedsGrad: true,
            });
            return lossOp(tf, BINARY, out, ones, undefined, n);
          },
          rows > 0,
        );
        tf.dispose(dAll);
        steps++;
      }
      const logs: GanLogs = {
        epoch,
        discriminatorLoss: dSum / Math.max(1, steps),
        generatorLoss: gSum / Math.max(1, steps),
      };
      history.push(logs);
      onEpochEnd?.(logs);
    }
  } finally {
    gStack?.dispose();
    dStack?.dispose();
  }
  const named = (s: Side): NetworkWeight[] =>
    s.slots.map((slot, i) => ({ name: slot.name, shape: [...slot.shape], values: s.values[i] as Float32Array }));
  return {
    generatorWeights: named(g),
    discriminatorWeights: named(d),
    history,
    checksum: weightsChecksum([...g.values, ...d.values]),
  };
}
