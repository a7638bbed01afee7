import { Random } from '../random.js';
import { SELU_ALPHA, SELU_SCALE } from './activations.js';
import type { ActivationName, NetworkSpec, ResolvedLayer } from './network-spec.js';
import { resolveNetwork, weightSlots } from './network-spec.js';
import { SimdKernels } from './simd/index.js';

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

/** Where one layer's weights live in the stack's memory (float indices). */
interface LayerMemory {
  fanIn: number;
  /** The kernel as given, [fanIn × units] row-major: the source of both packings. */
  kernel: number;
  /** The kernel packed as B of the forward product x·W. */
  packedKernel: number;
  /** Wᵀ packed as B of the backward product dZ·Wᵀ. */
  packedKernelT: number;
  bias: number;
  /** dLoss/dW and dLoss/db summed over the backward passes since the last {@link DenseStack.load}. */
  kernelGrad: number;
  biasGrad: number;
}

/** Per-batch buffers, sized for `capacity` rows (float indices). */
interface BatchMemory {
  capacity: number;
  input: number;
  /** Per layer: its output after activation, and after dropout when it has one. */
  outputs: number[];
  dropped: number[];
  /** Two ping-pong buffers for dLoss/dh as it moves down the stack. */
  grad: [number, number];
  packedGrad: number;
  packedInput: number;
}

/**
 * A stack of dense layers trained on Vigil's own matrix kernels (see gemm/): forward one product
 * per layer with bias and ReLU fused, backward dW = Xᵀ·dZ and dX = dZ·Wᵀ with the transposes
 * expressed as packing, masks, slopes and bias sums in one JS pass. The tfjs engine path costs
 * tens of microseconds of bookkeeping per op and records a tape, and tfjs-wasm's matmul has no
 * FMA; here a step is a dozen kernel calls on one WebAssembly memory. The maths are the same as
 * the graph path (Keras inverted dropout, gradients written out), so `forwardNetwork` scores
 * what this trains.
 *
 * Use: {@link load} the weights, {@link forward} a batch, {@link backward} from dLoss/dOutput,
 * {@link release} the batch; {@link dispose} at the end.
 */
export class DenseStack {
  private readonly kernels = new SimdKernels();
  private readonly layerMemory: LayerMemory[] = [];
  /** The allocator mark after the weights: batch buffers are reallocated above it. */
  private readonly weightsTop: number;
  private batch: BatchMemory | undefined;
  private masks: (Float32Array | undefined)[] = [];
  private rows = 0;

  constructor(
    readonly layers: DenseStackLayer[],
    readonly inputWidth: number,
  ) {
    const k = this.kernels;
    let fanIn = inputWidth;
    for (const l of layers) {
      this.layerMemory.push({
        fanIn,
        kernel: k.alloc(fanIn * l.units),
        packedKernel: k.alloc(SimdKernels.packedSize(fanIn, l.units)),
        packedKernelT: k.alloc(SimdKernels.packedSize(l.units, fanIn)),
        bias: k.alloc(l.units),
        kernelGrad: k.alloc(fanIn * l.units),
        biasGrad: k.alloc(l.units),
      });
      fanIn = l.units;
    }
    this.weightsTop = k.mark();
  }

  /** Bytes of the stack's kernel memory (it grows only when a batch has more rows than any before). */
  get memoryBytes(): number {
    return this.kernels.memoryBytes;
  }

  get outputWidth(): number {
    return (this.layers[this.layers.length - 1] as DenseStackLayer).units;
  }

