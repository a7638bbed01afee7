/**
 * Card Precision@k, the fraud handbook's measure of what an investigation team with a daily budget
 * of k card checks would find. Transaction-level metrics (AUC, AP) ignore that alerts are handled
 * per card and per day; this one does not.
 */
import { ConfigError, DataError } from '../errors.js';
import { checkBinary, type Scores } from './input-checks.js';

/** Card Precision@k of one day: how many of the k highest-scored cards were compromised. */
export interface CardPrecisionDay {
  day: number;
  /** Compromised cards among the day's k highest-scored cards, divided by k. */
  precision: number;
  /** Compromised cards among that day's remaining cards (at most k of them can be found). */
  compromisedCards: number;
}

export interface CardPrecision {
  /** Mean of the daily precisions, each day weighing the same. */
  mean: number;
  /** One entry per day present in the input, days ascending. */
  perDay: CardPrecisionDay[];
}

export interface CardPrecisionInput {
  /** Whole-day index per transaction (e.g. the UTC day of its timestamp); any integer origin. */
  day: Int32Array | ArrayLike<number>;
  /** Card (customer) per transaction; numbers, or strings such as ids read from a CSV. */
  card: Int32Array | ArrayLike<number | string>;
  /** 1 fraud, 0 genuine. */
  yTrue: Float32Array;
  score: Scores;
}

/** One card's aggregate over a day; `numericId` orders ties (NaN when the id is not an integer). */
interface CardOfDay {
  id: number | string;
  numericId: number;
  score: number;
  fraud: boolean;
}

const INTEGER_TEXT = /^-?\d+$/;

/**
 * Card Precision@k as the fraud handbook defines it (`card_precision_top_k`): per day, each card
 * scores its highest transaction score and counts as compromised when any of its transactions
 * that day is fraud; the share of compromised cards among the k highest-scored is the day's
 * precision, divided by k even when fewer than k cards remain. Cards found compromised on a day
 * are dropped from later days (`removeDetected`, default true), as investigators would have
 * blocked them. The result is the mean over the days present.
 *
 * Ties in score are broken by card id ascending — integer ids (numbers, or strings of digits)
 * numerically and before any other ids, which compare as strings. That is the order pandas'
 * `groupby('CUSTOMER_ID')` leaves the cards in before the handbook sorts them by score, so tied
 * cards fall the way they mostly do there, and the figure never depends on row order.
 *
 * Throws `DataError` (`length_mismatch`, `empty_input`, `invalid_label`, `invalid_score`,
 * `invalid_day`) for unusable columns and `ConfigError` (`invalid_k`) for a bad k.
 *
 * @example
 * const cp = cardPrecisionAtK({ day: testDay, card: cards, yTrue, score }, 100);
 * console.log(cp.mean, cp.perDay.map((d) => d.precision));
 */
export function cardPrecisionAtK(
  input: CardPrecisionInput,
  k = 100,
  { removeDetected = true }: { removeDetected?: boolean } = {},
): CardPrecision {
  const { day, card, yTrue, score } = input;
  checkBinary('cardPrecisionAtK', yTrue, score);
  if (day.length !== yTrue.length || card.length !== yTrue.length)
    throw new DataError(
      'length_mismatch',
      `cardPrecisionAtK: yTrue has ${yTrue.length} rows but day has ${day.length} and card has ${card.length}`,
    );
  if (!(Number.isInteger(k) && k >= 1))
    throw new ConfigError('invalid_k', `cardPrecisionAtK: k must be a positive integer, got ${k}`);
  const rowsByDay = new Map<number, number[]>();
  for (let i = 0; i < yTrue.length; i++) {
    const d = day[i] as number;
    if (!Number.isInteger(d))
      throw new DataError('invalid_day', `cardPrecisionAtK: day must be a whole-day index, row ${i} has ${d}`);
    const rows = rowsByDay.get(d);
    if (rows) rows.push(i);
    else rowsByDay.set(d, [i]);
  }
  const detected = new Set<number | string>();
  const perDay: CardPrecisionDay[] = [];
  for (const d of [...rowsByDay.keys()].sort((a, b) => a - b)) {
    const cards = new Map<number | string, CardOfDay>();
    for (const i of rowsByDay.get(d) as number[]) {
      const id = card[i] as number | string;
      if (detected.has(id)) continue;
      const s = score[i] as number;
      const fraud = yTrue[i] === 1;
      const seen = cards.get(id);
      if (seen === undefined) cards.set(id, { id, numericId: numericId(id), score: s, fraud });
      else {
        if (s > seen.score) seen.score = s;
        if (fraud) seen.fraud = true;
      }
    }
    const ranked = [...cards.values()].sort((a, b) => b.score - a.score || compareIds(a, b));
    let found = 0;
    for (let r = 0; r < Math.min(k, ranked.length); r++) {
      const c = ranked[r] as CardOfDay;
      if (!c.fraud) continue;
      found++;
      if (removeDetected) detected.add(c.id);
    }
    let compromisedCards = 0;
    for (const c of ranked) if (c.fraud) compromisedCards++;
    perDay.push({ day: d, precision: found / k, compromisedCards });
  }
  return { mean: perDay.reduce((sum, x) => sum + x.precision, 0) / perDay.length, perDay };
}

function numericId(id: number | string): number {
  if (typeof id === 'number') return Number.isInteger(id) ? id : Number.NaN;
  return INTEGER_TEXT.test(id) ? Number(id) : Number.NaN;
}

function compareIds(a: CardOfDay, b: CardOfDay): number {
  const aInt = !Number.isNaN(a.numericId);
  const bInt = !Number.isNaN(b.numericId);
  if (aInt !== bInt) return aInt ? -1 : 1;
  if (aInt && a.numericId !== b.numericId) return a.numericId - b.numericId;
  // Equal integers written differently ('7', '07') are still different cards: order them as text.
  const as = String(a.id);
  const bs = String(b.id);
  return as < bs ? -1 : as > bs ? 1 : 0;
}
