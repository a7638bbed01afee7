import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanStd, quantileSorted, skewness } from './summary-statistics.js';

test('quantileSorted interpolates like numpy (type 7)', () => {
  const x = [1, 2, 3, 4];
  assert.equal(quantileSorted(x, 0), 1);
  assert.equal(quantileSorted(x, 1), 4);
  assert.equal(quantileSorted(x, 0.5), 2.5);
  assert.equal(quantileSorted(x, 0.25), 1.75);
  assert.equal(quantileSorted([7], 0.3), 7);
  assert.ok(Number.isNaN(quantileSorted([], 0.5)));
});

test('meanStd is the population standard deviation', () => {
  const { mean, std } = meanStd([2, 4, 4, 4, 5, 5, 7, 9]);
  assert.equal(mean, 5);
  assert.equal(std, 2);
});

test('skewness: 0 for symmetric and constant samples, positive for a right tail', () => {
  assert.equal(skewness([1, 2, 3, 4, 5]), 0);
  assert.equal(skewness([3, 3, 3]), 0);
  // m2 = 12.5, m3 = 45 about mean 4 for [1, 2, 3, 10] → 45 / 12.5^1.5.
  assert.ok(Math.abs(skewness([1, 2, 3, 10]) - 45 / 12.5 ** 1.5) < 1e-12);
});
