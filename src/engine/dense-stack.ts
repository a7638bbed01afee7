import type { TensorInfo } from '@tensorflow/tfjs-core';
import { Random } from '../random.js';
import { SELU_ALPHA, SELU_SCALE } from './activations.js';
import type { ActivationName, NetworkSpec, ResolvedLayer } from './network-spec.js';
import { resolveNetwork, weightSlots } from './network-spec.js';
import type { tf as tfNamespace } from './runtime.js';
import { WasmCalls } from './wasm-calls.js';

type Tf = typeof tfNamespace;

/** One dense layer of a {@link DenseStack}, with the dropout that follows it (rate 0 = none). */
export interface DenseStackLayer {
  units: number;
  activation: ActivationName;
  useBias: boolean;
  dropout: number;
  /** Index of the layer's kernel in the network's weight slots (bias is the next slot when present). */
  kernelSlot: number;
}

/** Activations whose derivative the stack computes from the output. */
const SUPPORTED = new Set<ActivationName>(['linear', 'relu', 'sigmoid', 'tanh', 'elu', 'selu']);
/** Activations the wasm FusedMatMul applies itself (the others run in JS after a linear product). */
const FUSED = new Set<ActivationName>(['linear', 'relu', 'sigmoid', 'elu']);

/**
 * The dense layers of a network made only of dense and dropout layers on a flat input, or
 * undefined when the network has anything else (those train through the tfjs graph path).
 */
export function denseStackLayers(spec: NetworkSpec): DenseStackLayer[] | undefined {
  if (spec.inputShape.length !== 1) return undefined;
  return denseLayersOf(
    resolveNetwork(spec),
    weightSlots(spec).map((s) => s.name),
  );
}

/** The same for a run of resolved layers (e.g. the tail after a convolution); `slots` are weight names. */
export function denseLayersOf(layers: ResolvedLayer[], slots: string[]): DenseStackLayer[] | undefined {
  const out: DenseStackLayer[] = [];
  for (const layer of layers) {
    if (layer.type === 'dense') {
      const activation = layer.activation ?? 'linear';
      if (!SUPPORTED.has(activation)) return undefined;
      out.push({
        units: layer.units,
        activation,
        useBias: layer.useBias !== false,
        dropout: 0,
        kernelSlot: slots.indexOf(`${layer.name}/kernel`),
      });
    } else if (layer.type === 'dropout' && out.length > 0) {
      const last = out[out.length - 1] as DenseStackLayer;
      last.dropout = 1 - (1 - last.dropout) * (1 - layer.rate);
    } else if (layer.type !== 'dropout' || layer.rate > 0) {
      return undefined;
    }
  }
  return out.length > 0 ? out : undefined;
}

/**
 * A stack of dense layers trained by direct wasm kernel calls: forward FusedMatMul per layer,
 * backward two products and a row sum per layer, with the ReLU mask applied on the heap. The
 * tfjs engine path costs tens of microseconds of bookkeeping per op and records a tape; for
 * small networks that bookkeeping was most of a step. The maths are the same as the graph path
 * (Keras inverted dropout, gradients written out), so `forwardNetwork` scores what this trains.
 *
 * Use: {@link load} the weights, {@link forward} a batch, {@link backward} from dLoss/dOutput,
 * {@link release} the batch's buffers; {@link dispose} at the end.
 */
export class DenseStack {
  private readonly calls: WasmCalls;
  private weights: TensorInfo[] = [];
  /** Per layer: its input (after the previous layer's dropout) and output (after activation). */
  private inputs: TensorInfo[] = [];
  private outputs: TensorInfo[] = [];
  private masks: (Float32Array | undefined)[] = [];
  private rows = 0;
  /** Per layer: where its kernel sits in `weights` (a bias, when present, follows it). */
  private readonly kernelAt: number[] = [];

  constructor(
    tf: Tf,
    readonly layers: DenseStackLayer[],
    readonly inputWidth: number,
  ) {
    this.calls = new WasmCalls(tf);
    let w = 0;
    for (const l of layers) {
      this.kernelAt.push(w);
      w += l.useBias ? 2 : 1;
    }
  }

  get outputWidth(): number {
    return (this.layers[this.layers.length - 1] as DenseStackLayer).units;
  }

  /** Uploads this step's weights (fresh buffers: tfjs-wasm caches packed operands by buffer). */
  load(values: Float32Array[]): void {
    this.calls.free(...this.weights);
    this.weights = [];
    let fanIn = this.inputWidth;
    for (const l of this.layers) {
      this.weights.push(this.calls.upload(values[l.kernelSlot] as Float32Array, [1, fanIn, l.units]));
      if (l.useBias) this.weights.push(this.calls.upload(values[l.kernelSlot + 1] as Float32Array, [l.units]));
      fanIn = l.units;
    }
  }

