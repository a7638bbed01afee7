import { ConfigError } from '../errors.js';

/**
 * A Vigil network is described as data, like a Keras `Sequential` config: an input shape and a
 * list of layers. The same description drives the TF.js forward pass, training, the ONNX export
 * and the bundle, so a network saved by one can be rebuilt by any other.
 *
 * Tensor layout is Keras / TF.js: rows first, channels last. A tabular input is `[nFeatures]`;
 * a sequence input is `[steps, features]` (one row = one customer's recent events).
 * The network's output is raw: logits for classification, the (standardised) value for
 * regression, the reconstruction for an autoencoder. Links (sigmoid, softmax) are applied by the
 * estimator, never inside the network, so every runtime produces the same numbers.
 */
export type ActivationName = 'linear' | 'relu' | 'elu' | 'selu' | 'tanh' | 'sigmoid' | 'gelu';

export const ACTIVATIONS: readonly ActivationName[] = ['linear', 'relu', 'elu', 'selu', 'tanh', 'sigmoid', 'gelu'];

/**
 * One layer. Weight names are `${name}/${weight}` with Keras shapes:
 * - `dense`: `kernel` [in, units], `bias` [units] (absent when `useBias: false`).
 * - `batchNorm` (over the last axis, ε = 1e-3, momentum 0.99): `gamma`, `beta`, `moving_mean`,
 *   `moving_variance`, each [channels].
 * - `conv1d` (stride 1, 'valid' padding): `kernel` [kernelSize, inChannels, filters], `bias` [filters].
 * - `lstm`: `kernel` [in, 4u], `recurrent_kernel` [u, 4u], `bias` [4u]; gate order i, f, c, o
 *   (Keras); activation tanh, recurrent activation sigmoid (Keras 2+ and PyTorch, not the
 *   tfjs-layers `hard_sigmoid` default).
 * - `gru` (Keras `reset_after: true`, PyTorch's formulation): `kernel` [in, 3u],
 *   `recurrent_kernel` [u, 3u], `bias` [2, 3u] (row 0 input bias, row 1 recurrent bias); gate order z, r, h.
 * - `attention` (after an `lstm` or `gru` with `returnSequences: true`): `kernel` [u, u]. Luong's
 *   "general" score with the last step's state as the query: q = h_T·W, aₜ = softmax(hₜ·q),
 *   output [Σ aₜ hₜ, h_T] of width 2u (see `attentionOp`).
 * - `activation` (an activation on its own, e.g. after `batchNorm`), `dropout` (identity when
 *   scoring), `maxPool1d` (pool = stride = `poolSize`, 'valid'), `flatten`: no weights.
 */
export type LayerSpec =
  | { type: 'dense'; name?: string; units: number; activation?: ActivationName; useBias?: boolean }
  | { type: 'activation'; name?: string; activation: ActivationName }
  | { type: 'dropout'; name?: string; rate: number }
  | { type: 'batchNorm'; name?: string }
  | { type: 'conv1d'; name?: string; filters: number; kernelSize: number; activation?: ActivationName }
  | { type: 'maxPool1d'; name?: string; poolSize: number }
  | { type: 'flatten'; name?: string }
  | { type: 'lstm'; name?: string; units: number; returnSequences?: boolean }
  | { type: 'gru'; name?: string; units: number; returnSequences?: boolean }
  | { type: 'attention'; name?: string };

export type LayerType = LayerSpec['type'];

/** A whole network: the shape of one input row (without the batch axis) and its layers in order. */
export interface NetworkSpec {
  inputShape: number[];
  layers: LayerSpec[];
}

/** A layer with its name and input/output shapes resolved (batch axis left out). */
export type ResolvedLayer = LayerSpec & { name: string; inputShape: number[]; outputShape: number[] };

/** One weight the network expects, in order. */
export interface WeightSlot {
  name: string;
  shape: number[];
  /** Updated by the optimiser (false for batch-norm running statistics). */
  trainable: boolean;
}

const SNAKE: Record<LayerType, string> = {
  dense: 'dense',
  activation: 'activation',
  dropout: 'dropout',
  batchNorm: 'batch_norm',
  conv1d: 'conv1d',
  maxPool1d: 'max_pool1d',
  flatten: 'flatten',
  lstm: 'lstm',
  gru: 'gru',
  attention: 'attention',
};

function bad(message: string): never {
  throw new ConfigError('bad_network', message);
}

function positiveInt(value: unknown, what: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) bad(`${what} must be a positive integer, got ${value}`);
  return value as number;
}

/**
 * Checks a spec and resolves every layer's name and shapes. Default names follow Keras:
 * `dense_0`, `dense_1`, `lstm_0`, … counted per layer type.
 *
 * @example
 * resolveNetwork({ inputShape: [30], layers: [{ type: 'dense', units: 1 }] })[0].outputShape; // [1]
 */
