import { availableParallelism } from 'node:os';
import { ConfigError } from '../errors.js';
import type { NetworkWeight } from './network-runner.js';
import { inputSize, outputSize, weightSlots } from './network-spec.js';
import { SOLO } from './parallel/communicator.js';
import { runDataParallel, sharedCopy as shared } from './parallel/data-parallel.js';
import { type ReplicaJob, runReplica, type TrainingLogs } from './training-replica.js';
import { checkWeights } from './weights.js';

export type { ResolvedEarlyStopping, TrainingLogs } from './training-replica.js';

/**
 * What {@link trainNetwork} needs: a replica's job (the network, its starting weights, data and
 * training settings) with defaults for the regulariser and learning rate, plus the thread count
 * and a progress callback.
 */
export interface TrainNetworkOptions extends Omit<ReplicaJob, 'l2' | 'learningRate'> {
  /** Default 0. */
  l2?: number;
  /** Adam's learning rate, default 1e-3. */
  learningRate?: number;
  /** Replicas (threads, including this one). Default: {@link defaultThreads}. */
  threads?: number;
  /** Called on this thread after every epoch. */
  onEpochEnd?: (logs: TrainingLogs) => void;
}

export interface TrainNetworkResult {
  weights: NetworkWeight[];
  history: TrainingLogs[];
  /** Epoch (0-based) whose weights are returned. */
  bestEpoch: number;
  /** Replicas actually used. */
  threads: number;
  /** sha256 of each replica's final weights, rank order; all equal unless something is badly wrong. */
  replicaChecksums: string[];
}

/**
 * Rows per epoch below which a second replica costs more than it gains, and the batch size below
 * which a half batch leaves too little work per kernel. The first parallel fit in a process pays
 * about 0.7 s to start a worker and its TF.js; each step then pays a barrier and a full Adam update
 * per replica. Measured with the default mlp (40 features, batch 256): 20,000 rows × 10 epochs took
 * 2.6 s on one thread and 3.2 s on two; × 40 epochs 8.7 s and 7.2 s; 3,000 and 8,192 rows were
 * always faster on one thread. Early stopping usually runs tens of epochs on data this size.
 */
export const PARALLEL_MIN_ROWS = 16384;
export const PARALLEL_MIN_BATCH = 256;

/** Replicas to use by default: both cores (at most 2, what was measured) for data large enough to gain, else 1. */
export function defaultThreads(nRows: number, batchSize: number): number {
  if (nRows < PARALLEL_MIN_ROWS || batchSize < PARALLEL_MIN_BATCH) return 1;
  return Math.max(1, Math.min(2, availableParallelism()));
}

/**
 * Trains a network with Adam on mini-batches, with optional early stopping, data-parallel across
 * `threads` replicas (this thread and `threads − 1` worker threads). The same seed and thread
 * count give bit-identical weights; a different thread count changes the order of gradient sums
 * and, with dropout, the masks drawn, so it trains a different (equally valid) model.
 *
 * @example
 * const { weights, history } = await trainNetwork({
 *   spec, initialWeights: initialWeights(spec, new Random(1)), x, nRows, y,
 *   loss: { name: 'binary' }, epochs: 20, batchSize: 512, seed: 1,
 * });
 */
export async function trainNetwork(options: TrainNetworkOptions): Promise<TrainNetworkResult> {
  const { spec } = options;
  const width = inputSize(spec);
  const outWidth = outputSize(spec);
  if (options.x.length !== options.nRows * width) {
    throw new ConfigError('bad_shape', `x has ${options.x.length} values, expected ${options.nRows} rows × ${width}`);
  }
  if (options.y.length !== options.nRows && options.y.length !== options.nRows * outWidth) {
    throw new ConfigError('bad_shape', `y has ${options.y.length} values for ${options.nRows} rows`);
  }
  if (options.nRows < 1) throw new ConfigError('bad_shape', 'no training rows');
  const initialWeights = checkWeights(weightSlots(spec), options.initialWeights);
  const threads = Math.max(
    1,
    Math.min(options.threads ?? defaultThreads(options.nRows, options.batchSize), options.nRows),
  );
  if (!Number.isInteger(threads))
    throw new ConfigError('bad_param', `threads must be a positive integer, got ${options.threads}`);
  const base = {
    spec,
    initialWeights,
    nRows: options.nRows,
    loss: options.loss,
    l2: options.l2 ?? 0,
    learningRate: options.learningRate ?? 1e-3,
    epochs: options.epochs,
    batchSize: options.batchSize,
    seed: options.seed,
    earlyStopping: options.earlyStopping,
  };
  if (threads === 1) {
    const job: ReplicaJob = {
      ...base,
      x: options.x,
      y: options.y,
      sampleWeight: options.sampleWeight,
      validation: options.validation,
    };
    const result = await runReplica(job, SOLO, options.onEpochEnd);
    return { ...result, threads: 1, replicaChecksums: [result.checksum] };
  }

  // Data goes into shared memory once; every replica reads it in place.
  const job: ReplicaJob = {
    ...base,
    x: shared(options.x),
    y: shared(options.y),
    sampleWeight: options.sampleWeight && shared(options.sampleWeight),
    validation: options.validation && {
      x: shared(options.validation.x),
      nRows: options.validation.nRows,
      y: shared(options.validation.y),
    },
  };
  const exchangeLength = initialWeights.reduce((n, w) => n + w.values.length, 0) + 1;
  const { result, checksums } = await runDataParallel(
    threads,
    exchangeLength,
    (memory, rank) => ({ kind: 'supervised', job, memory, rank }),
    (comm) => runReplica(job, comm, options.onEpochEnd),
  );
  return { ...result, threads, replicaChecksums: checksums };
}
