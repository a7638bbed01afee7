import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { applyActivation } from './activations.js';
import { attentionOp } from './attention-op.js';
import { denseOp } from './dense-op.js';
import type { ResolvedLayer } from './network-spec.js';
import { gruOp, lstmOp } from './recurrent-ops.js';
import type { tf as tfNamespace } from './runtime.js';
import { framesOp, maxPool1dOp } from './sequence-ops.js';

type Tf = typeof tfNamespace;

/** Keras BatchNormalization defaults. */
export const BATCH_NORM_EPSILON = 1e-3;
export const BATCH_NORM_MOMENTUM = 0.99;

/** How a forward pass runs. */
export interface ForwardMode {
  /** Dropout active and batch norm on batch statistics. */
  training: boolean;
  /** Seed per dropout layer, in layer order (training only). */
  dropoutSeeds?: number[];
  /** Receives each batch-norm layer's batch mean and variance, kept out of any tidy (training only). */
  batchStats?: Map<string, { mean: Tensor; variance: Tensor }>;
  /**
   * Whether a gradient with respect to `x` is wanted (default false: x is data). A GAN's
   * discriminator reading generated rows needs it, so the generator can learn through it.
   */
  inputNeedsGrad?: boolean;
}

function param(params: Map<string, Tensor>, name: string): Tensor {
  const t = params.get(name);
  if (t === undefined) throw new Error(`network weight '${name}' is missing`);
  return t;
}

/** Applies a [rows, in] → [rows, out] product to the last axis of a rank-2 or rank-3 tensor. */
function onLastAxis(tf: Tf, x: Tensor, f: (x2: Tensor2D) => Tensor2D): Tensor {
  if (x.rank === 2) return f(x as Tensor2D);
  const lead = x.shape.slice(0, -1);
  const rows = lead.reduce((a, b) => a * b, 1);
  const y = f(tf.reshape(x, [rows, x.shape[x.rank - 1] as number]) as Tensor2D);
  return tf.reshape(y, [...lead, y.shape[1]]);
}

/**
 * The forward pass of a resolved network on `x` ([batch, ...inputShape]) with weights by name.
 * Training and scoring run this same function, so what a model learned is what it scores.
 */
export function forwardNetwork(
  tf: Tf,
  layers: ResolvedLayer[],
  params: Map<string, Tensor>,
  x: Tensor,
  mode: ForwardMode,
): Tensor {
  let h = x;
  let dropoutIndex = 0;
  // Until the first layer with weights, h depends on data only and needs no gradient.
  let needGrad = mode.inputNeedsGrad ?? false;
  for (const layer of layers) {
    const w = (name: string): Tensor => param(params, `${layer.name}/${name}`);
    switch (layer.type) {
      case 'dense': {
        const bias = layer.useBias === false ? undefined : (w('bias') as Tensor1D);
        h = onLastAxis(tf, h, (x2) =>
          denseOp(tf, x2, w('kernel') as Tensor2D, bias, layer.activation ?? 'linear', needGrad),
        );
        needGrad = true;
        break;
      }
      case 'activation':
        h = applyActivation(tf, h, layer.activation);
        break;
      case 'dropout': {
        const seed = mode.dropoutSeeds?.[dropoutIndex];
        dropoutIndex++;
        if (mode.training && layer.rate > 0) h = tf.dropout(h, layer.rate, undefined, seed);
        break;
      }
      case 'batchNorm': {
        needGrad = true;
        let mean: Tensor;
        let variance: Tensor;
        if (mode.training) {
          const axes = h.shape.slice(0, -1).map((_, i) => i);
          const m = tf.moments(h, axes);
          mean = m.mean;
          variance = m.variance;
          mode.batchStats?.set(layer.name, { mean: tf.keep(tf.clone(mean)), variance: tf.keep(tf.clone(variance)) });
        } else {
          mean = w('moving_mean');
          variance = w('moving_variance');
        }
        h = tf.add(
          tf.mul(tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, BATCH_NORM_EPSILON))), w('gamma')),
          w('beta'),
        );
        break;
      }
      case 'conv1d': {
        const [b, T, c] = h.shape as [number, number, number];
        const steps = T - layer.kernelSize + 1;
        const frames = framesOp(tf, h as Tensor3D, layer.kernelSize, needGrad) as Tensor2D;
        const kernel = tf.reshape(w('kernel'), [layer.kernelSize * c, layer.filters]) as Tensor2D;
        const y = denseOp(tf, frames, kernel, w('bias') as Tensor1D, layer.activation ?? 'linear', needGrad);
        needGrad = true;
        h = tf.reshape(y, [b, steps, layer.filters]);
        break;
      }
      case 'maxPool1d':
        h = maxPool1dOp(tf, h as Tensor3D, layer.poolSize);
        break;
      case 'flatten':
        h = tf.reshape(h, [h.shape[0] as number, -1]);
        break;
      case 'lstm':
        h = lstmOp(
          tf,
          h as Tensor3D,
          w('kernel') as Tensor2D,
          w('recurrent_kernel') as Tensor2D,
          w('bias') as Tensor1D,
          layer.returnSequences ?? false,
          needGrad,
        );
        needGrad = true;
        break;
      case 'gru':
        h = gruOp(
          tf,
          h as Tensor3D,
          w('kernel') as Tensor2D,
          w('recurrent_kernel') as Tensor2D,
          w('bias') as Tensor2D,
          layer.returnSequences ?? false,
          needGrad,
        );
        needGrad = true;
        break;
      case 'attention':
        h = attentionOp(tf, h as Tensor3D, w('kernel') as Tensor2D);
        needGrad = true;
        break;
    }
  }
  return h;
}
