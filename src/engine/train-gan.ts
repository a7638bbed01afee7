import { ConfigError } from '../errors.js';
import { type GanJob, type GanLogs, type GanResult, runGanReplica } from './gan-replica.js';
import { inputSize, outputSize, resolveNetwork, weightSlots } from './network-spec.js';
import { SOLO } from './parallel/communicator.js';
import { runDataParallel, sharedCopy } from './parallel/data-parallel.js';
import { defaultThreads } from './train-network.js';
import { checkWeights } from './weights.js';

export type { GanLogs } from './gan-replica.js';

/** A GAN replica's job with defaults for the optimiser, plus the thread count and a progress callback. */
export interface TrainGanOptions extends Omit<GanJob, 'learningRate' | 'beta1'> {
  /** Default 2e-4. */
  learningRate?: number;
  /** Adam β₁ (default 0.5). */
  beta1?: number;
  /** Replicas (threads, including this one). Default: {@link defaultThreads}. */
  threads?: number;
  onEpochEnd?: (logs: GanLogs) => void;
}

export interface TrainGanResult extends Omit<GanResult, 'checksum'> {
  threads: number;
  replicaChecksums: string[];
}

/**
 * Trains a generative adversarial network (non-saturating loss, as Goodfellow et al.) on real
 * rows, data-parallel like {@link trainNetwork}. The layer set is the engine's; dropout and batch
 * normalisation are refused here because their per-replica randomness and statistics are not
 * yet kept in step for two networks.
 */
export async function trainGan(options: TrainGanOptions): Promise<TrainGanResult> {
  const width = outputSize(options.generator);
  if (inputSize(options.discriminator) !== width) {
    throw new ConfigError(
      'bad_network',
      `the generator makes rows of ${width} values, the discriminator reads ${inputSize(options.discriminator)}`,
    );
  }
  if (outputSize(options.discriminator) !== 1) {
    throw new ConfigError('bad_network', 'the discriminator must output one logit per row');
  }
  for (const [which, spec] of [
    ['generator', options.generator],
    ['discriminator', options.discriminator],
  ] as const) {
    const refused = resolveNetwork(spec).find((l) => l.type === 'dropout' || l.type === 'batchNorm');
    if (refused)
      throw new ConfigError(
        'bad_network',
        `${which}: layer '${refused.name}' (${refused.type}) is not supported in GAN training`,
      );
  }
  if (options.x.length !== options.nRows * width) {
    throw new ConfigError('bad_shape', `x has ${options.x.length} values, expected ${options.nRows} rows × ${width}`);
  }
  const base = {
    generator: options.generator,
    discriminator: options.discriminator,
    generatorWeights: checkWeights(weightSlots(options.generator), options.generatorWeights),
    discriminatorWeights: checkWeights(weightSlots(options.discriminator), options.discriminatorWeights),
    nRows: options.nRows,
    epochs: options.epochs,
    batchSize: options.batchSize,
    learningRate: options.learningRate ?? 2e-4,
    beta1: options.beta1 ?? 0.5,
    seed: options.seed,
  };
  const threads = Math.max(
    1,
    Math.min(options.threads ?? defaultThreads(options.nRows, options.batchSize), options.nRows),
  );
  if (threads === 1) {
    const { checksum, ...rest } = await runGanReplica({ ...base, x: options.x }, SOLO, options.onEpochEnd);
    return { ...rest, threads: 1, replicaChecksums: [checksum] };
  }
  const job: GanJob = { ...base, x: sharedCopy(options.x) };
  const exchangeLength =
    Math.max(
      ...[base.generatorWeights, base.discriminatorWeights].map((ws) => ws.reduce((n, w) => n + w.values.length, 0)),
    ) + 1;
  const { result, checksums } = await runDataParallel(
    threads,
    exchangeLength,
    (memory, rank) => ({ kind: 'gan', job, memory, rank }),
    (comm) => runGanReplica(job, comm, options.onEpochEnd),
  );
  const { checksum: _, ...rest } = result;
  return { ...rest, threads, replicaChecksums: checksums };
}
