import { SimdKernels } from './simd/index.js';

/** Adam hyper-parameters, with tf.train.adam / Keras defaults. */
export interface AdamConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam over plain Float32Array parameters in one SIMD pass per step (see simd/): moments, bias
 * correction and the update in a single loop, where tf.train.adam runs about ten kernels per
 * variable per step and a JS loop costs a few nanoseconds per parameter. Same maths as
 * tf.train.adam (ε outside the square root, default 1e-7), in float32 as tfjs computes it.
 * The moments live in the kernels' memory; each update copies the parameters and gradients in
 * and the parameters back out, so the caller's arrays stay the parameters of record.
 */
export class Adam {
  private readonly kernels = new SimdKernels();
  private readonly sizes: number[];
  private readonly total: number;
  private readonly params: number;
  private readonly grads: number;
  private readonly m: number;
  private readonly v: number;
  private step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;

  constructor(
    private readonly config: AdamConfig,
    sizes: number[],
  ) {
    this.beta1 = config.beta1 ?? 0.9;
    this.beta2 = config.beta2 ?? 0.999;
    this.epsilon = config.epsilon ?? 1e-7;
    this.sizes = [...sizes];
    this.total = sizes.reduce((a, b) => a + b, 0);
    const k = this.kernels;
    this.params = k.alloc(this.total);
    this.grads = k.alloc(this.total);
    this.m = k.alloc(this.total);
    this.v = k.alloc(this.total);
    k.heap.fill(0, this.m, this.m + this.total);
    k.heap.fill(0, this.v, this.v + this.total);
  }

  /** Applies one update: `params[i] -= lr · m̂ / (√v̂ + ε)` with `grads[i]`. */
  update(params: Float32Array[], grads: Float32Array[]): void {
    this.step++;
    const heap = this.kernels.heap;
    let at = 0;
    for (const [k, n] of this.sizes.entries()) {
      heap.set(params[k] as Float32Array, this.params + at);
      heap.set(grads[k] as Float32Array, this.grads + at);
      at += n;
    }
    const lrC1 = this.config.learningRate / (1 - this.beta1 ** this.step);
    const c2 = 1 / (1 - this.beta2 ** this.step);
    this.kernels.adam(
      this.params,
      this.grads,
      this.m,
      this.v,
      this.total,
      lrC1,
      c2,
      this.beta1,
      this.beta2,
      this.epsilon,
    );
    at = 0;
    for (const [k, n] of this.sizes.entries()) {
      (params[k] as Float32Array).set(heap.subarray(this.params + at, this.params + at + n));
      at += n;
    }
  }
}