export function resolveNetwork(spec: NetworkSpec): ResolvedLayer[] {
  if (!Array.isArray(spec?.inputShape) || spec.inputShape.length < 1 || spec.inputShape.length > 2) {
    bad('inputShape must be [features] or [steps, features]');
  }
  for (const [i, d] of spec.inputShape.entries()) positiveInt(d, `inputShape[${i}]`);
  if (!Array.isArray(spec.layers) || spec.layers.length === 0) bad('a network needs at least one layer');
  const counts = new Map<LayerType, number>();
  const names = new Set<string>();
  let shape = [...spec.inputShape];
  const out: ResolvedLayer[] = [];
  for (const [i, layer] of spec.layers.entries()) {
    const at = `layers[${i}] (${layer?.type})`;
    const n = counts.get(layer.type) ?? 0;
    counts.set(layer.type, n + 1);
    const name = layer.name ?? `${SNAKE[layer.type] ?? layer.type}_${n}`;
    if (names.has(name)) bad(`${at}: duplicate layer name '${name}'`);
    names.add(name);
    if ('activation' in layer && layer.activation !== undefined && !ACTIVATIONS.includes(layer.activation)) {
      bad(`${at}: activation '${layer.activation}' is not one of ${ACTIVATIONS.join(', ')}`);
    }
    const inputShape = shape;
    const last = shape[shape.length - 1] as number;
    switch (layer.type) {
      case 'dense':
        shape = [...shape.slice(0, -1), positiveInt(layer.units, `${at}.units`)];
        break;
      case 'activation':
        if (layer.activation === undefined) bad(`${at}.activation is required`);
        break;
      case 'dropout':
        if (!(layer.rate >= 0 && layer.rate < 1)) bad(`${at}.rate must be in [0, 1)`);
        break;
      case 'batchNorm':
        break;
      case 'conv1d': {
        if (shape.length !== 2) bad(`${at} needs a [steps, features] input, got [${shape.join(', ')}]`);
        const k = positiveInt(layer.kernelSize, `${at}.kernelSize`);
        const steps = (shape[0] as number) - k + 1;
        if (steps < 1) bad(`${at}: kernelSize ${k} is longer than the ${shape[0]} steps`);
        shape = [steps, positiveInt(layer.filters, `${at}.filters`)];
        break;
      }
      case 'maxPool1d': {
        if (shape.length !== 2) bad(`${at} needs a [steps, features] input`);
        const p = positiveInt(layer.poolSize, `${at}.poolSize`);
        const steps = Math.floor((shape[0] as number) / p);
        if (steps < 1) bad(`${at}: poolSize ${p} is longer than the ${shape[0]} steps`);
        shape = [steps, last];
        break;
      }
      case 'flatten':
        shape = [shape.reduce((a, b) => a * b, 1)];
        break;
      case 'lstm':
      case 'gru': {
        if (shape.length !== 2) bad(`${at} needs a [steps, features] input, got [${shape.join(', ')}]`);
        const u = positiveInt(layer.units, `${at}.units`);
        shape = layer.returnSequences ? [shape[0] as number, u] : [u];
        break;
      }
      case 'attention':
        if (shape.length !== 2) {
          bad(`${at} needs a [steps, units] input (an lstm or gru with returnSequences), got [${shape.join(', ')}]`);
        }
        shape = [2 * last];
        break;
      default:
        bad(`${at}: unknown layer type '${(layer as { type: unknown }).type}'`);
    }
    out.push({ ...layer, name, inputShape, outputShape: shape } as ResolvedLayer);
  }
  return out;
}

/** The weights a network expects, in layer order (the order of bundles and optimiser state). */
export function weightSlots(spec: NetworkSpec): WeightSlot[] {
  const slots: WeightSlot[] = [];
  for (const layer of resolveNetwork(spec)) {
    const inCh = layer.inputShape[layer.inputShape.length - 1] as number;
    const w = (weight: string, shape: number[], trainable = true): void => {
      slots.push({ name: `${layer.name}/${weight}`, shape, trainable });
    };
    switch (layer.type) {
      case 'dense':
        w('kernel', [inCh, layer.units]);
        if (layer.useBias !== false) w('bias', [layer.units]);
        break;
      case 'batchNorm':
        w('gamma', [inCh]);
        w('beta', [inCh]);
        w('moving_mean', [inCh], false);
        w('moving_variance', [inCh], false);
        break;
      case 'conv1d':
        w('kernel', [layer.kernelSize, inCh, layer.filters]);
        w('bias', [layer.filters]);
        break;
      case 'lstm':
        w('kernel', [inCh, 4 * layer.units]);
        w('recurrent_kernel', [layer.units, 4 * layer.units]);
        w('bias', [4 * layer.units]);
        break;
      case 'gru':
        w('kernel', [inCh, 3 * layer.units]);
        w('recurrent_kernel', [layer.units, 3 * layer.units]);
        w('bias', [2, 3 * layer.units]);
        break;
      case 'attention':
        w('kernel', [inCh, inCh]);
        break;
      default:
        break;
    }
  }
  return slots;
}

/** Values per input row (product of `inputShape`). */
export function inputSize(spec: NetworkSpec): number {
  return spec.inputShape.reduce((a, b) => a * b, 1);
}

/** Values per output row (product of {@link outputShape}). */
export function outputSize(spec: NetworkSpec): number {
  return outputShape(spec).reduce((a, b) => a * b, 1);
}

/** The output shape of one row (without the batch axis). */
export function outputShape(spec: NetworkSpec): number[] {
  const layers = resolveNetwork(spec);
  return (layers[layers.length - 1] as ResolvedLayer).outputShape;
}
