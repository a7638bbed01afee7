import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DataError } from '../errors.js';
import { fraudMetrics } from './index.js';

// Day 0: card 1 fraud 0.9, card 2 genuine 0.8; day 1: card 3 fraud 0.3, card 4 genuine 0.1.
const yTrue = Float32Array.from([1, 0, 1, 0]);
const score = Float32Array.from([0.9, 0.8, 0.3, 0.1]);
const testDay = Int32Array.from([0, 0, 1, 1]);
const card = Int32Array.from([1, 2, 3, 4]);

test('fraud metrics: AUC, AP and CP@k of a hand-checked test period', () => {
  // AUC: positive–negative pairs 0.9>0.8, 0.9>0.1, 0.3<0.8, 0.3>0.1 → 3/4.
  // AP: ranks 0.9 (P: precision 1, recall 1/2), 0.8 (N), 0.3 (P: precision 2/3, recall 1) → ½·1 + ½·⅔ = 5/6.
  // CP@1: each day's top card is compromised → 1. CP@2: one of two per day → 1/2.
  const one = fraudMetrics(yTrue, score, testDay, card, { k: 1 });
  assert.equal(one.auc, 0.75);
  assert.ok(Math.abs(one.ap - 5 / 6) < 1e-12, String(one.ap));
  assert.deepEqual(
    { cpAtK: one.cpAtK, k: one.k, nTest: one.nTest, nFraud: one.nFraud },
    { cpAtK: 1, k: 1, nTest: 4, nFraud: 2 },
  );
  assert.equal(fraudMetrics(yTrue, score, testDay, card, { k: 2 }).cpAtK, 0.5);
  // Default k = 100 still divides by 100: 1 compromised card per day → 0.01.
  const defaults = fraudMetrics(yTrue, score, testDay, card);
  assert.equal(defaults.k, 100);
  assert.equal(defaults.cpAtK, 0.01);
});

test('fraud metrics refuse mismatched columns and single-class test periods', () => {
  assert.throws(
    () => fraudMetrics(yTrue, score, Int32Array.from([0, 0, 1]), card),
    (e: unknown) => e instanceof DataError && e.code === 'length_mismatch',
  );
  assert.throws(
    () => fraudMetrics(new Float32Array(4), score, testDay, card),
    (e: unknown) => e instanceof DataError && e.code === 'single_class',
  );
});
