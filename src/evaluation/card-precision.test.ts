import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DataError } from '../errors.js';
import { cardPrecisionAtK } from './index.js';

const hasCode = (cls: typeof DataError | typeof ConfigError, code: string) => (e: unknown) =>
  e instanceof cls && e.code === code;

// Day 0: card a (a genuine 0.9 and a fraud 0.1 → card score 0.9, compromised), b (0.8), c (fraud, 0.2).
// Day 1: a again (fraud, 0.99), d (fraud, 0.5), e (0.6).
const twoDays = {
  day: [0, 0, 0, 0, 1, 1, 1],
  card: ['a', 'a', 'b', 'c', 'a', 'd', 'e'],
  yTrue: Float32Array.from([0, 1, 0, 1, 1, 1, 0]),
  score: Float32Array.from([0.9, 0.1, 0.8, 0.2, 0.99, 0.5, 0.6]),
};

test('each card counts once per day at its highest score, compromised if any of its transactions is fraud', () => {
  // k = 2. Day 0 ranks a 0.9, b 0.8, c 0.2: top two hold a (compromised) → 1/2.
  // Day 1: a was found on day 0 and is dropped; e 0.6, d 0.5: d compromised → 1/2.
  const cp = cardPrecisionAtK(twoDays, 2);
  assert.deepEqual(cp.perDay, [
    { day: 0, precision: 0.5, compromisedCards: 2 },
    { day: 1, precision: 0.5, compromisedCards: 1 },
  ]);
  assert.equal(cp.mean, 0.5);
});

test('cards found on one day are dropped from later days unless removeDetected is false', () => {
  // k = 1. Day 0: a tops (compromised) → 1. Day 1 without a: e 0.6 tops → 0; mean 0.5.
  const removed = cardPrecisionAtK(twoDays, 1);
  assert.deepEqual(
    removed.perDay.map((d) => d.precision),
    [1, 0],
  );
  assert.equal(removed.mean, 0.5);
  // Kept: day 1's top card is a again at 0.99 → 1; mean 1. Its compromised count includes a.
  const kept = cardPrecisionAtK(twoDays, 1, { removeDetected: false });
  assert.deepEqual(kept.perDay, [
    { day: 0, precision: 1, compromisedCards: 2 },
    { day: 1, precision: 1, compromisedCards: 2 },
  ]);
  assert.equal(kept.mean, 1);
});

test('only cards in the top k are dropped: a compromised card ranked below k stays for later days', () => {
  // k = 1, three days. Day 0: x 0.9 genuine, y 0.1 fraud → top x → 0; y not found.
  // Day 1: y 0.8 fraud, z 0.3 → top y → 1, y found. Day 2: y 0.9 fraud (dropped), z 0.2 → top z → 0.
  const cp = cardPrecisionAtK(
    {
      day: Int32Array.from([5, 5, 6, 6, 7, 7]),
      card: Int32Array.from([1, 2, 2, 3, 2, 3]),
      yTrue: Float32Array.from([0, 1, 1, 0, 1, 0]),
      score: Float64Array.from([0.9, 0.1, 0.8, 0.3, 0.9, 0.2]),
    },
    1,
  );
  assert.deepEqual(cp.perDay, [
    { day: 5, precision: 0, compromisedCards: 1 },
    { day: 6, precision: 1, compromisedCards: 1 },
    { day: 7, precision: 0, compromisedCards: 0 },
  ]);
  assert.equal(cp.mean, 1 / 3);
});

test('fewer cards than k still divide by k, as the handbook does', () => {
  // k = 10. Day 0 holds 3 cards, 2 compromised → 2/10; day 1 holds d and e, d compromised → 1/10.
  const cp = cardPrecisionAtK(twoDays, 10);
  assert.deepEqual(
    cp.perDay.map((d) => d.precision),
    [0.2, 0.1],
  );
  assert.ok(Math.abs(cp.mean - 0.15) < 1e-15);
});

test('days are taken in ascending order whatever the row order', () => {
  // The same rows as twoDays with day 1 first: removal still runs from day 0 to day 1.
  const order = [4, 5, 6, 0, 1, 2, 3];
  const shuffled = {
    day: order.map((i) => twoDays.day[i] as number),
    card: order.map((i) => twoDays.card[i] as string),
    yTrue: Float32Array.from(order, (i) => twoDays.yTrue[i] as number),
    score: Float32Array.from(order, (i) => twoDays.score[i] as number),
  };
  assert.deepEqual(cardPrecisionAtK(shuffled, 1), cardPrecisionAtK(twoDays, 1));
});

test('tied scores are broken by card id: integers numerically and first, then other ids as text', () => {
  // Four cards tied at 0.5 on one day; only card 10 is compromised. Id order: 9, 10, 'a', 'b'.
  const tied = (card: (number | string)[]) => ({
    day: [0, 0, 0, 0],
    card,
    yTrue: Float32Array.from(card, (c) => (String(c) === '10' ? 1 : 0)),
    score: Float32Array.from([0.5, 0.5, 0.5, 0.5]),
  });
  for (const cards of [
    ['b', '10', 'a', '9'],
    ['9', 'a', 'b', '10'],
  ]) {
    // k = 1 takes card 9 (numeric order, not the text order where '10' < '9') → 0; k = 2 adds 10 → 1/2.
    assert.equal(cardPrecisionAtK(tied(cards), 1).mean, 0, cards.join());
    assert.equal(cardPrecisionAtK(tied(cards), 2).mean, 0.5, cards.join());
  }
  assert.equal(cardPrecisionAtK(tied([10, 9, 11, 12]), 1).mean, 0);
  assert.equal(cardPrecisionAtK(tied([10, 11, 12, 13]), 1).mean, 1);
  // Among non-integer ids text order decides: 'x10' < 'x9'.
  const text = {
    day: [0, 0],
    card: ['x9', 'x10'],
    yTrue: Float32Array.from([0, 1]),
    score: Float32Array.from([0.5, 0.5]),
  };
  assert.equal(cardPrecisionAtK(text, 1).mean, 1);
});

test('unusable inputs are refused with a typed error and a stable code', () => {
  assert.throws(() => cardPrecisionAtK({ ...twoDays, day: [0] }, 2), hasCode(DataError, 'length_mismatch'));
  assert.throws(() => cardPrecisionAtK({ ...twoDays, card: ['a'] }, 2), hasCode(DataError, 'length_mismatch'));
  assert.throws(
    () => cardPrecisionAtK({ ...twoDays, score: new Float32Array(3) }, 2),
    hasCode(DataError, 'length_mismatch'),
  );
  assert.throws(
    () => cardPrecisionAtK({ day: [], card: [], yTrue: new Float32Array(0), score: new Float32Array(0) }),
    hasCode(DataError, 'empty_input'),
  );
  assert.throws(
    () => cardPrecisionAtK({ ...twoDays, yTrue: Float32Array.from([0, 2, 0, 1, 1, 1, 0]) }),
    hasCode(DataError, 'invalid_label'),
  );
  assert.throws(
    () => cardPrecisionAtK({ ...twoDays, score: Float32Array.from([0, Number.NaN, 0, 0, 0, 0, 0]) }),
    hasCode(DataError, 'invalid_score'),
  );
  assert.throws(
    () => cardPrecisionAtK({ ...twoDays, day: [0, 0, 0.5, 0, 1, 1, 1] }),
    hasCode(DataError, 'invalid_day'),
  );
  for (const k of [0, -1, 1.5, Number.NaN])
    assert.throws(() => cardPrecisionAtK(twoDays, k), hasCode(ConfigError, 'invalid_k'), String(k));
});
