import { DataError } from '../errors.js';
import { checkBinary, type Scores } from './input-checks.js';

/** Card Precision@k of one day: how many of the k highest-scored cards were compromised. */
export interface CardPrecisionDay {
  day: number;
  precision: number;
  /** Compromised cards among that day's remaining cards (at most k can be found). */
  compromisedCards: number;
}

export interface CardPrecision {
  /** Mean over the days. */
  mean: number;
  perDay: CardPrecisionDay[];
}

export interface CardPrecisionInput {
  /** Day index per transaction (e.g. whole days since some start). */
  day: ArrayLike<number>;
  /** Card (customer) per transaction. */
  card: ArrayLike<number | string>;
  yTrue: Float32Array;
  score: Scores;
}

/**
 * Card Precision@k as the fraud handbook defines it: per day, each card's score is its highest
 * transaction score and it counts as compromised when any of its transactions is fraud; the k
 * highest-scored cards are checked and the share of compromised ones is the day's precision
 * (divided by k even when fewer cards remain). Cards found compromised on a day are dropped from
 * later days (`removeDetected`, default true), as investigators would have blocked them. Ties in
 * score are broken by first appearance, so results do not depend on the sort's stability.
 */
export function cardPrecisionAtK(
  input: CardPrecisionInput,
  k = 100,
  { removeDetected = true }: { removeDetected?: boolean } = {},
): CardPrecision {
  const { day, card, yTrue, score } = input;
  checkBinary('card precision', yTrue, score);
  if (day.length !== yTrue.length || card.length !== yTrue.length)
    throw new DataError(
      'length_mismatch',
      `card precision: ${yTrue.length} labels but ${day.length} days and ${card.length} cards`,
    );
  if (!(Number.isInteger(k) && k >= 1))
    throw new DataError('invalid_k', `card precision: k must be a positive integer, got ${k}`);
  const rowsByDay = new Map<number, number[]>();
  for (let i = 0; i < yTrue.length; i++) {
    const d = day[i] as number;
    const rows = rowsByDay.get(d);
    if (rows) rows.push(i);
    else rowsByDay.set(d, [i]);
  }
  const detected = new Set<number | string>();
  const perDay: CardPrecisionDay[] = [];
  for (const d of [...rowsByDay.keys()].sort((a, b) => a - b)) {
    const cards = new Map<number | string, { score: number; fraud: boolean; first: number }>();
    for (const i of rowsByDay.get(d) as number[]) {
      const c = card[i] as number | string;
      if (detected.has(c)) continue;
      const s = score[i] as number;
      const seen = cards.get(c);
      if (seen === undefined) cards.set(c, { score: s, fraud: yTrue[i] === 1, first: i });
      else {
        seen.score = Math.max(seen.score, s);
        seen.fraud ||= yTrue[i] === 1;
      }
    }
    const ranked = [...cards].sort(([, a], [, b]) => b.score - a.score || a.first - b.first);
    const top = ranked.slice(0, k).filter(([, c]) => c.fraud);
    perDay.push({
      day: d,
      precision: top.length / k,
      compromisedCards: ranked.filter(([, c]) => c.fraud).length,
    });
    if (removeDetected) for (const [c] of top) detected.add(c);
  }
  return { mean: perDay.reduce((s, x) => s + x.precision, 0) / perDay.length, perDay };
}
