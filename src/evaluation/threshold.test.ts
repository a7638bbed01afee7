import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DataError } from '../errors.js';
import { chooseThreshold, confusionAt, type ThresholdPolicy } from './index.js';
import { binaryFixture } from './test-fixtures.js';

// Ten rows sorted by score, so each threshold's counts can be read off by hand (P = 4, N = 6):
//   score  .9 .8 .7 .6 .5 .4 .3 .2 .1 .05
//   y       1  1  0  1  0  0  1  0  0  0
//   tp      1  2  2  3  3  3  4  4  4  4
//   fp      0  0  1  1  2  3  3  4  5  6
//   f1    .40 .67 .57 .75 .67 .60 .73 .67 .62 .57   (2tp / (tp + fp + P))
const y = Float32Array.from([1, 1, 0, 1, 0, 0, 1, 0, 0, 0]);
const score = Float64Array.from([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0.05]);

test('max-f1 picks the threshold with the best f1 (0.6 → f1 0.75)', () => {
  const c = chooseThreshold(y, score, { kind: 'max-f1' });
  assert.equal(c.threshold, 0.6);
  assert.deepEqual(c.confusion, { tp: 3, fp: 1, tn: 5, fn: 1 });
});

test('recall picks the highest threshold reaching the target', () => {
  // 0.8 · 4 = 3.2 positives needed → all 4, first reached at 0.3.
  assert.equal(chooseThreshold(y, score, { kind: 'recall', target: 0.8 }).threshold, 0.3);
  // Exactly 3 of 4: reached at 0.6, and a target met exactly must count as met.
  assert.equal(chooseThreshold(y, score, { kind: 'recall', target: 0.75 }).threshold, 0.6);
  assert.equal(chooseThreshold(y, score, { kind: 'recall', target: 0.5 }).threshold, 0.8);
  assert.equal(chooseThreshold(y, score, { kind: 'recall', target: 1 }).threshold, 0.3);
});

test('cost minimises fpCost·fp + fnCost·fn', () => {
  // FP 1, FN 5: costs none 20, .9 15, .8 10, .7 11, .6 6, .5 7, .4 8, .3 3, .2 4 → 0.3.
  const c = chooseThreshold(y, score, { kind: 'cost', falsePositiveCost: 1, falseNegativeCost: 5 });
  assert.equal(c.threshold, 0.3);
  assert.deepEqual(c.confusion, { tp: 4, fp: 3, tn: 3, fn: 0 });
  // FP 1, FN 0.5: none 2, .9 1.5, .8 1, .7 2, .6 1.5 … → 0.8.
  assert.equal(
    chooseThreshold(y, score, { kind: 'cost', falsePositiveCost: 1, falseNegativeCost: 0.5 }).threshold,
    0.8,
  );
});

test('cost may flag nothing, with a threshold above every score even as float32', () => {
  // y = [0, 1, 0, 1] by score .9 .8 .3 .2; FP 10, FN 1: flagging nothing costs 2, anything more ≥ 11.
  const yy = Float32Array.from([0, 1, 0, 1]);
  const ss = Float32Array.from([0.9, 0.8, 0.3, 0.2]);
  const c = chooseThreshold(yy, ss, { kind: 'cost', falsePositiveCost: 10, falseNegativeCost: 1 });
  assert.ok(c.threshold > (ss[0] as number));
  assert.ok(Math.fround(c.threshold) > (ss[0] as number), 'still above after a float32 round trip');
  assert.deepEqual(c.confusion, { tp: 0, fp: 0, tn: 2, fn: 2 });
  assert.deepEqual(confusionAt(yy, ss, c.threshold), c.confusion);
});

test('ties are one threshold: a tied block is flagged whole', () => {
  const yy = Float32Array.from([1, 0, 1, 0]);
  const ss = Float32Array.from([0.7, 0.7, 0.7, 0.1]);
  const c = chooseThreshold(yy, ss, { kind: 'recall', target: 0.5 });
  assert.equal(c.threshold, Math.fround(0.7));
  assert.deepEqual(c.confusion, { tp: 2, fp: 1, tn: 1, fn: 0 });
});

test('fixed applies the given threshold; every policy agrees with confusionAt', () => {
  const { y: fy, score: fs } = binaryFixture();
  const policies: ThresholdPolicy[] = [
    { kind: 'max-f1' },
    { kind: 'recall', target: 0.8 },
    { kind: 'cost', falsePositiveCost: 1, falseNegativeCost: 5 },
    { kind: 'fixed', threshold: 0.5 },
    { kind: 'fixed', threshold: 0.525 },
    { kind: 'fixed', threshold: 5 },
    { kind: 'fixed', threshold: -5 },
  ];
  for (const policy of policies) {
    const c = chooseThreshold(fy, fs, policy);
    assert.deepEqual(c.confusion, confusionAt(fy, fs, c.threshold), JSON.stringify(policy));
    assert.deepEqual(c.policy, policy);
  }
  assert.equal(chooseThreshold(fy, fs, { kind: 'fixed', threshold: 0.525 }).threshold, 0.525);
});

test('malformed policies and single-class data throw typed errors', () => {
  const bad = [
    { kind: 'recall', target: 0 },
    { kind: 'recall', target: 1.5 },
    { kind: 'cost', falsePositiveCost: -1, falseNegativeCost: 1 },
    { kind: 'cost', falsePositiveCost: 1, falseNegativeCost: Number.NaN },
    { kind: 'fixed', threshold: Number.NaN },
    { kind: 'top-k' },
  ] as unknown as ThresholdPolicy[];
  for (const policy of bad) {
    assert.throws(
      () => chooseThreshold(y, score, policy),
      (e: unknown) => e instanceof ConfigError && e.code === 'invalid_threshold_policy',
      JSON.stringify(policy),
    );
  }
  assert.throws(
    () => chooseThreshold(new Float32Array(3), Float32Array.from([0.1, 0.2, 0.3]), { kind: 'max-f1' }),
    (e: unknown) => e instanceof DataError && e.code === 'single_class',
  );
});
