import { DenseStack, type DenseStackLayer, denseLayersOf } from './dense-stack.js';
import { type NetworkSpec, resolveNetwork, weightSlots } from './network-spec.js';
import { gatherFrames, poolBackward, poolForward } from './sequence-ops.js';
import { SimdKernels } from './simd/index.js';

/** The shape of a network the {@link ConvStack} trains directly. */
export interface ConvStackPlan {
  steps: number;
  channels: number;
  kernelSize: number;
  filters: number;
  relu: boolean;
  /** 1 when there is no pooling layer. */
  poolSize: number;
  kernelSlot: number;
  tail: DenseStackLayer[];
}

/**
 * The plan for `conv1d (relu or linear) → [maxPool1d] → flatten → dense…` on a sequence input, or
 * undefined for any other network (those train through the tfjs graph path).
 */
export function convStackPlan(spec: NetworkSpec): ConvStackPlan | undefined {
  if (spec.inputShape.length !== 2) return undefined;
  const layers = resolveNetwork(spec);
  const slots = weightSlots(spec).map((s) => s.name);
  const [conv, ...rest] = layers;
  if (conv?.type !== 'conv1d') return undefined;
  const activation = conv.activation ?? 'linear';
  if (activation !== 'relu' && activation !== 'linear') return undefined;
  let poolSize = 1;
  let next = rest;
  if (next[0]?.type === 'maxPool1d') {
    poolSize = next[0].poolSize;
    next = next.slice(1);
  }
  if (next[0]?.type !== 'flatten') return undefined;
  const tail = denseLayersOf(next.slice(1), slots);
  if (tail === undefined) return undefined;
  return {
    steps: spec.inputShape[0] as number,
    channels: spec.inputShape[1] as number,
    kernelSize: conv.kernelSize,
    filters: conv.filters,
    relu: activation === 'relu',
    poolSize,
    kernelSlot: slots.indexOf(`${conv.name}/kernel`),
    tail,
  };
}

/** Per-batch buffers in the stack's memory (float indices), sized for `capacity` rows. */
interface ConvBatchMemory {
  capacity: number;
  frames: number;
  packedFrames: number;
  convOut: number;
  dz: number;
  packedDz: number;
}

/**
 * A 1-D convolutional network trained on Vigil's matrix kernels, like {@link DenseStack}: sliding
 * windows and max-pooling in JS, the convolution as one product over all windows (bias and ReLU
 * fused), the dense tail as a DenseStack. Same maths as the graph path (`framesOp`, `maxPool1dOp`,
 * `denseOp`).
 */
export class ConvStack {
  private readonly kernels = new SimdKernels();
  private readonly tail: DenseStack;
  private readonly convSteps: number;
  private readonly pooledSteps: number;
  private readonly width: number;
  private readonly kernel: number;
  private readonly packedKernel: number;
  private readonly bias: number;
  /** The convolution's gradients summed since the last {@link load}, as in DenseStack. */
  private readonly kernelGrad: number;
  private readonly biasGrad: number;
  private readonly weightsTop: number;
  private batch: ConvBatchMemory | undefined;
  private argmax: Int32Array | undefined;
  private rows = 0;

  constructor(readonly plan: ConvStackPlan) {
    this.convSteps = plan.steps - plan.kernelSize + 1;
    this.pooledSteps = Math.floor(this.convSteps / plan.poolSize);
    this.width = plan.kernelSize * plan.channels;
    const k = this.kernels;
    this.kernel = k.alloc(this.width * plan.filters);
    this.packedKernel = k.alloc(SimdKernels.packedSize(this.width, plan.filters));
    this.bias = k.alloc(plan.filters);
    this.kernelGrad = k.alloc(this.width * plan.filters);
    this.biasGrad = k.alloc(plan.filters);
    this.weightsTop = k.mark();
    this.tail = new DenseStack(plan.tail, this.pooledSteps * plan.filters);
  }

