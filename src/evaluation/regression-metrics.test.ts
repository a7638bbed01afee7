import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError } from '../errors.js';
import { mae, mse, r2, regressionMetrics } from './index.js';
import { regressionFixture } from './test-fixtures.js';

const close = (actual: number, expected: number, tol = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
};

// yt, yp = reg(50)                  (see regressionFixture in test-fixtures.ts)
// mean_squared_error(yt, yp)  -> 2.611111221048688
// mean_absolute_error(yt, yp) -> 1.3933333565294743
// r2_score(yt, yp)            -> 0.9516511248402608
const { y, prediction } = regressionFixture();

test('mse matches mean_squared_error', () => {
  close(mse(y, prediction), 2.611111221048688);
});

test('mae matches mean_absolute_error', () => {
  close(mae(y, prediction), 1.3933333565294743);
});

test('r2 matches r2_score, including the constant-target convention', () => {
  close(r2(y, prediction), 0.9516511248402608);
  // r2_score([2, 2, 2], [2, 2, 2]) -> 1.0; r2_score([2, 2, 2], [1, 2, 3]) -> 0.0
  const flat = Float32Array.from([2, 2, 2]);
  assert.equal(r2(flat, Float32Array.from([2, 2, 2])), 1);
  assert.equal(r2(flat, Float32Array.from([1, 2, 3])), 0);
  // Worse than the mean is negative.
  assert.ok(r2(Float32Array.from([1, 2, 3]), Float32Array.from([3, 2, 1])) < 0);
});

test('regressionMetrics gathers them, with rmse and the mean target', () => {
  const m = regressionMetrics(y, prediction);
  close(m.mse, 2.611111221048688);
  close(m.rmse, Math.sqrt(2.611111221048688));
  close(m.mae, 1.3933333565294743);
  close(m.r2, 0.9516511248402608);
  close(m.meanTarget, Array.from(y).reduce((a, b) => a + b, 0) / 50);
  assert.equal(m.nRows, 50);
});

test('non-finite values and length mismatches throw typed errors', () => {
  assert.throws(
    () => mse(Float32Array.from([1, Number.NaN]), Float32Array.from([1, 2])),
    (e: unknown) => e instanceof DataError && e.code === 'invalid_number',
  );
  assert.throws(
    () => r2(Float32Array.from([1, 2]), Float64Array.from([1])),
    (e: unknown) => e instanceof DataError && e.code === 'length_mismatch',
  );
});
