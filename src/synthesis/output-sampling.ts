import { ConfigError } from '../errors.js';
import type { Random } from '../random.js';
import { type ConditionSampler, imposeConditions } from './condition-sampler.js';
import type { DataTransformer, Span } from './data-transformer.js';
import type { SampleConditions } from './synthesizer.js';

/**
 * Turns raw network outputs into a transformed row, in place: tanh on every scalar, and for every
 * one-hot span a category drawn from softmax(logits). Drawing rather than taking the most likely slot is what keeps rare categories
 * and every mixture mode in the sample, in their learned proportions.
 */
export function sampleOutputs(out: Float32Array, nRows: number, width: number, spans: Span[], rng: Random): void {
  for (let r = 0; r < nRows; r++) {
    const o = r * width;
    for (const s of spans) {
      if (s.activation === 'tanh') {
        out[o + s.start] = Math.tanh(out[o + s.start] as number);
        continue;
      }
      // Inverse-CDF draw from softmax(logits): one uniform and one exp per slot, where the
      // Gumbel-max trick needs two logarithms per slot (100,000 rows × 200 slots adds up).
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < s.width; j++) top = Math.max(top, out[o + s.start + j] as number);
      let total = 0;
      for (let j = 0; j < s.width; j++) total += Math.exp((out[o + s.start + j] as number) - top);
      let u = rng.next() * total;
      let best = s.width - 1;
      for (let j = 0; j < s.width; j++) {
        u -= Math.exp((out[o + s.start + j] as number) - top);
        if (u < 0) {
          best = j;
          break;
        }
      }
      out.fill(0, o + s.start, o + s.start + s.width);
      out[o + s.start + best] = 1;
    }
  }
}

/**
 * Fills `out` with standard normal draws from `rng`, both values of each Box–Muller pair used
 * (half the uniforms, logarithms and square roots of drawing them one at a time).
 */
export function fillNormal(out: Float32Array, rng: Random, from = 0, to = out.length): void {
  for (let i = from; i < to; i += 2) {
    let u = rng.next();
    while (u === 0) u = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * rng.next();
    out[i] = radius * Math.cos(angle);
    if (i + 1 < to) out[i + 1] = radius * Math.sin(angle);
  }
}

/** Rows per network call when sampling (bounds the kernels' memory). */
const SAMPLE_CHUNK = 8192;

/** @throws ConfigError `invalid_row_count` unless `nRows` is a whole number ≥ 0. */
export function checkRowCount(nRows: number): void {
  if (!Number.isInteger(nRows) || nRows < 0)
    throw new ConfigError('invalid_row_count', `rows to sample must be a whole number ≥ 0, got ${nRows}`);
}

/**
 * What ctgan's generator and tvae's decoder share when sampling: in chunks, each row's input is
 * noise of `latent` normals followed by its conditional vector (drawn with the data's frequencies,
 * or fixed to `conditions`), the network's outputs are drawn into a transformed row, and a fixed
 * condition is written into every row (exact by construction). Returns the transformed rows.
 *
 * @throws ConfigError `invalid_row_count`, or a bad condition (see {@link ConditionSampler.resolve})
 */
export function generateRows(options: {
  nRows: number;
  conditions: SampleConditions | undefined;
  rng: Random;
  latent: number;
  transformer: DataTransformer;
  sampler: ConditionSampler;
  forward: (input: Float32Array, rows: number) => Float32Array;
}): Float32Array {
  const { nRows, conditions, rng, latent, transformer, sampler, forward } = options;
  checkRowCount(nRows);
  if (conditions !== undefined) sampler.resolve(conditions);
  const width = transformer.width;
  const condWidth = sampler.condWidth;
  const x = new Float32Array(nRows * width);
  for (let start = 0; start < nRows; start += SAMPLE_CHUNK) {
    const rows = Math.min(SAMPLE_CHUNK, nRows - start);
    const batch = conditions !== undefined ? sampler.fixedBatch(rows, conditions) : sampler.generationBatch(rows, rng);
    const input = new Float32Array(rows * (latent + condWidth));
    const z = new Float32Array(rows * latent);
    fillNormal(z, rng);
    for (let i = 0; i < rows; i++) {
      input.set(z.subarray(i * latent, (i + 1) * latent), i * (latent + condWidth));
      input.set(batch.cond.subarray(i * condWidth, (i + 1) * condWidth), i * (latent + condWidth) + latent);
    }
    const out = forward(input, rows);
    sampleOutputs(out, rows, width, transformer.spans, rng);
    if (conditions !== undefined) imposeConditions(out, rows, width, sampler, batch);
    x.set(out.subarray(0, rows * width), start * width);
  }
  return x;
}
