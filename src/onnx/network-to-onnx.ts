/**
 * Converts a Vigil network (a {@link NetworkSpec} and its Keras-layout weights) into an ONNX graph
 * that computes the same function as the TF.js forward pass at inference: dropout is the identity,
 * batch norm uses its moving statistics, recurrent layers start from zero state.
 */
import type { NetworkWeight } from '../engine/network-runner.js';
import {
  type ActivationName,
  type NetworkSpec,
  outputShape,
  type ResolvedLayer,
  resolveNetwork,
  weightSlots,
} from '../engine/network-spec.js';
import { ConfigError, DataError, type Issue } from '../errors.js';
import {
  encodeOnnxModel,
  ONNX_IR_VERSION,
  ONNX_OPSET,
  type OnnxAttribute,
  type OnnxNode,
  type OnnxTensor,
} from './onnx-model.js';

/** Graph input and output names of every exported network. */
export const NETWORK_INPUT_NAME = 'input';
export const NETWORK_OUTPUT_NAME = 'output';
/** The symbolic batch dimension: any number of rows per call. */
export const BATCH_DIM = 'N';

/** Keras' batch-normalisation epsilon, which the TF.js forward pass uses too. */
const BN_EPSILON = 1e-3;
/** Keras' SELU constants (Klambauer et al.), written out rather than relying on ONNX's defaults. */
const SELU_ALPHA = 1.6732632423543772;
const SELU_SCALE = 1.0507009873554805;

export interface NetworkToOnnxOptions {
  /** Graph name (default `'vigil_network'`). */
  graphName?: string;
  /** Written as the model's `producer_version` (e.g. the Vigil version). */
  producerVersion?: string;
  docString?: string;
  /** Extra `metadata_props` (task, feature names, …) for whoever loads the file. */
  metadata?: Record<string, string>;
}

/**
 * Checks `weights` against `weightSlots(spec)`: every expected weight present with its shape and
 * value count, nothing extra. Throws one {@link DataError} (`bad_weights`) listing every problem,
 * each issue naming the weight.
 */
export function checkNetworkWeights(spec: NetworkSpec, weights: NetworkWeight[]): Map<string, NetworkWeight> {
  const byName = new Map<string, NetworkWeight>();
  for (const w of weights) byName.set(w.name, w);
  const issues: Issue[] = [];
  const add = (name: string, code: string, message: string) => issues.push({ code, path: [name], message });
  const expected = new Set<string>();
  for (const slot of weightSlots(spec)) {
    expected.add(slot.name);
    const w = byName.get(slot.name);
    const want = `[${slot.shape.join(', ')}]`;
    if (w === undefined) {
      add(slot.name, 'missing_weight', `weight ${slot.name} ${want} is missing`);
    } else if (w.shape.length !== slot.shape.length || w.shape.some((d, i) => d !== slot.shape[i])) {
      add(slot.name, 'weight_shape', `weight ${slot.name} has shape [${w.shape.join(', ')}], expected ${want}`);
    } else if (w.values.length !== slot.shape.reduce((a, b) => a * b, 1)) {
      add(slot.name, 'weight_size', `weight ${slot.name} has ${w.values.length} values for shape ${want}`);
    }
  }
  for (const w of weights) {
    if (!expected.has(w.name)) add(w.name, 'unexpected_weight', `weight ${w.name} is not part of the network`);
  }
  if (issues.length > 0) {
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new DataError('bad_weights', `network weights do not match the spec: ${issues[0]?.message}${more}`, {
      issues,
    });
  }
  return byName;
}

/** Channel layout of a 3-D activation: Keras' `[N, steps, ch]` or ONNX Conv's `[N, ch, steps]`. */
type Layout = 'steps-last' | 'channels-last';

