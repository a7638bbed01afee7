/**
 * The two metrics that train models: detection (can a classifier tell synthetic rows from real
 * ones?) and utility (does a model trained on synthetic data score real rows as well as one trained
 * on real data?). Both go through Vigil's own preprocessing and estimators, as a user's model would.
 */
import { stratifiedSplit } from '../data/split.js';
import { cellText, type Table } from '../data/table.js';
import { DataError } from '../errors.js';
import { auc, type RocCurve, rocCurve } from '../evaluation/index.js';
import { rowRange, takeRows } from '../matrix.js';
import { TabularPipeline } from '../preprocessing/index.js';
import { Random } from '../random.js';
import { fitAndMeasure } from '../training/fit-and-measure.js';
import { encodeTarget } from '../training/target.js';
import { type AlignedTables, comparedTable, type Side } from './aligned-tables.js';
import { subsample } from './privacy-metrics.js';

/** The estimators the report may train. */
export const REPORT_MODELS = ['logistic', 'mlp'] as const;
export type ReportModel = (typeof REPORT_MODELS)[number];

/** Rows per side the detection classifier sees at most (a seeded subsample beyond). */
export const DEFAULT_DETECTION_MAX_ROWS = 5000;
export const DETECTION_FOLDS = 3;

/** The cross-validated detection result. */
export interface DetectionResult {
  model: ReportModel;
  folds: number;
  /** Real rows and synthetic rows used (equal counts). */
  rowsPerSide: number;
  /** Mean of the per-fold AUCs: 0.5 = indistinguishable, 1 = every synthetic row spotted. */
  auc: number;
  foldAucs: number[];
  /** ROC of the pooled out-of-fold scores, for the chart. */
  roc: RocCurve;
}

/** Options of {@link detectionAuc}. */
export interface DetectionOptions {
  model?: ReportModel;
  maxRowsPerSide?: number;
  folds?: number;
  seed?: number;
}

function withModelDefaults(model: ReportModel): Record<string, unknown> {
  // One training thread: the report runs beside other work, and the detection folds are small.
  return model === 'mlp' ? { threads: 1 } : {};
}

/**
 * Trains a classifier to tell real rows (label 0) from synthetic ones (label 1): equal counts of
 * each (the smaller table's size, at most `maxRowsPerSide`, seeded subsamples), stratified
 * `folds`-fold cross-validation; each fold fits the tabular pipeline and the model on the other
 * folds (15 % of them held out for early stopping) and scores its own rows.
 *
 * @example
 * const { auc } = await detectionAuc(alignTables({ real, synthetic }), { model: 'mlp', seed: 1 });
 */
export async function detectionAuc(aligned: AlignedTables, options: DetectionOptions = {}): Promise<DetectionResult> {
  const model = options.model ?? 'mlp';
  const seed = options.seed ?? 1;
  const folds = options.folds ?? DETECTION_FOLDS;
  const perSide = Math.min(
    aligned.nRows.real,
    aligned.nRows.synthetic,
    options.maxRowsPerSide ?? DEFAULT_DETECTION_MAX_ROWS,
  );
  if (perSide < folds * 4)
    throw new DataError(
      'too_few_rows',
      `detection needs at least ${folds * 4} real and synthetic rows, got ${perSide}`,
    );
  const realRows = subsample(rowRange(aligned.nRows.real), perSide, seed);
  const syntheticRows = subsample(rowRange(aligned.nRows.synthetic), perSide, seed + 1);
  const table = comparedTable(aligned, [
    { side: 'real', rows: realRows },
    { side: 'synthetic', rows: syntheticRows },
  ]);
  const n = table.nRows;
  const y = new Float32Array(n);
  for (let i = perSide; i < n; i++) y[i] = 1;

  // Stratified folds: each class shuffled and dealt round-robin.
  const fold = new Int32Array(n);
  const random = new Random(seed);
  for (const [start, end] of [
    [0, perSide],
    [perSide, n],
  ] as const) {
    const rows = random.shuffle(Int32Array.from({ length: end - start }, (_, i) => start + i));
    for (let i = 0; i < rows.length; i++) fold[rows[i] as number] = i % folds;
  }

  const scores = new Float32Array(n);
  const foldAucs: number[] = [];
  for (let k = 0; k < folds; k++) {
    const trainRows = rowRange(n).filter((r) => fold[r] !== k);
    const testRows = rowRange(n).filter((r) => fold[r] === k);
    const pipeline = new TabularPipeline({}).fit(table, trainRows);
    const x = pipeline.transform(table);
    const fitted = await fitAndMeasure({
      model,
      task: 'binary',
      classes: ['real', 'synthetic'],
      y,
      trainRows,
      testRows,
      inputs: (rows) => takeRows(x, rows),
      seed: seed + k,
      modelParams: withModelDefaults(model),
    });
    const s = fitted.testScores as Float32Array;
    const yTest = new Float32Array(testRows.length);
    for (let i = 0; i < testRows.length; i++) {
      const r = testRows[i] as number;
      scores[r] = s[i] as number;
      yTest[i] = y[r] as number;
    }
    foldAucs.push(auc(yTest, s));
  }
  const mean = foldAucs.reduce((a, b) => a + b, 0) / folds;
  return { model, folds, rowsPerSide: perSide, auc: mean, foldAucs, roc: rocCurve(y, scores) };
}

