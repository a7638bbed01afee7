/**
 * Evaluation: the metrics, threshold policies, curves and the self-contained HTML report with
 * which Vigil judges a credit or fraud model. Rank metrics and threshold choice share one sorted
 * sweep, so everything is O(n log n) and handles ties as scikit-learn does.
 */
export {
  type CardPrecision,
  type CardPrecisionDay,
  type CardPrecisionInput,
  cardPrecisionAtK,
} from './card-precision.js';
export { type Confusion, type ConfusionRates, confusionAt, confusionRates } from './confusion.js';
export {
  type CalibrationCurve,
  type CalibrationStrategy,
  CURVE_POINTS,
  calibrationCurve,
  type KsCurve,
  ksCurve,
  type PrCurve,
  prCurve,
  type RocCurve,
  rocCurve,
  type ScoreHistogram,
  scoreHistogram,
} from './curves.js';
export { ksStatistic, sortedFinite, totalVariationDistance } from './distribution-distance.js';
export type { Scores } from './input-checks.js';
export {
  auc,
  averagePrecision,
  type BinaryMetrics,
  binaryMetrics,
  brier,
  gini,
  ks,
  LOG_LOSS_EPS,
  logLoss,
} from './metrics.js';
export {
  accuracy,
  argmaxRows,
  type ClassMetrics,
  confusionMatrix,
  type Labels,
  type MulticlassMetrics,
  macroF1,
  multiclassLogLoss,
  multiclassMetrics,
} from './multiclass-metrics.js';
export { mae, mse, type RegressionMetrics, r2, regressionMetrics } from './regression-metrics.js';
export {
  type BinaryReportData,
  type EvaluationReportInput,
  type MulticlassReportData,
  REPORT_CSS,
  type RegressionReportData,
  type ReportData,
  type ReportMetadata,
  type ReportModel,
  renderEvaluationReport,
} from './report-html.js';
export {
  type CategoryBarSpec,
  type CategorySeries,
  type HeatmapSpec,
  renderCategoryBars,
  renderHeatmap,
} from './svg-category-chart.js';
export { type ChartSpec, escapeXml, groupThousands, renderChart } from './svg-chart.js';
export { chooseThreshold, type ThresholdChoice, type ThresholdPolicy } from './threshold.js';
