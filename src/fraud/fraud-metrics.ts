/**
 * The three figures the fraud handbook reports for a scored test period, computed by the
 * evaluation module's metrics so they agree with every other report Vigil writes.
 */
import { auc, averagePrecision, cardPrecisionAtK, type Scores } from '../evaluation/index.js';

/** The handbook's figures for one scored test period. */
export interface FraudMetrics {
  /** ROC AUC over the test transactions. */
  auc: number;
  /** Average precision over the test transactions (scikit-learn's definition). */
  ap: number;
  /** Card Precision@k, the mean over the test days. */
  cpAtK: number;
  k: number;
  /** Test transactions. */
  nTest: number;
  /** Fraudulent test transactions. */
  nFraud: number;
}

/**
 * AUC-ROC, average precision and Card Precision@k of scores on test rows, as the handbook's
 * `performance_assessment` reports them (unrounded). `testDay` and `card` are per test row, e.g.
 * `split.testDay` and the customers of `split.test` from `handbookSplit`. Throws like
 * `auc` and `cardPrecisionAtK` (e.g. `single_class` when the test rows hold one class).
 *
 * @example
 * const m = fraudMetrics(yTest, score, split.testDay, testCards, { k: 100 });
 * console.log(m.auc, m.ap, m.cpAtK);
 */
export function fraudMetrics(
  yTrue: Float32Array,
  score: Scores,
  testDay: Int32Array | ArrayLike<number>,
  card: Int32Array | ArrayLike<number | string>,
  { k = 100 }: { k?: number } = {},
): FraudMetrics {
  // Card precision first: it checks every column's length, so a mismatch names the right arrays.
  const cpAtK = cardPrecisionAtK({ day: testDay, card, yTrue, score }, k).mean;
  let nFraud = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === 1) nFraud++;
  return { auc: auc(yTrue, score), ap: averagePrecision(yTrue, score), cpAtK, k, nTest: yTrue.length, nFraud };
}