  /** Copies this step's weights in, packs them for both products, and zeroes the gradient sums. */
  load(values: Float32Array[]): void {
    const k = this.kernels;
    for (const [i, l] of this.layers.entries()) {
      const m = this.layerMemory[i] as LayerMemory;
      k.heap.fill(0, m.kernelGrad, m.kernelGrad + m.fanIn * l.units);
      k.heap.fill(0, m.biasGrad, m.biasGrad + l.units);
      k.heap.set(values[l.kernelSlot] as Float32Array, m.kernel);
      if (l.useBias) k.heap.set(values[l.kernelSlot + 1] as Float32Array, m.bias);
      k.pack(m.kernel, l.units, 1, m.fanIn, l.units, m.packedKernel);
      // Wᵀ[n][k] = W[k][n]: steps run along a kernel row, columns down it.
      k.pack(m.kernel, 1, l.units, l.units, m.fanIn, m.packedKernelT);
    }
  }

  /**
   * Runs `rows` rows forward and returns the raw outputs (a copy). With `dropoutSeed` the
   * dropout layers are active, their masks drawn from it.
   */
  forward(x: Float32Array, rows: number, dropoutSeed?: number): Float32Array {
    this.release();
    this.rows = rows;
    const b = this.batchMemory(rows);
    const k = this.kernels;
    const heap = k.heap;
    const rng = dropoutSeed === undefined ? undefined : new Random(dropoutSeed);
    heap.set(x.subarray(0, rows * this.inputWidth), b.input);
    let h = b.input;
    for (const [i, l] of this.layers.entries()) {
      const m = this.layerMemory[i] as LayerMemory;
      const y = b.outputs[i] as number;
      k.matmul({
        a: { at: h, rowStride: m.fanIn, stepStride: 1 },
        packedB: m.packedKernel,
        c: y,
        cRowStride: l.units,
        rows,
        steps: m.fanIn,
        cols: l.units,
        bias: l.useBias ? m.bias : undefined,
        relu: l.activation === 'relu',
      });
      if (l.activation !== 'relu' && l.activation !== 'linear') {
        for (let j = y; j < y + rows * l.units; j++) heap[j] = activate(l.activation, heap[j] as number);
      }
      let mask: Float32Array | undefined;
      if (rng && l.dropout > 0) {
        mask = new Float32Array(rows * l.units);
        const keep = 1 - l.dropout;
        for (let j = 0; j < mask.length; j++) mask[j] = rng.next() < keep ? 1 / keep : 0;
        const d = b.dropped[i] as number;
        for (let j = 0; j < mask.length; j++) heap[d + j] = (heap[y + j] as number) * (mask[j] as number);
        h = d;
      } else {
        h = y;
      }
      this.masks.push(mask);
    }
    return heap.slice(h, h + rows * this.outputWidth);
  }

