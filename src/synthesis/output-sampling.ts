import type { Random } from '../random.js';
import type { Span } from './data-transformer.js';

/**
 * Turns raw network outputs into a transformed row, in place: tanh on every scalar, and for every
 * one-hot span a category drawn from softmax(logits) by the Gumbel-max trick (argmax of logits +
 * Gumbel noise). Drawing rather than taking the most likely slot is what keeps rare categories
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
      let best = 0;
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < s.width; j++) {
        let u = rng.next();
        while (u === 0) u = rng.next();
        const v = (out[o + s.start + j] as number) - Math.log(-Math.log(u));
        if (v > top) {
          top = v;
          best = j;
        }
      }
      out.fill(0, o + s.start, o + s.start + s.width);
      out[o + s.start + best] = 1;
    }
  }
}
