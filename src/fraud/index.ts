/**
 * Fraud evaluation as the open handbook *Reproducible Machine Learning for Credit Card Fraud
 * Detection* does it: a training week, a delay while labels arrive, a test week without cards
 * already known to be compromised, prequential folds, and AUC / average precision / Card
 * Precision@k. See docs/fraud-protocol.md.
 */
export { type FraudMetrics, fraudMetrics } from './fraud-metrics.js';
export {
  type HandbookSplit,
  type HandbookSplitOptions,
  handbookSplit,
  type PrequentialOptions,
  type ProtocolColumns,
  prequentialFolds,
} from './handbook-protocol.js';