/** Builds the node list, naming every tensor after the layer that makes it. */
class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  /** Graph input and output names are reserved so no node output can take them. */
  private readonly names = new Set<string>([NETWORK_INPUT_NAME, NETWORK_OUTPUT_NAME]);

  private unique(base: string): string {
    let name = base;
    for (let i = 1; this.names.has(name); i++) name = `${base}_${i}`;
    this.names.add(name);
    return name;
  }

  floats(name: string, dims: number[], values: Float32Array): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims, dataType: 'float32', values });
    return unique;
  }

  int64s(name: string, values: number[]): string {
    const unique = this.unique(name);
    this.initializers.push({
      name: unique,
      dims: [values.length],
      dataType: 'int64',
      values: BigInt64Array.from(values, (v) => BigInt(v)),
    });
    return unique;
  }

  /** Adds a node with one output (or several, when `outputs` names them) and returns its outputs. */
  node(opType: string, inputs: string[], name: string, attributes: OnnxAttribute[] = [], outputs?: string[]): string[] {
    const nodeName = this.unique(`${name}/${opType}`);
    const outs = (outputs ?? [`${name}/${opType}:0`]).map((o) => (o === '' ? '' : this.unique(o)));
    this.nodes.push({ opType, inputs, outputs: outs, name: nodeName, attributes });
    return outs;
  }

  one(opType: string, inputs: string[], name: string, attributes: OnnxAttribute[] = []): string {
    return this.node(opType, inputs, name, attributes)[0] as string;
  }

  /** Names `x` the graph output (an Identity node, which onnxruntime removes when optimising). */
  output(x: string): void {
    this.nodes.push({ opType: 'Identity', inputs: [x], outputs: [NETWORK_OUTPUT_NAME], name: 'output/Identity' });
  }
}

const ints = (name: string, value: number[]): OnnxAttribute => ({ name, kind: 'ints', value });
const int = (name: string, value: number): OnnxAttribute => ({ name, kind: 'int', value });
const float = (name: string, value: number): OnnxAttribute => ({ name, kind: 'float', value });

function activation(g: GraphBuilder, x: string, act: ActivationName | undefined, name: string): string {
  switch (act ?? 'linear') {
    case 'linear':
      return x;
    case 'relu':
      return g.one('Relu', [x], name);
    case 'elu':
      return g.one('Elu', [x], name, [float('alpha', 1)]);
    case 'selu':
      return g.one('Selu', [x], name, [float('alpha', SELU_ALPHA), float('gamma', SELU_SCALE)]);
    case 'tanh':
      return g.one('Tanh', [x], name);
    case 'sigmoid':
      return g.one('Sigmoid', [x], name);
    case 'gelu': {
      // tanh approximation, as the TF.js side (Keras gelu(approximate=True)); opset 17 has no Gelu op.
      const scalar = (label: string, v: number) => g.floats(`${name}/${label}`, [], Float32Array.of(v));
      const x3 = g.one('Mul', [x, g.one('Mul', [x, x], `${name}/x2`)], `${name}/x3`);
      const inner = g.one('Add', [x, g.one('Mul', [x3, scalar('c', 0.044715)], `${name}/cx3`)], `${name}/inner`);
      const t = g.one('Tanh', [g.one('Mul', [inner, scalar('k', Math.sqrt(2 / Math.PI))], `${name}/scaled`)], name);
      const onePlus = g.one('Add', [t, scalar('one', 1)], `${name}/one_plus`);
      return g.one('Mul', [g.one('Mul', [x, scalar('half', 0.5)], `${name}/half_x`), onePlus], `${name}/gelu`);
    }
  }
}

/** Keras `[rows, cols]` → ONNX `[cols, rows]` with the gate blocks of `cols` reordered. */
function gatesTransposed(values: Float32Array, rows: number, units: number, gateOrder: number[]): Float32Array {
  const nGates = gateOrder.length;
  const cols = nGates * units;
  const out = new Float32Array(rows * cols);
  for (const [g, kerasGate] of gateOrder.entries()) {
    for (let j = 0; j < units; j++) {
      const src = kerasGate * units + j;
      const dst = g * units + j;
      for (let k = 0; k < rows; k++) out[dst * rows + k] = values[k * cols + src] as number;
    }
  }
  return out;
}

