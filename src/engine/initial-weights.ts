import type { Random } from '../random.js';
import type { NetworkWeight } from './network-runner.js';
import { type ActivationName, type NetworkSpec, resolveNetwork, weightSlots } from './network-spec.js';

function glorotUniform(rng: Random, fanIn: number, fanOut: number, size: number): Float32Array {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rng.next() * 2 - 1) * limit;
  return out;
}

function normal(rng: Random, sd: number, size: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal(0, sd);
  return out;
}

/** He normal for the ReLU family, LeCun normal for SELU, Glorot uniform otherwise (Keras' default). */
function kernelFor(rng: Random, activation: ActivationName, fanIn: number, fanOut: number, size: number): Float32Array {
  if (activation === 'relu' || activation === 'elu' || activation === 'gelu')
    return normal(rng, Math.sqrt(2 / fanIn), size);
  if (activation === 'selu') return normal(rng, Math.sqrt(1 / fanIn), size);
  return glorotUniform(rng, fanIn, fanOut, size);
}

/** Rows × cols with orthonormal rows (rows ≤ cols), by Gram–Schmidt on a Gaussian matrix, as Keras' `orthogonal`. */
function orthogonalRows(rng: Random, rows: number, cols: number): Float32Array {
  const m = new Float64Array(rows * cols);
  for (let i = 0; i < m.length; i++) m[i] = rng.normal();
  for (let r = 0; r < rows; r++) {
    for (let q = 0; q < r; q++) {
      let dot = 0;
      for (let c = 0; c < cols; c++) dot += (m[r * cols + c] as number) * (m[q * cols + c] as number);
      for (let c = 0; c < cols; c++) m[r * cols + c] = (m[r * cols + c] as number) - dot * (m[q * cols + c] as number);
    }
    let norm = 0;
    for (let c = 0; c < cols; c++) norm += (m[r * cols + c] as number) ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let c = 0; c < cols; c++) m[r * cols + c] = (m[r * cols + c] as number) / norm;
  }
  return Float32Array.from(m);
}

/**
 * Initial weights for a network, drawn from `rng` in weight order. Dense and Conv1D kernels use
 * the activation's usual scheme; recurrent kernels are orthogonal; an LSTM's forget-gate bias
 * starts at 1 (Keras `unit_forget_bias`) so early gradients flow through time; batch norm starts
 * as the identity.
 */
export function initialWeights(spec: NetworkSpec, rng: Random): NetworkWeight[] {
  const layers = new Map(resolveNetwork(spec).map((l) => [l.name, l]));
  return weightSlots(spec).map((slot) => {
    const [layerName, weight] = slot.name.split('/') as [string, string];
    const layer = layers.get(layerName);
    const size = slot.shape.reduce((a, b) => a * b, 1);
    let values: Float32Array;
    if (weight === 'kernel' && layer?.type === 'dense') {
      values = kernelFor(rng, layer.activation ?? 'linear', slot.shape[0] as number, slot.shape[1] as number, size);
    } else if (weight === 'kernel' && layer?.type === 'conv1d') {
      const [k, inCh, filters] = slot.shape as [number, number, number];
      values = kernelFor(rng, layer.activation ?? 'linear', k * inCh, k * filters, size);
    } else if (weight === 'kernel') {
      values = glorotUniform(rng, slot.shape[0] as number, slot.shape[1] as number, size);
    } else if (weight === 'recurrent_kernel') {
      values = orthogonalRows(rng, slot.shape[0] as number, slot.shape[1] as number);
    } else if (weight === 'gamma' || weight === 'moving_variance') {
      values = new Float32Array(size).fill(1);
    } else {
      values = new Float32Array(size);
      if (weight === 'bias' && layer?.type === 'lstm') values.fill(1, layer.units, 2 * layer.units);
    }
    return { name: slot.name, shape: [...slot.shape], values };
  });
}
