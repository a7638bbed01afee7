import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { fitFeatureScaling, isPaddingStep, scaleSteps, scalingFromState } from './feature-scaling.js';

/** Two rows of 3 steps × 2 features; row 0 has one padding step, row 1 two. */
const x: Matrix = {
  data: Float32Array.from([0, 0, 1, 10, 3, 30, 0, 0, 0, 0, 5, 20]),
  nRows: 2,
  nCols: 6,
};
const layout = { steps: 3, features: 2, padding: true };

test('statistics come from real steps only; padding is detected as an all-zero step', () => {
  assert.equal(isPaddingStep(x.data, 0, 2), true);
  assert.equal(isPaddingStep(x.data, 2, 2), false);
  // A zero in one feature does not make a step padding.
  assert.equal(isPaddingStep(Float32Array.from([0, 1]), 0, 2), false);
  const s = fitFeatureScaling(x, layout);
  // Real steps: (1, 10), (3, 30), (5, 20).
  assert.deepEqual(s.mean, [3, 20]);
  assert.ok(Math.abs((s.std[0] as number) - Math.sqrt(8 / 3)) < 1e-12);
  assert.ok(Math.abs((s.std[1] as number) - Math.sqrt(200 / 3)) < 1e-12);
  // Counting the three padding steps as data would give mean 9/6 = 1.5 for feature 0.
  const all = fitFeatureScaling(x, { ...layout, padding: false });
  assert.equal(all.mean[0], 1.5);
});

test('padding steps stay exactly zero, real steps are standardised, the indicator marks real steps', () => {
  const scaling = { mean: [3, 20], std: [2, 10] };
  const plain = scaleSteps(x, layout, scaling, false);
  assert.deepEqual(Array.from(plain), [0, 0, -1, -1, 0, 1, 0, 0, 0, 0, 1, 0]);
  const marked = scaleSteps(x, layout, scaling, true);
  assert.deepEqual(Array.from(marked), [0, 0, 0, -1, -1, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 0, 1]);
  // A real step whose features sit exactly at the mean is all zeros too: only the indicator tells it apart.
  const atMean: Matrix = { data: Float32Array.from([3, 20]), nRows: 1, nCols: 2 };
  assert.deepEqual(Array.from(scaleSteps(atMean, { steps: 1, features: 2, padding: true }, scaling, true)), [0, 0, 1]);
});

test('a constant feature gets std 1; a tabular layout treats an all-zero row as data', () => {
  const m: Matrix = { data: Float32Array.from([0, 7, 0, 7, 2, 7]), nRows: 3, nCols: 2 };
  const s = fitFeatureScaling(m, { steps: 1, features: 2, padding: false });
  assert.deepEqual(s.std.slice(1), [1]);
  assert.ok(Math.abs((s.mean[0] as number) - 2 / 3) < 1e-12);
  const scaled = scaleSteps(m, { steps: 1, features: 2, padding: false }, s, false);
  assert.ok(Math.abs((scaled[0] as number) - (0 - 2 / 3) / (s.std[0] as number)) < 1e-6);
  assert.equal(scaled[1], 0);
});

test('scaling read back from state is checked for length and finite, positive values', () => {
  assert.deepEqual(scalingFromState({ mean: [1, 2], std: [3, 4] }, 2, 'lstm'), { mean: [1, 2], std: [3, 4] });
  for (const bad of [
    undefined,
    { mean: [1], std: [1] },
    { mean: [1, 2], std: [0, 1] },
    { mean: [1, null], std: [1, 1] },
  ]) {
    assert.throws(
      () => scalingFromState(bad, 2, 'lstm'),
      (e: unknown) => e instanceof DataError && e.code === 'bad_state',
    );
  }
});
