/** Adam hyper-parameters, with tf.train.adam / Keras defaults. */
export interface AdamConfig {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/**
 * Adam over plain Float32Array parameters, one pass per variable: moments, bias correction and
 * the update in a single loop, where tf.train.adam runs about ten kernels per variable per step.
 * Same maths as tf.train.adam (ε outside the square root, default 1e-7).
 */
export class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
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
    this.m = sizes.map((n) => new Float32Array(n));
    this.v = sizes.map((n) => new Float32Array(n));
  }

  /** Applies one update: `params[i] -= lr · m̂ / (√v̂ + ε)` with `grads[i]`. */
  update(params: Float32Array[], grads: Float32Array[]): void {
    this.step++;
    const { beta1, beta2, epsilon } = this;
    const c1 = 1 / (1 - beta1 ** this.step);
    const c2 = 1 / (1 - beta2 ** this.step);
    const lr = this.config.learningRate;
    for (let k = 0; k < params.length; k++) {
      const p = params[k] as Float32Array;
      const g = grads[k] as Float32Array;
      const m = this.m[k] as Float32Array;
      const v = this.v[k] as Float32Array;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i] as number;
        const mi = beta1 * (m[i] as number) + (1 - beta1) * gi;
        const vi = beta2 * (v[i] as number) + (1 - beta2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i] = (p[i] as number) - (lr * mi * c1) / (Math.sqrt(vi * c2) + epsilon);
      }
    }
  }
}