  /**
   * Back-propagates dLoss/dOutput of the last forward pass. The weight gradients are summed in the
   * stack over every backward pass since {@link load} (e.g. a discriminator's real and generated
   * rows), and `grads[slot]` is set to that sum; with `grads` undefined none are computed. Returns
   * dLoss/dInput when `inputGrad` (a GAN's generator learns through its discriminator).
   */
  backward(dOutput: Float32Array, grads: Float32Array[] | undefined, inputGrad: boolean): Float32Array | undefined {
    const rows = this.rows;
    const b = this.batch as BatchMemory;
    const k = this.kernels;
    const heap = k.heap;
    let [dh, spare] = b.grad;
    heap.set(dOutput.subarray(0, rows * this.outputWidth), dh);
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i] as DenseStackLayer;
      const m = this.layerMemory[i] as LayerMemory;
      const y = b.outputs[i] as number;
      const n = rows * l.units;
      // dZ = dH ⊙ dropout mask ⊙ act'(y), in place.
      const mask = this.masks[i];
      if (mask) for (let j = 0; j < n; j++) heap[dh + j] = (heap[dh + j] as number) * (mask[j] as number);
      if (l.activation === 'relu') k.reluGrad(dh, y, n);
      else if (l.activation !== 'linear') applySlope(heap, dh, y, n, l.activation);
      if (grads) {
        if (l.useBias) {
          k.columnSums(dh, rows, l.units, m.biasGrad);
          (grads[l.kernelSlot + 1] as Float32Array).set(heap.subarray(m.biasGrad, m.biasGrad + l.units));
        }
        // dW += Xᵀ·dZ: X read transposed through packing, dZ packed as B.
        const input = i === 0 ? b.input : this.layerInput(i);
        k.packA(input, 1, m.fanIn, m.fanIn, rows, b.packedInput);
        k.pack(dh, l.units, 1, rows, l.units, b.packedGrad);
        k.matmul({
          a: { packed: b.packedInput },
          packedB: b.packedGrad,
          c: m.kernelGrad,
          cRowStride: l.units,
          rows: m.fanIn,
          steps: rows,
          cols: l.units,
          accumulate: true,
        });
        (grads[l.kernelSlot] as Float32Array).set(heap.subarray(m.kernelGrad, m.kernelGrad + m.fanIn * l.units));
      }
      if (i > 0 || inputGrad) {
        k.matmul({
          a: { at: dh, rowStride: l.units, stepStride: 1 },
          packedB: m.packedKernelT,
          c: spare,
          cRowStride: m.fanIn,
          rows,
          steps: l.units,
          cols: m.fanIn,
        });
        [dh, spare] = [spare, dh];
      }
    }
    return inputGrad ? heap.slice(dh, dh + rows * this.inputWidth) : undefined;
  }

  /** Forgets the last forward pass (its buffers are reused by the next). */
  release(): void {
    this.masks = [];
    this.rows = 0;
  }

  /** Frees the stack's memory; the stack cannot be used afterwards. */
  dispose(): void {
    this.release();
    this.batch = undefined;
    this.kernels.release(this.weightsTop);
  }

  /** The input of layer i > 0: the previous layer's output, after its dropout when it has one. */
  private layerInput(i: number): number {
    const b = this.batch as BatchMemory;
    return this.masks[i - 1] !== undefined ? (b.dropped[i - 1] as number) : (b.outputs[i - 1] as number);
  }

  private batchMemory(rows: number): BatchMemory {
    if (this.batch && this.batch.capacity >= rows) return this.batch;
    const k = this.kernels;
    k.release(this.weightsTop);
    const widths = [this.inputWidth, ...this.layers.map((l) => l.units)];
    const widest = Math.max(...widths);
    let packedGrad = 0;
    let packedInput = 0;
    for (const [i, m] of this.layerMemory.entries()) {
      const units = (this.layers[i] as DenseStackLayer).units;
      packedGrad = Math.max(packedGrad, SimdKernels.packedSize(rows, units));
      packedInput = Math.max(packedInput, SimdKernels.packedASize(m.fanIn, rows));
    }
    this.batch = {
      capacity: rows,
      input: k.alloc(rows * this.inputWidth),
      outputs: this.layers.map((l) => k.alloc(rows * l.units)),
      dropped: this.layers.map((l) => (l.dropout > 0 ? k.alloc(rows * l.units) : -1)),
      grad: [k.alloc(rows * widest), k.alloc(rows * widest)],
      packedGrad: k.alloc(packedGrad),
      packedInput: k.alloc(packedInput),
    };
    return this.batch;
  }
}

function activate(activation: ActivationName, z: number): number {
  switch (activation) {
    case 'sigmoid':
      return 1 / (1 + Math.exp(-z));
    case 'elu':
      return z > 0 ? z : Math.exp(z) - 1;
    case 'tanh':
      return Math.tanh(z);
    case 'selu':
      return z > 0 ? SELU_SCALE * z : SELU_SCALE * SELU_ALPHA * (Math.exp(z) - 1);
    default:
      return z;
  }
}

/** dH ⊙ act'(y) in place at `dh`, for `n` values, for the activations without a kernel of their own. */
function applySlope(heap: Float32Array, dh: number, y: number, n: number, activation: ActivationName): void {
  for (let j = 0; j < n; j++)
    heap[dh + j] = (heap[dh + j] as number) * activationSlope(activation, heap[y + j] as number);
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
