import { createHash } from 'node:crypto';
import type { Tensor } from '@tensorflow/tfjs-core';
import { Random } from '../random.js';
import { Adam } from './adam.js';
import { ConvStack, convStackPlan } from './conv-stack.js';
import { DenseStack, denseStackLayers } from './dense-stack.js';
import { type LossConfig, lossAndGradient, lossOp, meanLoss, targetWidth } from './loss-ops.js';
import { BATCH_NORM_MOMENTUM, forwardNetwork } from './network-forward.js';
import type { NetworkWeight } from './network-runner.js';
import {
  inputSize,
  type NetworkSpec,
  outputSize,
  resolveNetwork,
  type WeightSlot,
  weightSlots,
} from './network-spec.js';
import type { Communicator } from './parallel/communicator.js';
import { fastKernelsActive, initRuntime } from './runtime.js';
import { macroAuc, rankAuc } from './validation-auc.js';

/** Per-epoch record, Keras-style (`epoch` is 0-based). */
export interface TrainingLogs {
  epoch: number;
  loss: number;
  valLoss?: number;
  valAuc?: number;
  [metric: string]: number | undefined;
}

/** Early stopping on the validation data, as Keras' `EarlyStopping` callback. */
export interface ResolvedEarlyStopping {
  monitor: 'val_auc' | 'val_loss';
  patience: number;
  minDelta: number;
  restoreBestWeights: boolean;
}

/** Everything one replica needs; plain data (typed arrays may live in SharedArrayBuffers). */
export interface ReplicaJob {
  spec: NetworkSpec;
  initialWeights: NetworkWeight[];
  /** `nRows` rows of `inputSize(spec)` values, row-major. */
  x: Float32Array;
  nRows: number;
  /** One value per row, or `nRows × outputs` values (mse/huber on a whole output row, e.g. an autoencoder). */
  y: Float32Array;
  sampleWeight?: Float32Array;
  validation?: { x: Float32Array; nRows: number; y: Float32Array };
  loss: LossConfig;
  /** Keras `kernel_regularizer=l2(l2)` on dense, conv1d and recurrent input kernels: adds `l2·Σw²` to the loss. */
  l2: number;
  learningRate: number;
  epochs: number;
  batchSize: number;
  seed: number;
  earlyStopping?: ResolvedEarlyStopping;
}

export interface ReplicaResult {
  weights: NetworkWeight[];
  history: TrainingLogs[];
  bestEpoch: number;
  /** sha256 of this replica's final weights; equal on every replica of a run. */
  checksum: string;
}

/** Thrown when the loss becomes NaN or infinite before any good epoch exists. */
export class TrainingDivergedError extends Error {
  readonly code = 'diverged';
}

function gatherRows(src: Float32Array, width: number, rows: Uint32Array): Float32Array {
  const out = new Float32Array(rows.length * width);
  if (width >= 64) {
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as number;
      out.set(src.subarray(r * width, (r + 1) * width), i * width);
    }
    return out;
  }
  // Short rows: a plain loop beats creating a view per row.
  for (let i = 0; i < rows.length; i++) {
    const from = (rows[i] as number) * width;
    const to = i * width;
    for (let j = 0; j < width; j++) out[to + j] = src[from + j] as number;
  }
  return out;
}

/** A network's weights as a replica trains them: a private copy per slot, in slot order. */
export interface ReplicaParams {
  slots: WeightSlot[];
  values: Float32Array[];
  /** Indices of the slots the optimiser updates. */
  trainable: number[];
  /** `values` of the `trainable` slots, in order: what Adam updates. */
  trainableValues: Float32Array[];
}

/** Copies `weights` into slot order for training (the caller's arrays are never written). */
export function replicaParams(spec: NetworkSpec, weights: NetworkWeight[]): ReplicaParams {
  const slots = weightSlots(spec);
  const byName = new Map(weights.map((w) => [w.name, w]));
  const values = slots.map((s) => Float32Array.from((byName.get(s.name) as NetworkWeight).values));
  const trainable = slots.map((s, i) => (s.trainable ? i : -1)).filter((i) => i >= 0);
  return { slots, values, trainable, trainableValues: trainable.map((i) => values[i] as Float32Array) };
}

/**
 * Gradient views into the front of `exchange` (the buffer summed across replicas each step), one
 * per trainable slot in order; `slotGrads` indexes the same views by slot, with empty arrays for
 * frozen slots, as the direct stacks expect.
 */
