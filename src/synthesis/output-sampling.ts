import type { Random } from '../random.js';
import type { Span } from './data-transformer.js';

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