/** Keras bias `[nGates·u]` with its gate blocks reordered. */
function gatesReordered(values: Float32Array, units: number, gateOrder: number[]): Float32Array {
  const out = new Float32Array(gateOrder.length * units);
  for (const [g, kerasGate] of gateOrder.entries()) {
    out.set(values.subarray(kerasGate * units, (kerasGate + 1) * units), g * units);
  }
  return out;
}

/** ONNX LSTM gates are i, o, f, c; Keras stores i, f, c, o. */
const LSTM_GATES = [0, 3, 1, 2];
/** ONNX GRU gates are z, r, h, as Keras. */
const GRU_GATES = [0, 1, 2];

/**
 * Lowers each layer to ONNX nodes. The current tensor keeps the batch axis first; 3-D tensors are
 * tracked with their layout so consecutive conv/pool layers do not transpose back and forth.
 */
function lowerLayers(g: GraphBuilder, layers: ResolvedLayer[], weights: Map<string, NetworkWeight>): string {
  let x = NETWORK_INPUT_NAME;
  let layout = 'channels-last' as Layout;
  const w = (layer: ResolvedLayer, name: string) => weights.get(`${layer.name}/${name}`) as NetworkWeight;
  const channelsLast = (name: string): string => {
    if (layout === 'channels-last') return x;
    layout = 'channels-last';
    return g.one('Transpose', [x], `${name}/to_channels_last`, [ints('perm', [0, 2, 1])]);
  };
  const stepsLast = (name: string): string => {
    if (layout === 'steps-last') return x;
    layout = 'steps-last';
    return g.one('Transpose', [x], `${name}/to_channels_first`, [ints('perm', [0, 2, 1])]);
  };

  for (const layer of layers) {
    const name = layer.name;
    const rank = layer.inputShape.length + 1;
    switch (layer.type) {
      case 'dense': {
        x = channelsLast(name);
        const kernel = w(layer, 'kernel');
        const bias = layer.useBias === false ? undefined : w(layer, 'bias');
        const k = g.floats(kernel.name, kernel.shape, kernel.values);
        const b = bias && g.floats(bias.name, bias.shape, bias.values);
        if (rank === 2) {
          // Gemm is the op onnxruntime fuses best (with a following Relu, among others).
          x = g.one('Gemm', b ? [x, k, b] : [x, k], name);
        } else {
          // Gemm is 2-D only; MatMul broadcasts over [N, steps, in] · [in, units].
          x = g.one('MatMul', [x, k], name);
          if (b) x = g.one('Add', [x, b], `${name}/bias`);
        }
        x = activation(g, x, layer.activation, `${name}/${layer.activation ?? 'linear'}`);
        break;
      }
      case 'activation':
        x = activation(g, x, layer.activation, name);
        break;
      case 'dropout':
        // Identity at inference.
        break;
      case 'batchNorm': {
        // y = (x − mean)/√(var + ε)·γ + β folded into y = x·scale + shift, broadcast on the channel axis.
        const gamma = w(layer, 'gamma').values;
        const beta = w(layer, 'beta').values;
        const mean = w(layer, 'moving_mean').values;
        const variance = w(layer, 'moving_variance').values;
        const n = gamma.length;
        const scale = new Float32Array(n);
        const shift = new Float32Array(n);
        for (let c = 0; c < n; c++) {
          const s = (gamma[c] as number) / Math.sqrt((variance[c] as number) + BN_EPSILON);
          scale[c] = s;
          shift[c] = (beta[c] as number) - (mean[c] as number) * s;
        }
        // In the steps-last layout the channel axis is 1: shape the constants [ch, 1] to broadcast there.
        const dims = rank === 3 && layout === 'steps-last' ? [n, 1] : [n];
        const s = g.floats(`${name}/scale`, dims, scale);
        const t = g.floats(`${name}/shift`, dims, shift);
        x = g.one('Add', [g.one('Mul', [x, s], `${name}/scale`), t], `${name}/shift`);
        break;
      }
      case 'conv1d': {
        x = stepsLast(name);
        const kernel = w(layer, 'kernel');
        const [kSize, inCh, filters] = kernel.shape as [number, number, number];
        // Keras [k, in, filters] → ONNX [filters, in, k].
        const reordered = new Float32Array(kernel.values.length);
        for (let t = 0; t < kSize; t++) {
          for (let c = 0; c < inCh; c++) {
            for (let f = 0; f < filters; f++) {
              reordered[(f * inCh + c) * kSize + t] = kernel.values[(t * inCh + c) * filters + f] as number;
            }
          }
        }
        const k = g.floats(kernel.name, [filters, inCh, kSize], reordered);
        const bias = w(layer, 'bias');
        const b = g.floats(bias.name, bias.shape, bias.values);
        x = g.one('Conv', [x, k, b], name, [
          ints('kernel_shape', [kSize]),
          ints('strides', [1]),
          ints('pads', [0, 0]),
          ints('dilations', [1]),
        ]);
        x = activation(g, x, layer.activation, `${name}/${layer.activation ?? 'linear'}`);
        break;
      }
      case 'maxPool1d': {
        x = stepsLast(name);
        // ceil_mode 0: floor(steps / pool) windows, the tail dropped, as Keras 'valid' pooling.
        x = g.one('MaxPool', [x], name, [
          ints('kernel_shape', [layer.poolSize]),
          ints('strides', [layer.poolSize]),
          ints('pads', [0, 0]),
          int('ceil_mode', 0),
        ]);
        break;
      }
      case 'flatten': {
        if (rank === 2) break;
        // Row-major over Keras' [steps, ch], so back to channels-last first; 0 keeps the batch size.
        x = channelsLast(name);
        x = g.one('Reshape', [x, g.int64s(`${name}/shape`, [0, -1])], name);
        break;
      }
      case 'lstm':
      case 'gru': {
        x = channelsLast(name);
        const units = layer.units;
        const inCh = layer.inputShape[1] as number;
        const gates = layer.type === 'lstm' ? LSTM_GATES : GRU_GATES;
        const nGates = gates.length;
        const kernel = w(layer, 'kernel');
        const recurrent = w(layer, 'recurrent_kernel');
        const bias = w(layer, 'bias');
        const W = g.floats(kernel.name, [1, nGates * units, inCh], gatesTransposed(kernel.values, inCh, units, gates));
        const R = g.floats(
          recurrent.name,
          [1, nGates * units, units],
          gatesTransposed(recurrent.values, units, units, gates),
        );
        // B = [Wb, Rb]. LSTM: Keras has one bias, so Rb is zero. GRU: Keras' [2, 3u] is exactly [Wb; Rb].
        const B = new Float32Array(2 * nGates * units);
        if (layer.type === 'lstm') B.set(gatesReordered(bias.values, units, gates));
        else B.set(bias.values);
        const b = g.floats(bias.name, [1, 2 * nGates * units], B);
        // layout = 0 (time-major) is what every onnxruntime build supports: [steps, N, in].
        const timeMajor = g.one('Transpose', [x], `${name}/time_major`, [ints('perm', [1, 0, 2])]);
        const attributes: OnnxAttribute[] = [int('hidden_size', units)];
        if (layer.type === 'gru') attributes.push(int('linear_before_reset', 1)); // Keras reset_after=True
        const opType = layer.type === 'lstm' ? 'LSTM' : 'GRU';
        if (layer.returnSequences) {
          // Y: [steps, 1 direction, N, u] → [steps, N, u] → [N, steps, u].
          const [y] = g.node(opType, [timeMajor, W, R, b], name, attributes, [`${name}/Y`]);
          const squeezed = g.one('Squeeze', [y as string, g.int64s(`${name}/axes`, [1])], `${name}/squeeze`);
          x = g.one('Transpose', [squeezed], `${name}/batch_major`, [ints('perm', [1, 0, 2])]);
        } else {
          // Y_h: [1 direction, N, u] → [N, u]. Y itself is not computed.
          const [, yh] = g.node(opType, [timeMajor, W, R, b], name, attributes, ['', `${name}/Y_h`]);
          x = g.one('Squeeze', [yh as string, g.int64s(`${name}/axes`, [0])], `${name}/squeeze`);
        }
        break;
      }
      case 'attention': {
        // attentionOp: q = h_T·W, a = softmax over steps of H·q, output [Σ aₜhₜ, h_T].
        x = channelsLast(name);
        const steps = layer.inputShape[0] as number;
        const kernel = w(layer, 'kernel');
        const k = g.floats(kernel.name, kernel.shape, kernel.values);
        const lastStep = g.one('Gather', [x, g.int64s(`${name}/last_step`, [steps - 1])], `${name}/last`, [
          int('axis', 1),
        ]);
        const last = g.one('Squeeze', [lastStep, g.int64s(`${name}/step_axis`, [1])], `${name}/last_state`);
        const query = g.one('MatMul', [last, k], `${name}/query`);
        const column = g.one('Unsqueeze', [query, g.int64s(`${name}/column_axis`, [2])], `${name}/query_column`);
        const scores = g.one('MatMul', [x, column], `${name}/scores`);
        const weights = g.one('Softmax', [scores], `${name}/weights`, [int('axis', 1)]);
        const weighted = g.one('Mul', [x, weights], `${name}/weighted`);
        const context = g.one('ReduceSum', [weighted, g.int64s(`${name}/sum_axis`, [1])], `${name}/context`, [
          int('keepdims', 0),
        ]);
        x = g.one('Concat', [context, last], name, [int('axis', 1)]);
        break;
      }
      default: {
        // A layer type added to network-spec.ts without an ONNX lowering fails here at compile time.
        const unknown: never = layer;
        throw new ConfigError('bad_network', `layer type '${(unknown as { type: string }).type}' has no ONNX form`);
      }
    }
  }
  return channelsLast('output');
}

