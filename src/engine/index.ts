/**
 * The deep-learning engine: TensorFlow.js on the wasm backend with Vigil's faster kernels, networks
 * described as data, fused layers with hand-written gradients, losses from logits, one-pass Adam
 * and data-parallel training across worker threads.
 * Everything that runs a network imports `tf` from here, never from tfjs directly, so that the
 * backend is set up exactly once.
 */
export { Adam, type AdamConfig } from './adam.js';
export { initialWeights } from './initial-weights.js';
export { type LossConfig, type LossName, lossOp, meanLoss } from './loss-ops.js';
export { type ForwardMode, forwardNetwork } from './network-forward.js';
export type { NetworkRunner, NetworkRunnerFactory, NetworkWeight } from './network-runner.js';
export {
  ACTIVATIONS,
  type ActivationName,
  inputSize,
  type LayerSpec,
  type LayerType,
  type NetworkSpec,
  outputShape,
  type ResolvedLayer,
  resolveNetwork,
  type WeightSlot,
  weightSlots,
} from './network-spec.js';
export { closeReplicaWorkers } from './parallel/replica-pool.js';
export { fastKernelsActive, initRuntime, type RuntimeOptions, runtimeVersions, setFastKernels, tf } from './runtime.js';
export { createTfjsRunner } from './tfjs-runner.js';
export { type GanLogs, type TrainGanOptions, type TrainGanResult, trainGan } from './train-gan.js';
export {
  defaultThreads,
  PARALLEL_MIN_BATCH,
  PARALLEL_MIN_ROWS,
  type ResolvedEarlyStopping,
  type TrainingLogs,
  type TrainNetworkOptions,
  type TrainNetworkResult,
  trainNetwork,
} from './train-network.js';
export { TrainingDivergedError } from './training-replica.js';
export { macroAuc, rankAuc } from './validation-auc.js';
export { checkWeights } from './weights.js';