/** Train-on-synthetic and train-on-real AUC, both on the same real test rows. */
export interface UtilityResult {
  model: ReportModel;
  target: string;
  /** The target value counted as positive, and the other one. */
  positive: string;
  negative: string;
  /** `holdout`: the holdout file; `real-split`: the real file's stratified 25 % test part. */
  testedOn: 'holdout' | 'real-split';
  trainRowsReal: number;
  trainRowsSynthetic: number;
  testRows: number;
  trtrAuc: number;
  /** null when the synthetic target holds a single class (no model can be trained). */
  tstrAuc: number | null;
  /** Synthetic rows left out because their target was missing or not one of the two real classes. */
  syntheticRowsWithoutTarget: number;
  rocReal: RocCurve;
  rocSynthetic: RocCurve | null;
  notes: string[];
}

/** The target as 0/1/NaN on each side, by the real data's two classes. */
export interface EncodedReportTarget {
  column: string;
  positive: string;
  negative: string;
  y: Record<Side, Float32Array>;
}

/**
 * Resolves the binary target on the real rows as `vigil train` does (the positive class by
 * `positive`, else a conventional risky label such as `1`, `bad`, `default`, `fraud`), then maps
 * the synthetic and holdout values onto the same two classes by their text.
 */
export function encodeReportTarget(aligned: AlignedTables, column: string, positive?: string): EncodedReportTarget {
  const index = aligned.columns.findIndex((c) => c.name === column);
  if (index < 0) {
    const excluded = aligned.excluded.find((e) => e.name === column);
    const why = excluded ? ` (it is excluded: ${excluded.reason})` : '';
    throw new DataError(
      'unknown_target',
      `target column ${JSON.stringify(column)} is not among the compared columns${why}; columns are: ${aligned.columns.map((c) => c.name).join(', ')}`,
    );
  }
  const one = { ...aligned, columns: [aligned.columns[index] as AlignedTables['columns'][number]] };
  const textOf = (side: Side): Table => comparedTable(one, [{ side, rows: rowRange(aligned.nRows[side]) }]);
  const real = textOf('real');
  const encoded = encodeTarget(real, column, { task: 'binary', ...(positive !== undefined ? { positive } : {}) });
  const [neg, pos] = encoded.classes as [string, string];
  const mapSide = (side: Side): Float32Array => {
    if (side === 'real') return encoded.y;
    const t = textOf(side);
    const col = t.columns[0] as Table['columns'][number];
    const y = new Float32Array(t.nRows);
    for (let r = 0; r < t.nRows; r++) {
      const text = cellText(col, r);
      y[r] = text === pos ? 1 : text === neg ? 0 : Number.NaN;
    }
    return y;
  };
  return {
    column,
    positive: pos,
    negative: neg,
    y: { real: encoded.y, synthetic: mapSide('synthetic'), holdout: mapSide('holdout') },
  };
}

/** Options of {@link utilityAuc}. */
export interface UtilityOptions {
  model?: ReportModel;
  seed?: number;
  /**
   * The rows models are tested on. `holdout` side rows, or real rows (the test part of a split of
   * the real file, whose other part is then TRTR's training data).
   */
  test: { side: 'holdout' } | { side: 'real'; trainRows: Int32Array; testRows: Int32Array };
}

function labelled(rows: Int32Array, y: Float32Array): Int32Array {
  return rows.filter((r) => !Number.isNaN(y[r] as number));
}