/**
 * Writes a network as an ONNX model (opset 17, IR version 8) with one float input `input`
 * `[N, ...inputShape]` and one output `output` `[N, ...outputShape]` holding the raw outputs
 * (logits for a classifier: apply sigmoid or softmax yourself).
 *
 * @throws DataError `bad_weights` naming every weight that is missing, extra or of the wrong shape.
 * @throws ConfigError `bad_network` when the spec itself is invalid.
 * @example
 * const bytes = networkToOnnx({ inputShape: [30], layers: [{ type: 'dense', units: 1 }] }, weights);
 * await writeFile('model.onnx', bytes);
 */
export function networkToOnnx(
  spec: NetworkSpec,
  weights: NetworkWeight[],
  options: NetworkToOnnxOptions = {},
): Uint8Array {
  const layers = resolveNetwork(spec);
  const byName = checkNetworkWeights(spec, weights);
  const g = new GraphBuilder();
  const last = lowerLayers(g, layers, byName);
  g.output(last);
  return encodeOnnxModel({
    irVersion: ONNX_IR_VERSION,
    opsetVersion: ONNX_OPSET,
    producerName: 'vigil',
    ...(options.producerVersion !== undefined ? { producerVersion: options.producerVersion } : {}),
    ...(options.docString !== undefined ? { docString: options.docString } : {}),
    metadata: { 'vigil.network': JSON.stringify(spec), ...options.metadata },
    graph: {
      name: options.graphName ?? 'vigil_network',
      nodes: g.nodes,
      initializers: g.initializers,
      inputs: [{ name: NETWORK_INPUT_NAME, elemType: 'float32', shape: [BATCH_DIM, ...spec.inputShape] }],
      outputs: [{ name: NETWORK_OUTPUT_NAME, elemType: 'float32', shape: [BATCH_DIM, ...outputShape(spec)] }],
    },
  });
}
