import type { TensorInfo } from '@tensorflow/tfjs-core';
import { addInto, DenseStack, type DenseStackLayer, denseLayersOf } from './dense-stack.js';
import { type NetworkSpec, resolveNetwork, weightSlots } from './network-spec.js';
import type { tf as tfNamespace } from './runtime.js';
import { gatherFrames, poolBackward, poolForward } from './sequence-ops.js';
import { WasmCalls } from './wasm-calls.js';

type Tf = typeof tfNamespace;

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

/**
 * A 1-D convolutional network trained by direct wasm calls, like {@link DenseStack}: sliding
 * windows and max-pooling in JS, the convolution as one FusedMatMul over all windows, the dense
 * tail as a DenseStack. Same maths as the graph path (`framesOp`, `maxPool1dOp`, `denseOp`).
 */
export class ConvStack {
  private readonly calls: WasmCalls;
  private readonly tail: DenseStack;
  private readonly convSteps: number;
  private readonly pooledSteps: number;
  private kernel: TensorInfo | undefined;
  private bias: TensorInfo | undefined;
  private frames: TensorInfo | undefined;
  private convOut: Float32Array | undefined;
  private argmax: Int32Array | undefined;
  private rows = 0;

  constructor(
    tf: Tf,
    readonly plan: ConvStackPlan,
  ) {
    this.calls = new WasmCalls(tf);
    this.convSteps = plan.steps - plan.kernelSize + 1;
    this.pooledSteps = Math.floor(this.convSteps / plan.poolSize);
    this.tail = new DenseStack(tf, plan.tail, this.pooledSteps * plan.filters);
  }

  load(values: Float32Array[]): void {
    const p = this.plan;
    this.calls.free(this.kernel, this.bias);
    this.kernel = this.calls.upload(values[p.kernelSlot] as Float32Array, [1, p.kernelSize * p.channels, p.filters]);
    this.bias = this.calls.upload(values[p.kernelSlot + 1] as Float32Array, [p.filters]);
    this.tail.load(values);
  }

  forward(x: Float32Array, rows: number, dropoutSeed?: number): Float32Array {
    const p = this.plan;
    this.release();
    this.rows = rows;
    const width = p.kernelSize * p.channels;
    const windows = new Float32Array(rows * this.convSteps * width);
    gatherFrames(x, windows, rows, p.steps, p.channels, p.kernelSize);
    this.frames = this.calls.upload(windows, [1, rows * this.convSteps, width]);
    const y = this.calls.call(
      '_FusedMatMul',
      { a: this.frames, b: this.kernel as TensorInfo, bias: this.bias as TensorInfo },
      { transposeA: false, transposeB: false, activation: p.relu ? 'relu' : 'linear' },
    );
    this.convOut = Float32Array.from(this.calls.view(y));
    this.calls.free(y);
    let pooled = this.convOut;
    if (p.poolSize > 1) {
      pooled = new Float32Array(rows * this.pooledSteps * p.filters);
      this.argmax = new Int32Array(pooled.length);
      poolForward(this.convOut, pooled, this.argmax, rows, this.convSteps, p.filters, p.poolSize);
    }
    return this.tail.forward(pooled, rows, dropoutSeed);
  }

  /** Adds every weight's gradient into `grads[slot]`; the input gets none (it is data). */
  backward(dOutput: Float32Array, grads: Float32Array[]): void {
    const p = this.plan;
    const dPooled = this.tail.backward(dOutput, grads, true) as Float32Array;
    let dConv = dPooled;
    if (p.poolSize > 1) {
      dConv = new Float32Array(this.rows * this.convSteps * p.filters);
      poolBackward(dPooled, this.argmax as Int32Array, dConv);
    }
    if (p.relu) {
      const y = this.convOut as Float32Array;
      for (let i = 0; i < dConv.length; i++) if (!((y[i] as number) > 0)) dConv[i] = 0;
    }
    const dz = this.calls.upload(dConv, [1, this.rows * this.convSteps, p.filters]);
    const dKernel = this.calls.call(
      'BatchMatMul',
      { a: this.frames as TensorInfo, b: dz },
      { transposeA: true, transposeB: false },
    );
    addInto(grads[p.kernelSlot] as Float32Array, this.calls.view(dKernel));
    const flat = { dataId: dz.dataId, shape: [this.rows * this.convSteps, p.filters], dtype: dz.dtype } as TensorInfo;
    const dBias = this.calls.call('Sum', { x: flat }, { axis: [0], keepDims: false });
    addInto(grads[p.kernelSlot + 1] as Float32Array, this.calls.view(dBias));
    this.calls.free(dKernel, dBias, dz);
  }

  release(): void {
    this.tail.release();
    this.calls.free(this.frames);
    this.frames = undefined;
    this.convOut = undefined;
    this.argmax = undefined;
  }

  dispose(): void {
    this.release();
    this.tail.dispose();
    this.calls.free(this.kernel, this.bias);
    this.kernel = undefined;
    this.bias = undefined;
  }
}
