import type { Tensor } from '@tensorflow/tfjs-core';
import type { ActivationName } from './network-spec.js';
import type { tf as tfNamespace } from './runtime.js';

type Tf = typeof tfNamespace;

/** Keras' SELU constants (Klambauer et al.). */
export const SELU_ALPHA = 1.6732632423543772;
export const SELU_SCALE = 1.0507009873554805;

/** Activations whose derivative can be written from the output alone, so a fused layer keeps only y. */
const FROM_OUTPUT = new Set<ActivationName>(['linear', 'relu', 'sigmoid', 'tanh', 'elu', 'selu']);

/** Whether {@link activationGradFromOutput} applies (gelu needs its input and goes through autodiff). */
export function hasGradFromOutput(activation: ActivationName): boolean {
  return FROM_OUTPUT.has(activation);
}

/**
 * Applies an activation with plain tfjs ops. Used when scoring and for activations without a fused
 * form; every runtime (TF.js, ONNX) computes the same functions, gelu included (tanh form, as
 * Keras `gelu(approximate=True)`).
 */
export function applyActivation(tf: Tf, x: Tensor, activation: ActivationName): Tensor {
  switch (activation) {
    case 'linear':
      return x;
    case 'relu':
      return tf.relu(x);
    case 'elu':
      return tf.elu(x);
    case 'selu':
      return tf.selu(x);
    case 'tanh':
      return tf.tanh(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'gelu': {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
      return tf.mul(tf.mul(0.5, x), tf.add(1, tf.tanh(inner)));
    }
  }
}

/** dL/dz from dL/dy and y = act(z), for the activations in {@link hasGradFromOutput}. */
export function activationGradFromOutput(tf: Tf, dy: Tensor, y: Tensor, activation: ActivationName): Tensor {
  switch (activation) {
    case 'linear':
      return dy;
    case 'relu':
      return tf.mul(dy, tf.step(y));
    case 'sigmoid':
      return tf.mul(dy, tf.mul(y, tf.sub(1, y)));
    case 'tanh':
      return tf.mul(dy, tf.sub(1, tf.square(y)));
    case 'elu':
      // y > 0: 1; else e^z = y + 1.
      return tf.mul(dy, tf.where(tf.greater(y, 0), tf.onesLike(y), tf.add(y, 1)));
    case 'selu':
      // y > 0: scale; else scale·alpha·e^z = y + scale·alpha.
      return tf.mul(dy, tf.where(tf.greater(y, 0), tf.fill(y.shape, SELU_SCALE), tf.add(y, SELU_SCALE * SELU_ALPHA)));
    default:
      throw new Error(`activation '${activation}' has no gradient from its output`);
  }
}
