import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DataError } from '../errors.js';
import { accuracy, argmaxRows, confusionMatrix, macroF1, multiclassLogLoss, multiclassMetrics } from './index.js';
import { multiclassFixture } from './test-fixtures.js';

const close = (actual: number, expected: number, tol = 1e-12): void => {
  assert.ok(Math.abs(actual - expected) <= tol, `expected ${expected}, got ${actual}`);
};

// y, p = mc(30, 3); pred = p.argmax(axis=1)          (see multiclassFixture in test-fixtures.ts)
// accuracy_score(y, pred)                           -> 0.5
// f1_score(y, pred, average='macro')                -> 0.49735449735449727
// f1_score(y, pred, average=None)                   -> [0.47619047619047616, 0.5714285714285713, 0.4444444444444445]
// log_loss(y, p, eps=1e-15, labels=[0, 1, 2])       -> 0.9452885328957976
// confusion_matrix(y, pred, labels=[0, 1, 2])       -> [[5, 4, 1], [1, 6, 3], [5, 1, 4]]
const { y, probs } = multiclassFixture();
const pred = argmaxRows(probs);

test('accuracy matches accuracy_score', () => {
  close(accuracy(y, pred), 0.5);
});

test('macroF1 matches f1_score(average="macro"), over labels present in either array', () => {
  close(macroF1(y, pred), 0.49735449735449727);
  // f1_score([0,0,1,1,2,2,0], [0,1,1,1,3,2,0], average='macro') -> 0.5666666666666667
  close(macroF1(Int32Array.from([0, 0, 1, 1, 2, 2, 0]), Int32Array.from([0, 1, 1, 1, 3, 2, 0])), 0.5666666666666667);
});

test('multiclassLogLoss matches log_loss', () => {
  close(multiclassLogLoss(y, probs), 0.9452885328957976);
});

test('confusionMatrix matches confusion_matrix', () => {
  assert.deepEqual(confusionMatrix(y, pred, 3), [
    [5, 4, 1],
    [1, 6, 3],
    [5, 1, 4],
  ]);
});

test('multiclassMetrics gathers them with per-class scores', () => {
  const m = multiclassMetrics(y, probs, ['current', '30dpd', '90dpd']);
  close(m.accuracy, 0.5);
  close(m.macroF1, 0.49735449735449727);
  close(m.logLoss, 0.9452885328957976);
  assert.deepEqual(m.confusion, [
    [5, 4, 1],
    [1, 6, 3],
    [5, 1, 4],
  ]);
  const f1s = [0.47619047619047616, 0.5714285714285713, 0.4444444444444445];
  for (const [i, c] of m.perClass.entries()) close(c.f1, f1s[i] as number);
  assert.deepEqual(
    m.perClass.map((c) => [c.name, c.support]),
    [
      ['current', 10],
      ['30dpd', 10],
      ['90dpd', 10],
    ],
  );
  close(m.perClass[0]?.precision ?? Number.NaN, 5 / 11);
  close(m.perClass[0]?.recall ?? Number.NaN, 5 / 10);
  assert.equal(m.nRows, 30);
  assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
});

test('bad shapes, labels and probabilities throw typed errors', () => {
  assert.throws(
    () => multiclassMetrics(y, probs, ['a', 'b']),
    (e: unknown) => e instanceof ConfigError && e.code === 'class_count_mismatch',
  );
  const badY = Float32Array.from(y);
  badY[3] = 3;
  assert.throws(
    () => multiclassLogLoss(badY, probs),
    (e: unknown) => e instanceof DataError && e.code === 'invalid_label',
  );
  const badP = { ...probs, data: Float32Array.from(probs.data) };
  badP.data[4] = Number.NaN;
  assert.throws(
    () => multiclassLogLoss(y, badP),
    (e: unknown) => e instanceof DataError && e.code === 'invalid_probability',
  );
  assert.throws(
    () => macroF1(Float32Array.from([0, 1.5]), Float32Array.from([0, 1])),
    (e: unknown) => e instanceof DataError && e.code === 'invalid_label',
  );
});