  /**
   * Runs `rows` rows forward and returns the raw outputs (a copy). With `dropoutSeed` the
   * dropout layers are active, their masks drawn from it.
   */
  forward(x: Float32Array, rows: number, dropoutSeed?: number): Float32Array {
    this.release();
    this.rows = rows;
    const rng = dropoutSeed === undefined ? undefined : new Random(dropoutSeed);
    let h = this.calls.upload(x, [1, rows, this.inputWidth]);
    let w = 0;
    for (const l of this.layers) {
      this.inputs.push(h);
      const kernel = this.weights[w++] as TensorInfo;
      const bias = l.useBias ? (this.weights[w++] as TensorInfo) : undefined;
      const fused = FUSED.has(l.activation);
      let y = this.calls.call('_FusedMatMul', bias ? { a: h, b: kernel, bias } : { a: h, b: kernel }, {
        transposeA: false,
        transposeB: false,
        activation: fused ? l.activation : 'linear',
      });
      if (!fused) {
        const z = this.calls.view(y);
        const out = new Float32Array(z.length);
        for (let i = 0; i < z.length; i++) out[i] = activate(l.activation, z[i] as number);
        this.calls.free(y);
        y = this.calls.upload(out, [1, rows, l.units]);
      }
      this.outputs.push(y);
      let mask: Float32Array | undefined;
      if (rng && l.dropout > 0) {
        mask = new Float32Array(rows * l.units);
        const keep = 1 - l.dropout;
        for (let i = 0; i < mask.length; i++) mask[i] = rng.next() < keep ? 1 / keep : 0;
        const m = this.calls.upload(mask, [1, rows, l.units]);
        h = this.calls.call('Multiply', { a: y, b: m });
        this.calls.free(m);
      } else {
        h = y;
      }
      this.masks.push(mask);
    }
    const out = Float32Array.from(this.calls.view(h));
    // The last layer's dropout output is not kept by anyone else.
    if (h !== this.outputs[this.outputs.length - 1]) this.calls.free(h);
    return out;
  }

  /**
   * Back-propagates dLoss/dOutput of the last forward pass. Adds each weight's gradient into
   * `grads[slot]` (so two passes, e.g. real and generated rows, sum). Returns dLoss/dInput when
   * `inputGrad` (a GAN's generator learns through its discriminator), else undefined.
   */
  backward(dOutput: Float32Array, grads: Float32Array[], inputGrad: boolean): Float32Array | undefined {
    const rows = this.rows;
    let dh = this.calls.upload(dOutput, [1, rows, this.outputWidth]);
    let dx: Float32Array | undefined;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i] as DenseStackLayer;
      const y = this.outputs[i] as TensorInfo;
      const mask = this.masks[i];
      let dz: TensorInfo;
      if (mask === undefined && (l.activation === 'linear' || l.activation === 'relu')) {
        if (l.activation === 'linear') dz = dh;
        else {
          const step = this.calls.call('Step', { x: y }, { alpha: 0 });
          dz = this.calls.call('Multiply', { a: dh, b: step });
          this.calls.free(step, dh);
        }
      } else {
        const g = this.calls.view(dh);
        const yv = this.calls.view(y);
        const out = new Float32Array(g.length);
        for (let k = 0; k < g.length; k++) {
          const dyk = mask ? (g[k] as number) * (mask[k] as number) : (g[k] as number);
          out[k] = dyk * activationSlope(l.activation, yv[k] as number);
        }
        this.calls.free(dh);
        dz = this.calls.upload(out, [1, rows, l.units]);
      }
      const input = this.inputs[i] as TensorInfo;
      const dKernel = this.calls.call('BatchMatMul', { a: input, b: dz }, { transposeA: true, transposeB: false });
      addInto(grads[l.kernelSlot] as Float32Array, this.calls.view(dKernel));
      this.calls.free(dKernel);
      if (l.useBias) {
        const flat = { dataId: dz.dataId, shape: [rows, l.units], dtype: dz.dtype } as TensorInfo;
        const dBias = this.calls.call('Sum', { x: flat }, { axis: [0], keepDims: false });
        addInto(grads[l.kernelSlot + 1] as Float32Array, this.calls.view(dBias));
        this.calls.free(dBias);
      }
      if (i > 0 || inputGrad) {
        const kernel = this.weights[this.kernelAt[i] as number] as TensorInfo;
        dh = this.calls.call('BatchMatMul', { a: dz, b: kernel }, { transposeA: false, transposeB: true });
        if (i === 0) {
          dx = Float32Array.from(this.calls.view(dh));
          this.calls.free(dh);
        }
      }
      this.calls.free(dz);
    }
    return dx;
  }

  /** Frees the buffers of the last forward pass. */
  release(): void {
    const kept = new Set<TensorInfo>();
    for (const t of [...this.inputs, ...this.outputs]) {
      if (!kept.has(t)) {
        kept.add(t);
        this.calls.free(t);
      }
    }
    this.inputs = [];
    this.outputs = [];
    this.masks = [];
  }

  /** Frees everything; the stack cannot be used afterwards. */
  dispose(): void {
    this.release();
    this.calls.free(...this.weights);
    this.weights = [];
  }
}

/** into += values, element-wise (gradients summed over passes). */
export function addInto(into: Float32Array, values: Float32Array): void {
  for (let i = 0; i < into.length; i++) into[i] = (into[i] as number) + (values[i] as number);
}

function activate(activation: ActivationName, z: number): number {
  switch (activation) {
    case 'tanh':
      return Math.tanh(z);
    case 'selu':
      return z > 0 ? SELU_SCALE * z : SELU_SCALE * SELU_ALPHA * (Math.exp(z) - 1);
    default:
      return z;
  }
}

/** d act / dz written from the output y. */
function activationSlope(activation: ActivationName, y: number): number {
  switch (activation) {
    case 'linear':
      return 1;
    case 'relu':
      return y > 0 ? 1 : 0;
    case 'sigmoid':
      return y * (1 - y);
    case 'tanh':
      return 1 - y * y;
    case 'elu':
      return y > 0 ? 1 : y + 1;
    case 'selu':
      return y > 0 ? SELU_SCALE : y + SELU_SCALE * SELU_ALPHA;
    default:
      return 1;
  }
}