export function gradientViews(
  exchange: Float32Array,
  params: ReplicaParams,
): { grads: Float32Array[]; slotGrads: Float32Array[] } {
  let at = 0;
  const grads = params.trainableValues.map((v) => {
    const g = exchange.subarray(at, at + v.length);
    at += v.length;
    return g;
  });
  const slotGrads: Float32Array[] = params.slots.map(() => new Float32Array(0));
  params.trainable.forEach((i, k) => {
    slotGrads[i] = grads[k] as Float32Array;
  });
  return { grads, slotGrads };
}

export function weightsChecksum(values: Float32Array[]): string {
  const hash = createHash('sha256');
  for (const v of values) hash.update(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return hash.digest('hex');
}

/**
 * Trains one data-parallel replica. Every replica runs this same loop on the same schedule (the
 * shuffles and dropout seeds come from one seeded generator each replica holds), computes the
 * gradient of its share of each batch, and sums gradients with the others through `comm`; the
 * identical sum and identical Adam state keep all replicas' weights bit-identical. Validation is
 * split the same way and its outputs gathered, so early-stopping decisions agree too.
 */
export async function runReplica(
  job: ReplicaJob,
  comm: Communicator,
  onEpochEnd?: (logs: TrainingLogs) => void,
): Promise<ReplicaResult> {
  const tf = await initRuntime();
  const layers = resolveNetwork(job.spec);
  const params = replicaParams(job.spec, job.initialWeights);
  const { slots, values, trainable, trainableValues } = params;
  const regularised = new Set(
    slots
      .map((s, i) => {
        const layer = layers.find((l) => `${l.name}/kernel` === s.name);
        return layer && layer.type !== 'batchNorm' ? i : -1;
      })
      .filter((i) => i >= 0),
  );
  // Each batch-norm layer's moving statistics, looked up once rather than on every step.
  const batchNorms = layers
    .filter((l) => l.type === 'batchNorm')
    .map((l) => ({
      name: l.name,
      channels: l.inputShape[l.inputShape.length - 1] as number,
      movingMean: values[slots.findIndex((s) => s.name === `${l.name}/moving_mean`)] as Float32Array,
      movingVariance: values[slots.findIndex((s) => s.name === `${l.name}/moving_variance`)] as Float32Array,
    }));
  const dropouts = layers.filter((l) => l.type === 'dropout').length;
  const adam = new Adam(
    { learningRate: job.learningRate },
    trainableValues.map((v) => v.length),
  );
  const width = inputSize(job.spec);
  const outWidth = outputSize(job.spec);
  const yWidth = targetWidth(job.loss, outWidth, job.y.length, job.nRows);

  // Layout of the buffer summed each step: gradients, then batch-norm mean and variance, then the loss.
  const statsOffset = trainableValues.reduce((n, v) => n + v.length, 0);
  const statsLength = batchNorms.reduce((n, l) => n + 2 * l.channels, 0);
  const exchange = new Float32Array(statsOffset + statsLength + 1);
  const { grads, slotGrads } = gradientViews(exchange, params);

  // Dense and Conv1D networks train directly on the SIMD kernels; anything else through the tfjs graph.
  const stack = directStack(job.spec, width, batchNorms.length > 0);

  const rng = new Random(job.seed);
  const order = new Uint32Array(job.nRows);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const batchSize = Math.min(job.batchSize, job.nRows);
  // Every replica draws every replica's dropout seeds each step, so the generators stay in step.
  const seeds = new Array<number>(comm.size * dropouts);
  // lossAndGradient writes every element, so one buffer serves every step.
  const dOutBuffer = new Float32Array(Math.ceil(batchSize / comm.size) * outWidth);
  const history: TrainingLogs[] = [];
  const early = job.earlyStopping && job.validation ? job.earlyStopping : undefined;
  let best = early?.monitor === 'val_auc' ? -Infinity : Infinity;
  let bestEpoch = -1;
  let bestValues: Float32Array[] | undefined;
  let wait = 0;

  const paramMap = (tensors: Tensor[]): Map<string, Tensor> =>
    new Map(slots.map((s, i) => [s.name, tensors[i] as Tensor]));

  try {
    for (let epoch = 0; epoch < job.epochs; epoch++) {
      rng.shuffle(order);
      let lossSum = 0;
      let rowsSeen = 0;
      for (let start = 0; start < order.length; start += batchSize) {
        const batch = order.subarray(start, Math.min(order.length, start + batchSize));
        for (let s = 0; s < seeds.length; s++) seeds[s] = rng.childSeed();
        const per = Math.ceil(batch.length / comm.size);
        const shardSizes = Array.from({ length: comm.size }, (_, r) =>
          Math.max(0, Math.min(batch.length, (r + 1) * per) - r * per),
        );
        // Batch statistics need two rows per shard: skip such a remainder on every replica alike.
        if (batchNorms.length > 0 && shardSizes.some((n) => n < 2)) continue;
        const rows = batch.subarray(comm.rank * per, comm.rank * per + (shardSizes[comm.rank] as number));
        exchange.fill(0);
        if (rows.length > 0 && stack) {
          const xb = gatherRows(job.x, width, rows);
          const yb = gatherRows(job.y, yWidth, rows);
          const wb = job.sampleWeight && gatherRows(job.sampleWeight, 1, rows);
          stack.load(values);
          const out = stack.forward(xb, rows.length, dropouts > 0 ? seeds[comm.rank * dropouts] : undefined);
          const dOut = dOutBuffer.subarray(0, out.length);
          const total = lossAndGradient(job.loss, out, rows.length, outWidth, yb, yWidth, wb, batch.length, dOut);
          stack.backward(dOut, slotGrads);
          stack.release();
          exchange[exchange.length - 1] = total / batch.length;
        } else if (rows.length > 0) {
          const xb = gatherRows(job.x, width, rows);
          const yb = gatherRows(job.y, yWidth, rows);
          const wb = job.sampleWeight && gatherRows(job.sampleWeight, 1, rows);
          const batchStats = new Map<string, { mean: Tensor; variance: Tensor }>();
          const dropoutSeeds = seeds.slice(comm.rank * dropouts, (comm.rank + 1) * dropouts);
          tf.tidy(() => {
            const tensors = slots.map((s, i) => tf.tensor(values[i] as Float32Array, s.shape));
            const xt = tf.tensor(xb, [rows.length, ...job.spec.inputShape]);
            const f = (...train: Tensor[]): Tensor => {
              const all = [...tensors];
              trainable.forEach((i, k) => {
                all[i] = train[k] as Tensor;
              });
              const out = forwardNetwork(tf, layers, paramMap(all), xt, { training: true, dropoutSeeds, batchStats });
              return lossOp(tf, job.loss, tf.reshape(out, [rows.length, outWidth]), yb, wb, batch.length);
            };
            const { value, grads: g } = tf.valueAndGrads(f)(trainable.map((i) => tensors[i] as Tensor));
            for (const [k, t] of g.entries()) (grads[k] as Float32Array).set(t.dataSync() as Float32Array);
            exchange[exchange.length - 1] = (value.dataSync() as Float32Array)[0] as number;
          });
          let at = statsOffset;
          for (const l of batchNorms) {
            const s = batchStats.get(l.name);
            if (s === undefined) continue;
            const mean = s.mean.dataSync() as Float32Array;
            const variance = s.variance.dataSync() as Float32Array;
            exchange.set(mean, at);
            exchange.set(variance, at + mean.length);
            at += 2 * mean.length;
            s.mean.dispose();
            s.variance.dispose();
          }
        }
        comm.allReduceSum(exchange);
        let batchLoss = exchange[exchange.length - 1] as number;
        trainable.forEach((i, k) => {
          if (!regularised.has(i) || job.l2 === 0) return;
          const w = values[i] as Float32Array;
          const g = grads[k] as Float32Array;
          let sq = 0;
          for (let j = 0; j < w.length; j++) {
            const wj = w[j] as number;
            sq += wj * wj;
            g[j] = (g[j] as number) + 2 * job.l2 * wj;
          }
          batchLoss += job.l2 * sq;
        });
        adam.update(trainableValues, grads);
        // Keras moving averages of the (replica-averaged) batch statistics.
        let at = statsOffset;
        for (const { channels: c, movingMean: mm, movingVariance: mv } of batchNorms) {
          for (let j = 0; j < c; j++) {
            mm[j] =
              BATCH_NORM_MOMENTUM * (mm[j] as number) +
              (1 - BATCH_NORM_MOMENTUM) * ((exchange[at + j] as number) / comm.size);
            mv[j] =
              BATCH_NORM_MOMENTUM * (mv[j] as number) +
              (1 - BATCH_NORM_MOMENTUM) * ((exchange[at + c + j] as number) / comm.size);
          }
          at += 2 * c;
        }
        lossSum += batchLoss * batch.length;
        rowsSeen += batch.length;
      }

      const logs: TrainingLogs = { epoch, loss: lossSum / Math.max(1, rowsSeen) };
      if (job.validation) {
        const outputs = validationOutputs(tf, job, layers, slots, values, outWidth, comm);
        logs.valLoss = meanLoss(job.loss, outputs, job.validation.y, job.validation.nRows);
        if (job.loss.name === 'binary' || job.loss.name === 'focal') logs.valAuc = rankAuc(job.validation.y, outputs);
        else if (job.loss.name === 'multiclass')
          logs.valAuc = macroAuc(job.validation.y, softmaxRows(outputs, outWidth), outWidth);
      }
      history.push(logs);
      onEpochEnd?.(logs);
      if (!Number.isFinite(logs.loss)) {
        if (bestValues !== undefined) break;
        throw new TrainingDivergedError(`training diverged at epoch ${epoch} (loss ${logs.loss}): lower learningRate`);
      }
      if (early) {
        const value = early.monitor === 'val_auc' ? logs.valAuc : logs.valLoss;
        const improved =
          value !== undefined &&
          !Number.isNaN(value) &&
          (early.monitor === 'val_auc' ? value > best + early.minDelta : value < best - early.minDelta);
        if (improved) {
          best = value;
          bestEpoch = epoch;
          wait = 0;
          if (early.restoreBestWeights) bestValues = values.map((v) => Float32Array.from(v));
        } else if (++wait >= early.patience) {
          break;
        }
      }
    }
  } finally {
    stack?.dispose();
  }
  const final = bestValues ?? values;
  if (bestValues === undefined) bestEpoch = history.length - 1;
  return {
    weights: slots.map((s, i) => ({ name: s.name, shape: [...s.shape], values: final[i] as Float32Array })),
    history,
    bestEpoch,
    checksum: weightsChecksum(final),
  };
}

/** What the direct (engine-free) training paths offer a replica. */
interface DirectStack {
  load(values: Float32Array[]): void;
  forward(x: Float32Array, rows: number, dropoutSeed?: number): Float32Array;
  backward(dOutput: Float32Array, grads: Float32Array[]): void;
  release(): void;
  dispose(): void;
}

/** A direct path (SIMD kernels, no tfjs engine) for dense and Conv1D networks, or undefined (the tfjs graph path). */
function directStack(spec: NetworkSpec, width: number, hasBatchNorm: boolean): DirectStack | undefined {
  if (hasBatchNorm || !fastKernelsActive()) return undefined;
  const dense = denseStackLayers(spec);
  if (dense) {
    const stack = new DenseStack(dense, width);
    return {
      load: (v) => stack.load(v),
      forward: (x, rows, seed) => stack.forward(x, rows, seed),
      backward: (d, g) => {
        stack.backward(d, g, false);
      },
      release: () => stack.release(),
      dispose: () => stack.dispose(),
    };
  }
  const conv = convStackPlan(spec);
  return conv ? new ConvStack(conv) : undefined;
}

function softmaxRows(values: Float32Array, k: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < values.length / k; r++) {
    let m = -Infinity;
    for (let c = 0; c < k; c++) m = Math.max(m, values[r * k + c] as number);
    let s = 0;
    for (let c = 0; c < k; c++) s += Math.exp((values[r * k + c] as number) - m);
    for (let c = 0; c < k; c++) out[r * k + c] = Math.exp((values[r * k + c] as number) - m) / s;
  }
  return out;
}

