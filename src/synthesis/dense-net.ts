import { DenseStack, denseStackLayers } from '../engine/dense-stack.js';
import {
  type ActivationName,
  checkWeights,
  initialWeights,
  type NetworkSpec,
  type NetworkWeight,
  weightSlots,
} from '../engine/index.js';
import { ConfigError } from '../errors.js';
import type { Random } from '../random.js';

/** A dense network's spec: hidden layers of `hidden` units with `activation`, then a linear output. */
export function mlpSpec(input: number, hidden: number[], output: number, activation: ActivationName): NetworkSpec {
  return {
    inputShape: [input],
    layers: [
      ...hidden.map((units) => ({ type: 'dense' as const, units, activation })),
      { type: 'dense' as const, units: output },
    ],
  };
}

/**
 * A dense network with its parameters of record and gradient buffers, run on the engine's SIMD
 * {@link DenseStack} (forward, backward with hand-written gradients). The synthesizers compose two
 * of these (encoder and decoder) with their own losses written out in JS.
 */
export class DenseNet {
  readonly values: Float32Array[];
  readonly grads: Float32Array[];
  private readonly stack: DenseStack;
  private loaded = false;

  constructor(
    readonly spec: NetworkSpec,
    weights: NetworkWeight[],
  ) {
    const layers = denseStackLayers(spec);
    if (!layers) throw new ConfigError('bad_network', 'the synthesizer networks are dense layers only');
    this.values = checkWeights(weightSlots(spec), weights).map((w) => Float32Array.from(w.values));
    this.grads = this.values.map((v) => new Float32Array(v.length));
    this.stack = new DenseStack(layers, spec.inputShape[0] as number);
  }

  static initial(spec: NetworkSpec, rng: Random): DenseNet {
    return new DenseNet(spec, initialWeights(spec, rng));
  }

  /** Call after the parameters changed (an optimiser step) and before the next forward pass. */
  invalidate(): void {
    this.loaded = false;
  }

  forward(x: Float32Array, rows: number): Float32Array {
    if (!this.loaded) {
      this.stack.load(this.values);
      this.loaded = true;
    }
    return this.stack.forward(x, rows);
  }

  /**
   * Back-propagates dLoss/dOutput of the last forward; writes the weight gradients into
   * {@link grads} and returns dLoss/dInput when asked. Gradients are per-load sums, so a net is
   * re-loaded before every backward pass that should start from zero.
   */
  backward(dOutput: Float32Array, inputGrad: boolean): Float32Array | undefined {
    return this.stack.backward(dOutput, this.grads, inputGrad);
  }

  /** Forces fresh gradient sums (re-packing the weights) before the next forward. */
  resetGradients(): void {
    this.loaded = false;
  }

  weights(prefix: string): NetworkWeight[] {
    return weightSlots(this.spec).map((slot, i) => ({
      name: `${prefix}/${slot.name}`,
      shape: [...slot.shape],
      values: Float32Array.from(this.values[i] as Float32Array),
    }));
  }

  /** This net's weights out of a synthesizer's named list (`prefix/…`). */
  static fromNamed(spec: NetworkSpec, named: NetworkWeight[], prefix: string): DenseNet {
    const mine = named
      .filter((w) => w.name.startsWith(`${prefix}/`))
      .map((w) => ({ ...w, name: w.name.slice(prefix.length + 1) }));
    return new DenseNet(spec, mine);
  }

  dispose(): void {
    this.stack.dispose();
  }
}