  load(values: Float32Array[]): void {
    const p = this.plan;
    const k = this.kernels;
    k.heap.set(values[p.kernelSlot] as Float32Array, this.kernel);
    k.heap.set(values[p.kernelSlot + 1] as Float32Array, this.bias);
    k.pack(this.kernel, p.filters, 1, this.width, p.filters, this.packedKernel);
    k.heap.fill(0, this.kernelGrad, this.kernelGrad + this.width * p.filters);
    k.heap.fill(0, this.biasGrad, this.biasGrad + p.filters);
    this.tail.load(values);
  }

  forward(x: Float32Array, rows: number, dropoutSeed?: number): Float32Array {
    const p = this.plan;
    this.release();
    this.rows = rows;
    const b = this.batchMemory(rows);
    const k = this.kernels;
    const heap = k.heap;
    const windows = rows * this.convSteps;
    gatherFrames(x, heap.subarray(b.frames, b.frames + windows * this.width), rows, p.steps, p.channels, p.kernelSize);
    k.matmul({
      a: { at: b.frames, rowStride: this.width, stepStride: 1 },
      packedB: this.packedKernel,
      c: b.convOut,
      cRowStride: p.filters,
      rows: windows,
      steps: this.width,
      cols: p.filters,
      bias: this.bias,
      relu: p.relu,
    });
    const convOut = heap.subarray(b.convOut, b.convOut + windows * p.filters);
    let pooled = convOut;
    if (p.poolSize > 1) {
      pooled = new Float32Array(rows * this.pooledSteps * p.filters);
      this.argmax = new Int32Array(pooled.length);
      poolForward(convOut, pooled, this.argmax, rows, this.convSteps, p.filters, p.poolSize);
    }
    return this.tail.forward(pooled, rows, dropoutSeed);
  }

  /** Sets every weight's gradient in `grads[slot]` (summed since {@link load}); the input gets none (it is data). */
  backward(dOutput: Float32Array, grads: Float32Array[]): void {
    const p = this.plan;
    const b = this.batch as ConvBatchMemory;
    const k = this.kernels;
    const heap = k.heap;
    const windows = this.rows * this.convSteps;
    const dPooled = this.tail.backward(dOutput, grads, true) as Float32Array;
    const dz = heap.subarray(b.dz, b.dz + windows * p.filters);
    if (p.poolSize > 1) {
      dz.fill(0);
      poolBackward(dPooled, this.argmax as Int32Array, dz);
    } else {
      dz.set(dPooled);
    }
    if (p.relu) k.reluGrad(b.dz, b.convOut, windows * p.filters);
    k.columnSums(b.dz, windows, p.filters, this.biasGrad);
    // dW += framesᵀ·dZ.
    k.packA(b.frames, 1, this.width, this.width, windows, b.packedFrames);
    k.pack(b.dz, p.filters, 1, windows, p.filters, b.packedDz);
    k.matmul({
      a: { packed: b.packedFrames },
      packedB: b.packedDz,
      c: this.kernelGrad,
      cRowStride: p.filters,
      rows: this.width,
      steps: windows,
      cols: p.filters,
      accumulate: true,
    });
    (grads[p.kernelSlot] as Float32Array).set(heap.subarray(this.kernelGrad, this.kernelGrad + this.width * p.filters));
    (grads[p.kernelSlot + 1] as Float32Array).set(heap.subarray(this.biasGrad, this.biasGrad + p.filters));
  }

  release(): void {
    this.tail.release();
    this.argmax = undefined;
    this.rows = 0;
  }

  dispose(): void {
    this.release();
    this.tail.dispose();
    this.batch = undefined;
    this.kernels.release(this.weightsTop);
  }

  private batchMemory(rows: number): ConvBatchMemory {
    if (this.batch && this.batch.capacity >= rows) return this.batch;
    const k = this.kernels;
    const p = this.plan;
    k.release(this.weightsTop);
    const windows = rows * this.convSteps;
    this.batch = {
      capacity: rows,
      frames: k.alloc(windows * this.width),
      packedFrames: k.alloc(SimdKernels.packedASize(this.width, windows)),
      convOut: k.alloc(windows * p.filters),
      dz: k.alloc(windows * p.filters),
      packedDz: k.alloc(SimdKernels.packedSize(windows, p.filters)),
    };
    return this.batch;
  }
}
