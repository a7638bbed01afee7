/**
 * The synthetic-data quality and privacy report (`vigil synth report`): real and synthetic tables
 * compared column by column (shapes), pair by pair (trends), by a classifier (detection), by the
 * models they train (utility) and by how close synthetic rows sit to real ones (privacy).
 *
 * - {@link buildQualityReport} computes everything into one JSON-ready object plus plot arrays;
 * - {@link renderQualityReport} writes the self-contained HTML page;
 * - the metric functions ({@link columnShapes}, {@link pairTrends}, {@link detectionAuc},
 *   {@link utilityAuc}, {@link distanceToClosestRecord}, {@link exactCopies}) work on
 *   {@link alignTables}' output for use on their own; the distances under them (`ksStatistic`,
 *   `totalVariationDistance`) live in src/evaluation.
 *
 * How each number is computed and read: docs/synthesis.md.
 */
export {
  type AlignedTables,
  type AlignOptions,
  alignTables,
  type ComparedColumn,
  checkSameColumns,
  type ExcludedColumn,
  type Side,
} from './aligned-tables.js';
export {
  type ColumnShape,
  type ColumnShapes,
  columnShape,
  columnShapes,
} from './column-shapes.js';
export {
  DEFAULT_DETECTION_MAX_ROWS,
  DETECTION_FOLDS,
  type DetectionResult,
  detectionAuc,
  encodeReportTarget,
  REPORT_MODELS,
  type ReportModel,
  type UtilityResult,
  utilityAuc,
} from './model-metrics.js';
export { DEFAULT_MAX_PAIRS, type PairTrend, type PairTrends, pairTrends, pearson, ranks } from './pair-trends.js';
export {
  type DcrResult,
  type DcrSummary,
  DEFAULT_DCR_MAX_REFERENCE_ROWS,
  DEFAULT_DCR_MAX_ROWS,
  distanceToClosestRecord,
  type ExactCopies,
  exactCopies,
  robustSpread,
} from './privacy-metrics.js';
export {
  buildQualityReport,
  type QualityPlots,
  type QualityReport,
  type QualityReportInput,
  type QualityReportOptions,
} from './quality-report.js';
export {
  LIGHTS,
  type Light,
  type QualityReportPage,
  readingInWords,
  renderQualityReport,
  reportLights,
} from './quality-report-html.js';