async function trainAndScore(
  aligned: AlignedTables,
  target: EncodedReportTarget,
  train: { side: Side; rows: Int32Array },
  test: { side: Side; rows: Int32Array },
  model: ReportModel,
  seed: number,
): Promise<{ scores: Float32Array; yTest: Float32Array }> {
  const table = comparedTable(aligned, [train, test]);
  const nTrain = train.rows.length;
  const y = new Float32Array(table.nRows);
  for (let i = 0; i < nTrain; i++) y[i] = target.y[train.side][train.rows[i] as number] as number;
  for (let i = 0; i < test.rows.length; i++) y[nTrain + i] = target.y[test.side][test.rows[i] as number] as number;
  const trainRows = rowRange(nTrain);
  const testRows = Int32Array.from({ length: test.rows.length }, (_, i) => nTrain + i);
  const pipeline = new TabularPipeline({ exclude: [target.column] }).fit(table, trainRows);
  const x = pipeline.transform(table);
  const fitted = await fitAndMeasure({
    model,
    task: 'binary',
    classes: [target.negative, target.positive],
    y,
    trainRows,
    testRows,
    inputs: (rows) => takeRows(x, rows),
    seed,
  });
  return { scores: fitted.testScores as Float32Array, yTest: y.subarray(nTrain) };
}

/**
 * TRTR and TSTR AUC with the same estimator and parameters (the model's defaults, the given seed),
 * each with its own preprocessing fitted on its own training rows, both scored on the same real
 * test rows: the holdout file, or the test part of the real file's split (TRTR then trains on the
 * split's other part; TSTR always on the whole synthetic file).
 */
export async function utilityAuc(
  aligned: AlignedTables,
  target: EncodedReportTarget,
  options: UtilityOptions,
): Promise<UtilityResult> {
  const model = options.model ?? 'mlp';
  const seed = options.seed ?? 1;
  const notes: string[] = [];
  const test =
    options.test.side === 'holdout'
      ? { side: 'holdout' as const, rows: labelled(rowRange(aligned.nRows.holdout), target.y.holdout) }
      : { side: 'real' as const, rows: labelled(options.test.testRows, target.y.real) };
  const realTrain =
    options.test.side === 'holdout'
      ? labelled(rowRange(aligned.nRows.real), target.y.real)
      : labelled(options.test.trainRows, target.y.real);
  const synthTrain = labelled(rowRange(aligned.nRows.synthetic), target.y.synthetic);
  const yTestCheck = Float32Array.from(test.rows, (r) => target.y[test.side][r] as number);
  if (!yTestCheck.includes(1) || !yTestCheck.includes(0))
    throw new DataError('single_class', 'the test rows hold a single target class; utility AUC is undefined');
  const real = await trainAndScore(aligned, target, { side: 'real', rows: realTrain }, test, model, seed);
  const rocReal = rocCurve(real.yTest, real.scores);
  let tstrAuc: number | null = null;
  let rocSynthetic: RocCurve | null = null;
  let positives = 0;
  for (const r of synthTrain) positives += target.y.synthetic[r] as number;
  // fitAndMeasure keeps 15 % of the training rows for early stopping, stratified: each class needs a few rows.
  if (positives < 4 || synthTrain.length - positives < 4) {
    notes.push(
      `the synthetic target has ${positives} ${target.positive} and ${synthTrain.length - positives} ${target.negative} row(s): too few of one class to train on, so there is no TSTR AUC`,
    );
  } else {
    const synthetic = await trainAndScore(aligned, target, { side: 'synthetic', rows: synthTrain }, test, model, seed);
    rocSynthetic = rocCurve(synthetic.yTest, synthetic.scores);
    tstrAuc = rocSynthetic.auc;
  }
  const syntheticRowsWithoutTarget = aligned.nRows.synthetic - synthTrain.length;
  if (syntheticRowsWithoutTarget > 0)
    notes.push(
      `${syntheticRowsWithoutTarget} synthetic row(s) have a missing target or a value other than ${target.negative}/${target.positive}; left out of TSTR training`,
    );
  if (options.test.side === 'real')
    notes.push(
      'no holdout file: both models are tested on a stratified 25 % of the real file; if the synthesizer was fitted on the whole real file it has seen those rows, which flatters TSTR',
    );
  return {
    model,
    target: target.column,
    positive: target.positive,
    negative: target.negative,
    testedOn: options.test.side === 'holdout' ? 'holdout' : 'real-split',
    trainRowsReal: realTrain.length,
    trainRowsSynthetic: synthTrain.length,
    testRows: test.rows.length,
    trtrAuc: rocReal.auc,
    tstrAuc,
    syntheticRowsWithoutTarget,
    rocReal,
    rocSynthetic,
    notes,
  };
}

/** The real file's split when there is no holdout: stratified by the target when there is one, seeded, 25 % test. */
export function splitReal(nRows: number, y: Float32Array | undefined, seed: number) {
  return stratifiedSplit(y ?? new Float32Array(nRows), 0.25, seed);
}
