import type { Tensor, Tensor1D, Tensor2D } from '@tensorflow/tfjs-core';
import { activationGradFromOutput, applyActivation, hasGradFromOutput } from './activations.js';
import type { ActivationName } from './network-spec.js';
import type { tf as tfNamespace } from './runtime.js';

type Tf = typeof tfNamespace;

/** Activations the wasm FusedMatMul kernel applies itself. */
const WASM_FUSED = new Set<ActivationName>(['linear', 'relu', 'sigmoid', 'elu']);

/**
 * y = act(x·W + b) as one differentiable op.
 *
 * Under a gradient tape tfjs splits `fused.matMul` back into matMul, add and the activation, each
 * with its own backward kernels. Here the forward pass stays one wasm FusedMatMul call and the
 * backward pass is written out: dz from y alone, dx = dz·Wᵀ, dW = xᵀ·dz, db = Σ dz over rows.
 * The transposed products run through Vigil's BatchMatMul kernel, the row sum through its Sum.
 * With `inputGrad: false` (the network's first layer, whose input is data) dx is not computed:
 * that product is a sizeable share of a small network's step.
 */
export function denseOp(
  tf: Tf,
  x: Tensor2D,
  kernel: Tensor2D,
  bias: Tensor1D | undefined,
  activation: ActivationName,
  inputGrad = true,
): Tensor2D {
  if (!hasGradFromOutput(activation)) {
    // gelu: its derivative needs z, so let autodiff handle the activation after a fused linear op.
    return applyActivation(tf, denseOp(tf, x, kernel, bias, 'linear', inputGrad), activation) as Tensor2D;
  }
  const forward = (xs: Tensor2D, w: Tensor2D, b: Tensor1D | undefined): Tensor2D => {
    if (WASM_FUSED.has(activation)) {
      return tf.fused.matMul({ a: xs, b: w, bias: b, activation: activation as 'linear' }) as Tensor2D;
    }
    return applyActivation(tf, tf.fused.matMul({ a: xs, b: w, bias: b }), activation) as Tensor2D;
  };
  const backward = (dy: Tensor, xs: Tensor, w: Tensor, y: Tensor): Tensor[] => {
    const dz = activationGradFromOutput(tf, dy, y, activation) as Tensor2D;
    return [
      inputGrad ? tf.matMul(dz, w as Tensor2D, false, true) : tf.zerosLike(xs),
      tf.matMul(xs as Tensor2D, dz, true, false),
      tf.sum(dz, 0),
    ];
  };
  if (bias === undefined) {
    const op = tf.customGrad(((xs: Tensor2D, w: Tensor2D, save: (t: Tensor[]) => void) => {
      const y = forward(xs, w, undefined);
      save([xs, w, y]);
      return {
        value: y,
        gradFunc: (dy: Tensor, saved: Tensor[]) =>
          backward(dy, saved[0] as Tensor, saved[1] as Tensor, saved[2] as Tensor).slice(0, 2),
      };
    }) as never) as (xs: Tensor2D, w: Tensor2D) => Tensor2D;
    return op(x, kernel);
  }
  const op = tf.customGrad(((xs: Tensor2D, w: Tensor2D, b: Tensor1D, save: (t: Tensor[]) => void) => {
    const y = forward(xs, w, b);
    save([xs, w, y]);
    return {
      value: y,
      gradFunc: (dy: Tensor, saved: Tensor[]) =>
        backward(dy, saved[0] as Tensor, saved[1] as Tensor, saved[2] as Tensor),
    };
  }) as never) as (xs: Tensor2D, w: Tensor2D, b: Tensor1D) => Tensor2D;
  return op(x, kernel, bias);
}
