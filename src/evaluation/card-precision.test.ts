import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cardPrecisionAtK } from './card-precision.js';

test('card precision takes each card once at its highest score, divides by k and drops cards found on earlier days', () => {
  // Day 0: cards a (fraud), b, c (fraud); day 1: a again (fraud, already found), d (fraud), e.
  const input = {
    day: [0, 0, 0, 0, 1, 1, 1],
    card: ['a', 'a', 'b', 'c', 'a', 'd', 'e'],
    yTrue: Float32Array.from([0, 1, 0, 1, 1, 1, 0]),
    score: Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.99, 0.5, 0.6]),
  };
  // k = 2: day 0 top cards a (0.9) and b (0.8): a is compromised → 1/2. Day 1: a is dropped; e (0.6), d (0.5) → 1/2.
  const two = cardPrecisionAtK(input, 2);
  assert.deepEqual(two.perDay, [
    { day: 0, precision: 0.5, compromisedCards: 2 },
    { day: 1, precision: 0.5, compromisedCards: 1 },
  ]);
  assert.equal(two.mean, 0.5);
  // Keeping found cards: day 1's top 2 are a (0.99) and e → 1/2 still, but a is counted again.
  assert.equal(cardPrecisionAtK(input, 1, { removeDetected: false }).perDay[1]?.precision, 1);
  assert.equal(cardPrecisionAtK(input, 1).perDay[1]?.precision, 0, 'a found on day 0; e tops day 1');
  // Fewer cards than k: still divided by k.
  assert.equal(cardPrecisionAtK(input, 10).perDay[0]?.precision, 0.2);
  assert.throws(
    () => cardPrecisionAtK({ ...input, day: [0] }, 2),
    (e: unknown) => (e as { code?: string }).code === 'length_mismatch',
  );
});