/** Validation outputs for every row: each replica scores its share, the shares are summed into place. */
function validationOutputs(
  tf: Awaited<ReturnType<typeof initRuntime>>,
  job: ReplicaJob,
  layers: ReturnType<typeof resolveNetwork>,
  slots: ReturnType<typeof weightSlots>,
  values: Float32Array[],
  outWidth: number,
  comm: Communicator,
): Float32Array {
  const v = job.validation as NonNullable<ReplicaJob['validation']>;
  const width = inputSize(job.spec);
  const out = new Float32Array(v.nRows * outWidth);
  const per = Math.ceil(v.nRows / comm.size);
  const from = Math.min(v.nRows, comm.rank * per);
  const to = Math.min(v.nRows, from + per);
  const chunk = 8192;
  tf.tidy(() => {
    const params = new Map(slots.map((s, i) => [s.name, tf.tensor(values[i] as Float32Array, s.shape) as Tensor]));
    for (let start = from; start < to; start += chunk) {
      const end = Math.min(to, start + chunk);
      const y = tf.tidy(() =>
        forwardNetwork(
          tf,
          layers,
          params,
          tf.tensor(v.x.subarray(start * width, end * width), [end - start, ...job.spec.inputShape]),
          {
            training: false,
          },
        ),
      );
      out.set(y.dataSync() as Float32Array, start * outWidth);
      y.dispose();
    }
  });
  if (comm.size > 1) {
    // The gathered outputs can exceed the step buffer; exchange them in capacity-sized pieces.
    const piece = 1 << 16;
    for (let start = 0; start < out.length; start += piece)
      comm.allReduceSum(out.subarray(start, Math.min(out.length, start + piece)));
  }
  return out;
}
