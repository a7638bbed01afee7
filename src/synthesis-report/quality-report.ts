/**
 * The synthetic-data quality and privacy report as one object: shapes, pair trends, detection,
 * utility and privacy, computed from the aligned real, synthetic and holdout tables. The JSON part
 * (`QualityReport`) is what `vigil synth report --json` prints; `QualityPlots` carries the extra
 * arrays the HTML page draws.
 */
import type { Table } from '../data/table.js';
import type { RocCurve } from '../evaluation/index.js';
import { sortedFinite } from '../evaluation/index.js';
import { rowRange } from '../matrix.js';
import {
  type AlignedTables,
  alignTables,
  type ComparedColumn,
  type ExcludedColumn,
  type Side,
} from './aligned-tables.js';
import { type ColumnShapes, columnShapes, levelCounts } from './column-shapes.js';
import {
  DEFAULT_DETECTION_MAX_ROWS,
  type DetectionResult,
  detectionAuc,
  encodeReportTarget,
  type ReportModel,
  splitReal,
  type UtilityResult,
  utilityAuc,
} from './model-metrics.js';
import { DEFAULT_MAX_PAIRS, type PairTrends, pairTrends, spearmanMatrix } from './pair-trends.js';
import {
  type DcrSummary,
  DEFAULT_DCR_MAX_REFERENCE_ROWS,
  DEFAULT_DCR_MAX_ROWS,
  distanceToClosestRecord,
  exactCopies,
} from './privacy-metrics.js';

/** Options of {@link buildQualityReport}. */
export interface QualityReportOptions {
  /** Binary target column for utility (TRTR/TSTR); without it utility is not measured. */
  target?: string;
  /** The target value that counts as positive (default: found as `vigil train` does). */
  positive?: string;
  /** Columns left out of every metric. */
  exclude?: string[];
  /** Estimator of TRTR and TSTR (default `mlp`). */
  utilityModel?: ReportModel;
  /** Estimator of the detection test (default `mlp`, which also sees broken interactions). */
  detectionModel?: ReportModel;
  seed?: number;
  maxPairs?: number;
  /** Rows per side of the detection test (default 5,000). */
  detectionMaxRows?: number;
  /** Synthetic and holdout rows whose DCR is measured (default 5,000). */
  dcrMaxRows?: number;
  /** Called when a stage starts (for progress output). */
  onStage?: (stage: string) => void;
}

/** The report's JSON: every number, and how it was computed. */
export interface QualityReport {
  rows: { real: number; synthetic: number; holdout: number };
  /** Where holdout rows came from: the holdout file, or a seeded 25 % of the real file. */
  holdoutSource: 'file' | 'real-split';
  columnShapes: ColumnShapes;
  pairTrends: PairTrends;
  /** Mean of the column-shape and pair-trend scores. */
  overallScore: number;
  detectionAuc: number;
  detection: Omit<DetectionResult, 'roc'>;
  trtrAuc: number | null;
  tstrAuc: number | null;
  utility: Omit<UtilityResult, 'rocReal' | 'rocSynthetic'> | null;
  dcrRatio: number;
  exactCopies: number;
  privacy: {
    dcrSynthetic: DcrSummary;
    dcrHoldout: DcrSummary;
    dcrRatio: number;
    shareBelowHoldoutP05: number;
    referenceRows: number;
    exactCopies: number;
    exactCopiesShare: number;
    /** Holdout rows equal to a real row: the copy rate genuinely new data already has. */
    holdoutExactCopies: number;
    holdoutExactCopiesShare: number;
    distance: string;
    /** Columns compared elsewhere but left out here: a single value in every real row. */
    columnsLeftOut: string[];
  };
  excludedColumns: ExcludedColumn[];
  settings: {
    seed: number;
    utilityModel: ReportModel;
    detectionModel: ReportModel;
    maxPairs: number;
    detectionMaxRows: number;
    dcrMaxRows: number;
  };
  warnings: string[];
  /** Milliseconds per stage (`aligning tables`, `column shapes`, …); not shown in the HTML, so equal inputs give equal pages. */
  timingsMs: Record<string, number>;
}

