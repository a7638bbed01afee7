import assert from 'node:assert/strict';
import type { Tensor } from '@tensorflow/tfjs-core';
import { Random } from '../random.js';

/** A seeded tensor-shaped array of N(0, sd²) values. */
export function randomValues(seed: number, size: number, sd = 1): Float32Array {
  const rng = new Random(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal(0, sd);
  return out;
}

/** Asserts element-wise |a − b| ≤ atol + rtol·|b|, naming the first index that differs. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  atol = 1e-5,
  rtol = 1e-4,
  what = '',
): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (!(Math.abs(a - b) <= atol + rtol * Math.abs(b))) {
      assert.fail(`${what}[${i}]: ${a} vs ${b} (|Δ| ${Math.abs(a - b)})`);
    }
  }
}

/** Values of a tensor as a plain Float32Array copy. */
export function valuesOf(t: Tensor): Float32Array {
  return Float32Array.from(t.dataSync() as Float32Array);
}
