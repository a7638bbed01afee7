import { binaryMetrics, cardPrecisionAtK, multiclassMetrics, regressionMetrics } from '../evaluation/index.js';
import { column, type Matrix } from '../matrix.js';
import type { Task } from '../models/estimator.js';

/** Model kinds whose positive-class "probability" is an anomaly score, not a calibrated probability. */
const ANOMALY_MODELS: readonly string[] = ['autoencoder'];

/** Whether a model kind scores anomalies (the autoencoder's reconstruction error, mapped into [0, 1)). */
export function isAnomalyModel(kind: string): boolean {
  return ANOMALY_MODELS.includes(kind);
}

/**
 * The metrics users see for a task, as one flat JSON-ready object. Binary metrics use the
 * bundle's threshold (chosen on validation data), never one re-chosen on the rows measured.
 * With `anomaly` (an autoencoder's score) the probability metrics `brier` and `logLoss` are left
 * out: the score ranks rows (AUC, KS, AP and the threshold metrics hold) but is not a probability.
 */
export function taskMetrics(
  task: Task,
  y: Float32Array,
  proba: Matrix,
  classes: string[],
  threshold: number | undefined,
  { anomaly = false }: { anomaly?: boolean } = {},
): Record<string, unknown> {
  if (task === 'binary') {
    const metrics: Record<string, unknown> = {
      ...binaryMetrics(y, column(proba, 1), { kind: 'fixed', threshold: threshold ?? 0.5 }),
    };
    if (anomaly) {
      delete metrics.brier;
      delete metrics.logLoss;
    }
    return metrics;
  }
  if (task === 'regression') return { ...regressionMetrics(y, proba.data) };
  return { ...multiclassMetrics(y, proba, classes) };
}

const DAY_MS = 86_400_000;

/** Card Precision@k as evaluation output: the mean, k, and each day's precision by UTC date. */
export interface CardPrecisionMetrics {
  cpAtK: number;
  k: number;
  cpPerDay: { day: string; precision: number; compromisedCards: number }[];
}

/**
 * Card Precision@k (the fraud handbook's `card_precision_top_k`, see `cardPrecisionAtK`) of
 * scored rows, each row's day being the UTC calendar day of `timeMs`.
 */
export function cardPrecisionMetrics(
  y: Float32Array,
  score: Float32Array,
  timeMs: ArrayLike<number>,
  cards: ArrayLike<string | number>,
  k: number,
): CardPrecisionMetrics {
  const day = Int32Array.from({ length: y.length }, (_, i) => Math.floor((timeMs[i] as number) / DAY_MS));
  const cp = cardPrecisionAtK({ day, card: cards, yTrue: y, score }, k);
  return {
    cpAtK: cp.mean,
    k,
    cpPerDay: cp.perDay.map((d) => ({
      day: new Date(d.day * DAY_MS).toISOString().slice(0, 10),
      precision: d.precision,
      compromisedCards: d.compromisedCards,
    })),
  };
}