/** One column's distribution in the real and synthetic data, for small-multiple charts. */
export type ColumnPlot =
  | { name: string; type: 'histogram'; edges: Float64Array; real: Float64Array; synthetic: Float64Array }
  | { name: string; type: 'levels'; labels: string[]; real: Float64Array; synthetic: Float64Array };

/** Arrays the HTML page draws. */
export interface QualityPlots {
  columns: ColumnPlot[];
  correlation: { names: string[]; real: Float64Array; synthetic: Float64Array };
  dcrSynthetic: Float32Array;
  dcrHoldout: Float32Array;
  detectionRoc: RocCurve;
  utilityRocReal: RocCurve | null;
  utilityRocSynthetic: RocCurve | null;
}

/** The tables to compare. */
export interface QualityReportInput {
  real: Table;
  synthetic: Table;
  /** Real rows the synthesizer never saw; without it, 25 % of the real file is set aside. */
  holdout?: Table;
}

const HISTOGRAM_BINS = 30;
const MAX_LEVELS_SHOWN = 12;

/** Shares per bin over shared edges spanning the real data's 0.5–99.5 % range (outer values in the end bins). */
function histogramPlot(name: string, real: Float64Array, synthetic: Float64Array): ColumnPlot {
  const sr = sortedFinite(real);
  const lo = sr.length === 0 ? 0 : (sr[Math.floor(0.005 * (sr.length - 1))] as number);
  let hi = sr.length === 0 ? 1 : (sr[Math.ceil(0.995 * (sr.length - 1))] as number);
  if (!(hi > lo)) hi = lo + 1;
  const edges = new Float64Array(HISTOGRAM_BINS + 1);
  for (let i = 0; i <= HISTOGRAM_BINS; i++) edges[i] = lo + ((hi - lo) * i) / HISTOGRAM_BINS;
  const shares = (values: Float64Array): Float64Array => {
    const counts = new Float64Array(HISTOGRAM_BINS);
    let n = 0;
    for (let i = 0; i < values.length; i++) {
      const v = values[i] as number;
      if (Number.isNaN(v)) continue;
      const b = Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * HISTOGRAM_BINS)));
      counts[b] = (counts[b] as number) + 1;
      n++;
    }
    return n === 0 ? counts : counts.map((c) => c / n);
  };
  return { name, type: 'histogram', edges, real: shares(real), synthetic: shares(synthetic) };
}

/** Shares of the most frequent real levels, the rest grouped, missing and unseen values shown apart. */
function levelsPlot(name: string, levels: string[], nRealLevels: number, real: Int32Array, synthetic: Int32Array) {
  const cr = levelCounts(real, levels.length);
  const cs = levelCounts(synthetic, levels.length);
  const order = Array.from({ length: nRealLevels }, (_, i) => i).sort((a, b) => (cr[b] as number) - (cr[a] as number));
  const shown = order.slice(0, MAX_LEVELS_SHOWN);
  const labels = shown.map((i) => levels[i] as string);
  const nr = Math.max(1, real.length);
  const ns = Math.max(1, synthetic.length);
  const r: number[] = shown.map((i) => (cr[i] as number) / nr);
  const s: number[] = shown.map((i) => (cs[i] as number) / ns);
  const rest = order.slice(MAX_LEVELS_SHOWN);
  if (rest.length > 0) {
    labels.push(`other (${rest.length})`);
    r.push(rest.reduce((t, i) => t + (cr[i] as number), 0) / nr);
    s.push(rest.reduce((t, i) => t + (cs[i] as number), 0) / ns);
  }
  const missingReal = cr[levels.length] as number;
  const missingSynthetic = cs[levels.length] as number;
  if (missingReal + missingSynthetic > 0) {
    labels.push('(missing)');
    r.push(missingReal / nr);
    s.push(missingSynthetic / ns);
  }
  let unseen = 0;
  for (let i = nRealLevels; i < levels.length; i++) unseen += cs[i] as number;
  if (unseen > 0) {
    labels.push('(not in real data)');
    r.push(0);
    s.push(unseen / ns);
  }
  return { name, type: 'levels' as const, labels, real: Float64Array.from(r), synthetic: Float64Array.from(s) };
}

function columnPlots(aligned: AlignedTables): ColumnPlot[] {
  return aligned.columns.map((col) =>
    col.type === 'continuous'
      ? histogramPlot(col.name, col.values.real, col.values.synthetic)
      : levelsPlot(col.name, col.levels, col.nRealLevels, col.codes.real, col.codes.synthetic),
  );
}

/**
 * Computes the whole report. Stages, in order: align, column shapes, pair trends, privacy (exact
 * copies, DCR), detection, utility (with `target`).
 *
 * Without a holdout table, the real rows are split once (seeded, 25 % test, stratified by the target
 * when there is one): the 25 % are the holdout rows of DCR and the test rows of TRTR/TSTR; the 75 %
 * are DCR's reference rows and TRTR's training rows. Column shapes, pair trends, detection and exact
 * copies always use every real row.
 *
 * @example
 * const { report, plots } = await buildQualityReport(
 *   { real: train.table, synthetic: sample.table, holdout: test.table },
 *   { target: 'target', seed: 1 },
 * );
 * report.columnShapes.score; report.tstrAuc; report.dcrRatio;
 */
export async function buildQualityReport(
  input: QualityReportInput,
  options: QualityReportOptions = {},
): Promise<{ report: QualityReport; plots: QualityPlots }> {
  const seed = options.seed ?? 1;
  const timingsMs: Record<string, number> = {};
  let current: string | undefined;
  let mark = performance.now();
  const lap = () => {
    const now = performance.now();
    if (current !== undefined) timingsMs[current] = Math.round(now - mark);
    mark = now;
  };
  const stage = (name: string) => {
    lap();
    current = name;
    options.onStage?.(name);
  };
  const utilityModel = options.utilityModel ?? 'mlp';
  const detectionModel = options.detectionModel ?? 'mlp';
  const maxPairs = options.maxPairs ?? DEFAULT_MAX_PAIRS;
  const detectionMaxRows = options.detectionMaxRows ?? DEFAULT_DETECTION_MAX_ROWS;
  const dcrMaxRows = options.dcrMaxRows ?? DEFAULT_DCR_MAX_ROWS;
  const warnings: string[] = [];

  stage('aligning tables');
  const aligned = alignTables(input, { exclude: options.exclude });
  const target =
    options.target === undefined ? undefined : encodeReportTarget(aligned, options.target, options.positive);
  const hasHoldout = input.holdout !== undefined;
  if (hasHoldout && aligned.nRows.holdout === 0) warnings.push('the holdout table has no rows');
  const split = hasHoldout ? undefined : splitReal(aligned.nRows.real, target?.y.real, seed);

  stage('column shapes');
  const shapes = columnShapes(aligned);
  for (const c of shapes.columns) {
    if ((c.unseenRows ?? 0) > 0)
      warnings.push(
        `column ${c.name}: ${c.unseenRows} synthetic row(s) hold values the real data never has (${(c.unseenValues ?? []).join(', ')})`,
      );
  }

  stage('pair trends');
  const trends = pairTrends(aligned, { maxPairs, seed });
  if (trends.pairsEvaluated < trends.pairsTotal)
    warnings.push(
      `${trends.pairsTotal} column pairs; pair trends are measured on a seeded random ${trends.pairsEvaluated} of them`,
    );

  stage('privacy');
  // A column with one value in every real row tells no real row from another, so privacy ignores
  // it: a split flag (all "false" in the real file, all "true" in the holdout) would otherwise put
  // every holdout row one column further from the real rows than the synthetic ones.
  const constant = aligned.columns.filter((c) => isConstant(c, 'real')).map((c) => c.name);
  const privacyView =
    constant.length > 0 && constant.length < aligned.columns.length
      ? { ...aligned, columns: aligned.columns.filter((c) => !constant.includes(c.name)) }
      : aligned;
  const referenceCount = split ? split.trainRows.length : aligned.nRows.real;
  if (referenceCount > DEFAULT_DCR_MAX_REFERENCE_ROWS)
    warnings.push(
      `DCR searches a seeded ${DEFAULT_DCR_MAX_REFERENCE_ROWS} of the ${referenceCount} real reference rows (the same for synthetic and holdout rows)`,
    );
  if (privacyView !== aligned)
    warnings.push(
      `privacy (DCR, exact copies) leaves out column(s) with a single value in the real data: ${constant.join(', ')}`,
    );
  const copies = exactCopies(privacyView, 'synthetic');
  const holdoutSide: { side: Side; rows: Int32Array } = split
    ? { side: 'real', rows: split.testRows }
    : { side: 'holdout', rows: rowRange(aligned.nRows.holdout) };
  const holdoutCopies = split
    ? exactCopies(privacyView, 'real', { rows: split.testRows, realRows: split.trainRows })
    : exactCopies(privacyView, 'holdout');
  const dcr = distanceToClosestRecord(privacyView, {
    referenceRows: split ? split.trainRows : rowRange(aligned.nRows.real),
    holdout: holdoutSide,
    maxRows: dcrMaxRows,
    seed,
  });

  stage('detection');
  const detection = await detectionAuc(aligned, { model: detectionModel, maxRowsPerSide: detectionMaxRows, seed });

  let utility: UtilityResult | null = null;
  if (target !== undefined) {
    stage('utility');
    utility = await utilityAuc(aligned, target, {
      model: utilityModel,
      seed,
      test: split ? { side: 'real', trainRows: split.trainRows, testRows: split.testRows } : { side: 'holdout' },
    });
    warnings.push(...utility.notes);
  }

  lap();
  const { roc: detectionRoc, ...detectionJson } = detection;
  const report: QualityReport = {
    rows: { ...aligned.nRows },
    holdoutSource: hasHoldout ? 'file' : 'real-split',
    columnShapes: shapes,
    pairTrends: trends,
    overallScore: (shapes.score + trends.score) / 2,
    detectionAuc: detection.auc,
    detection: detectionJson,
    trtrAuc: utility?.trtrAuc ?? null,
    tstrAuc: utility?.tstrAuc ?? null,
    utility: utility === null ? null : withoutRocs(utility),
    dcrRatio: dcr.ratio,
    exactCopies: copies.count,
    privacy: {
      dcrSynthetic: dcr.synthetic,
      dcrHoldout: dcr.holdout,
      dcrRatio: dcr.ratio,
      shareBelowHoldoutP05: dcr.shareBelowHoldoutP05,
      referenceRows: dcr.referenceRows,
      exactCopies: copies.count,
      exactCopiesShare: copies.share,
      holdoutExactCopies: holdoutCopies.count,
      holdoutExactCopiesShare: holdoutCopies.share,
      distance:
        'mean over columns of |Δ| / robust spread (IQR / 1.349 of the real column) for numeric and datetime, 0/1 mismatch for categorical and boolean; a missing value against a present one adds 1',
      columnsLeftOut: privacyView === aligned ? [] : constant,
    },
    excludedColumns: aligned.excluded,
    settings: { seed, utilityModel, detectionModel, maxPairs, detectionMaxRows, dcrMaxRows },
    warnings,
    timingsMs,
  };
  const correlationReal = spearmanMatrix(aligned, 'real');
  const plots: QualityPlots = {
    columns: columnPlots(aligned),
    correlation: {
      names: correlationReal.names,
      real: correlationReal.values,
      synthetic: spearmanMatrix(aligned, 'synthetic').values,
    },
    dcrSynthetic: dcr.syntheticDistances,
    dcrHoldout: dcr.holdoutDistances,
    detectionRoc,
    utilityRocReal: utility?.rocReal ?? null,
    utilityRocSynthetic: utility?.rocSynthetic ?? null,
  };
  return { report, plots };
}

function withoutRocs(u: UtilityResult): Omit<UtilityResult, 'rocReal' | 'rocSynthetic'> {
  const { rocReal: _r, rocSynthetic: _s, ...rest } = u;
  return rest;
}

/** Whether a column holds a single value (missing counting as one) in every row of `side`. */
function isConstant(col: ComparedColumn, side: Side): boolean {
  if (col.type === 'continuous') {
    const v = col.values[side];
    if (v.length === 0) return true;
    const first = v[0] as number;
    for (let i = 1; i < v.length; i++) {
      const x = v[i] as number;
      if (x !== first && !(Number.isNaN(x) && Number.isNaN(first))) return false;
    }
    return true;
  }
  const c = col.codes[side];
  for (let i = 1; i < c.length; i++) if (c[i] !== c[0]) return false;
  return true;
}
