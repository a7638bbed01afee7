import { fingerprintFile, readTable, splitByColumn, takeTableRows, timeSplit } from '../data/index.js';
import { type Column, cellText, findColumn, type Schema } from '../data/table.js';
import { ConfigError, DataError } from '../errors.js';
import type { TransactionColumns } from '../features/index.js';
import type { Matrix } from '../matrix.js';
import { column, takeValues } from '../matrix.js';
import { csvHeader, readExtraColumn, timeSplitRows } from '../training/feature-inputs.js';
import { cardPrecisionMetrics, encodeTarget, isAnomalyModel, taskMetrics } from '../training/index.js';
import { loadScoringModel, type ScoringEngine, type ScoringModel } from './scoring-model.js';
import { readTransactionsForModel } from './transactions-input.js';

export interface EvaluateJobOptions {
  modelDir: string;
  dataPath: string;
  /** Runtime for network models (default `'onnx'`; see loadScoringModel). */
  engine?: ScoringEngine;
  /** CSV delimiter; detected when omitted. */
  delimiter?: string;
  /**
   * Evaluate only the test part of this split (a truthy column, or rows from a date on). For a
   * spec bundle the time split is on the spec's timestamp column; every row is still replayed, as
   * history for the windows of the rows evaluated.
   */
  split?: { kind: 'column'; column: string } | { kind: 'time'; column?: string; testFrom: string };
  /**
   * Adds Card Precision@k (`cpAtK`, `k`, `cpPerDay`): the column holding each row's card
   * (customer) id. Days are the UTC days of the spec's timestamp for a spec bundle, else of `dayColumn`.
   */
  cardColumn?: string;
  /** Card Precision@k's k (default 100). */
  k?: number;
  /** Table bundles: the datetime column giving each row's day for Card Precision@k. */
  dayColumn?: string;
}

export interface EvaluateJobResult {
  model: ScoringModel;
  metrics: Record<string, unknown>;
  /** Encoded labels and model outputs of the rows measured, for curves and reports. */
  y: Float32Array;
  proba: Matrix;
  nRows: number;
  dataFingerprint: string;
  warnings: string[];
}

/**
 * Measures a bundle on labelled data, reading the file with the bundle's own schema so the
 * columns parse exactly as they did in training. Labels are encoded with the bundle's classes:
 * a label the model never saw is an error, not a silent miss.
 */
export async function runEvaluateJob(options: EvaluateJobOptions): Promise<EvaluateJobResult> {
  const model = await loadScoringModel(options.modelDir, options.engine ? { engine: options.engine } : {});
  try {
    return await evaluate(model, options);
  } finally {
    model.dispose();
  }
}

/** Checks the Card Precision@k options before any file is read. */
function checkCardOptions(model: ScoringModel, options: EvaluateJobOptions): void {
  if (options.k !== undefined && options.cardColumn === undefined)
    throw new ConfigError('invalid_flag', '--k goes with --card-column (Card Precision@k)');
  if (options.k !== undefined && !(Number.isInteger(options.k) && options.k >= 1))
    throw new ConfigError('invalid_flag', `--k must be an integer ≥ 1, got ${options.k}`);
  if (options.cardColumn === undefined) return;
  if (model.manifest.target.task !== 'binary')
    throw new ConfigError(
      'invalid_flag',
      `--card-column: Card Precision@k ranks cards by a fraud score; ${model.dir} is a ${model.manifest.target.task} model`,
    );
  const spec = model.features?.spec;
  if (spec !== undefined) {
    if (
      options.dayColumn !== undefined &&
      options.dayColumn !== spec.columns.timestamp &&
      options.dayColumn !== 'timestamp'
    )
      throw new ConfigError(
        'invalid_flag',
        `--time-column ${options.dayColumn}: the days of a bundle with a feature spec are those of its timestamp column ${spec.columns.timestamp}`,
      );
  } else if (options.dayColumn === undefined) {
    throw new ConfigError(
      'invalid_flag',
      `--card-column ${options.cardColumn}: Card Precision@k ranks cards per day, and ${model.dir} has no feature spec with a timestamp: pass --time-column COL, the rows' date/time column`,
    );
  }
}

/** Card Precision@k of the scored rows, added to `metrics`. */
function withCardPrecision(
  metrics: Record<string, unknown>,
  options: EvaluateJobOptions,
  y: Float32Array,
  proba: Matrix,
  timeMs: ArrayLike<number>,
  cards: ArrayLike<string>,
): Record<string, unknown> {
  return { ...metrics, ...cardPrecisionMetrics(y, column(proba, 1), timeMs, cards, options.k ?? 100) };
}

/** Text of each of `rows` in a card column; a row without a card is an error naming it. */
function cardsOf(col: Column, rows: ArrayLike<number>, flag: string): string[] {
  const cards: string[] = [];
  for (let r = 0; r < rows.length; r++) {
    const text = cellText(col, rows[r] as number);
    if (text === null)
      throw new DataError('missing_card', `${flag} ${col.name}: row ${(rows[r] as number) + 1} has no card id`);
    cards.push(text);
  }
  return cards;
}

async function evaluate(model: ScoringModel, options: EvaluateJobOptions): Promise<EvaluateJobResult> {
  checkCardOptions(model, options);
  if (model.features !== undefined) return evaluateTransactions(model, options);
  const { manifest } = model;
  const { target } = manifest;
  const columns = [...manifest.inputSchema.columns];
  const add = (name: string, kind: Schema['columns'][number]['kind']) => {
    if (!columns.some((c) => c.name === name)) columns.push({ name, kind });
  };
  add(target.column, target.kind);
  if (options.split?.kind === 'column') add(options.split.column, 'categorical');
  if (options.split?.kind === 'time') {
    if (options.split.column === undefined)
      throw new ConfigError(
        'invalid_flag',
        `--test-from needs --time-column: ${model.dir} has no feature spec whose timestamp could be used`,
      );
    add(options.split.column, 'datetime');
  }
  if (options.cardColumn !== undefined || options.dayColumn !== undefined) {
    const header = await csvHeader(options.dataPath, options.delimiter);
    for (const [flag, name] of [
      ['--card-column', options.cardColumn],
      ['--time-column', options.dayColumn],
    ] as const)
      if (name !== undefined && !header.includes(name))
        throw new DataError(
          'missing_column',
          `${flag} ${name}: ${options.dataPath} has no column "${name}" (columns: ${header.join(', ')})`,
        );
  }
  if (options.cardColumn !== undefined) add(options.cardColumn, 'identifier');
  if (options.dayColumn !== undefined) add(options.dayColumn, 'datetime');
  const { table, fingerprint, warnings } = await readTable(options.dataPath, {
    schema: { columns },
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
  });

  const encoded = encodeTarget(table, target.column, {
    task: target.task,
    ...(target.positive !== undefined ? { positive: target.positive } : {}),
  });
  if (target.task !== 'regression') {
    const unknown = encoded.classes.filter((c) => !target.classes.includes(c));
    if (unknown.length > 0) {
      throw new DataError(
        'unknown_label',
        `target ${target.column} has value(s) the model was not trained on: ${unknown.join(', ')} (model classes: ${target.classes.join(', ')})`,
      );
    }
    // Re-encode with the model's class order (the data may lack a class or order it differently).
    const byLabel = new Map(encoded.classes.map((c, i) => [i, target.classes.indexOf(c)]));
    for (let r = 0; r < encoded.y.length; r++) {
      const v = encoded.y[r] as number;
      if (!Number.isNaN(v)) encoded.y[r] = byLabel.get(v) as number;
    }
  }

  const split = options.split;
  let rows =
    split?.kind === 'column'
      ? splitByColumn(table, split.column).testRows
      : split?.kind === 'time'
        ? timeSplit(table, split.column as string, split.testFrom).testRows
        : Int32Array.from({ length: table.nRows }, (_, i) => i);
  rows = rows.filter((r) => !Number.isNaN(encoded.y[r] as number));
  if (rows.length === 0) throw new DataError('no_rows', `${options.dataPath}: no labelled rows to evaluate`);
  if (encoded.missing > 0)
    warnings.push(`${encoded.missing} row(s) have no value for ${target.column}; they are left out`);

  // Preprocess only the rows measured (a test part can be a quarter of the file).
  const proba = await model.scoreTable(takeTableRows(table, rows));
  const y = takeValues(encoded.y, rows);
  let metrics = taskMetrics(target.task, y, proba, target.classes, manifest.threshold?.value, {
    anomaly: isAnomalyModel(manifest.model.kind),
  });
  if (options.cardColumn !== undefined && options.dayColumn !== undefined) {
    const dayCol = findColumn(table, options.dayColumn) as Column;
    if (dayCol.kind !== 'datetime')
      throw new DataError(
        'invalid_time_column',
        `--time-column ${options.dayColumn} is ${dayCol.kind}, not a date/time column (the bundle reads it so)`,
      );
    const timeMs = Float64Array.from(rows, (r) => dayCol.values[r] as number);
    const missing = timeMs.findIndex((t) => Number.isNaN(t));
    if (missing >= 0)
      throw new DataError(
        'missing_time',
        `--time-column ${options.dayColumn}: row ${(rows[missing] as number) + 1} has no date`,
      );
    const cards = cardsOf(findColumn(table, options.cardColumn) as Column, rows, '--card-column');
    metrics = withCardPrecision(metrics, options, y, proba, timeMs, cards);
  }
  return { model, metrics, y, proba, nRows: rows.length, dataFingerprint: fingerprint, warnings };
}

/** The card of each of `rows`: a column the spec maps is taken from the replayed transactions, any other is read from the file. */
async function transactionCards(
  model: ScoringModel,
  options: EvaluateJobOptions & { cardColumn: string },
  tx: TransactionColumns,
  rows: Int32Array,
): Promise<string[]> {
  const columns = model.features?.spec.columns ?? {};
  const mapped: (string | undefined)[] | undefined =
    options.cardColumn === columns.customerId
      ? tx.customerIds
      : options.cardColumn === columns.terminalId
        ? tx.terminalIds
        : options.cardColumn === columns.ipAddress
          ? tx.text.ipAddress
          : options.cardColumn === columns.deviceId
            ? tx.text.deviceId
            : undefined;
  if (mapped === undefined) {
    const col = await readExtraColumn(options.dataPath, options.cardColumn, 'identifier', tx.nRows, '--card-column');
    return cardsOf(col, rows, '--card-column');
  }
  return Array.from(rows, (r) => {
    const card = mapped[r];
    if (card === undefined)
      throw new DataError('missing_card', `--card-column ${options.cardColumn}: row ${r + 1} has no card id`);
    return card;
  });
}

/**
 * A spec bundle on raw events: the file is read with the recorded spec (labels required) and
 * replayed from an empty state; the rows of the split's test part (or all) are measured.
 */
async function evaluateTransactions(model: ScoringModel, options: EvaluateJobOptions): Promise<EvaluateJobResult> {
  const { manifest } = model;
  const spec = model.features?.spec as NonNullable<ScoringModel['features']>['spec'];
  if (options.delimiter !== undefined)
    throw new ConfigError(
      'invalid_flag',
      '--delimiter does not apply to a bundle with a feature spec: transaction files are read with a detected delimiter',
    );
  const split = options.split;
  if (
    split?.kind === 'time' &&
    split.column !== undefined &&
    split.column !== spec.columns.timestamp &&
    split.column !== 'timestamp'
  )
    throw new ConfigError(
      'invalid_flag',
      `--time-column ${split.column}: the bundle's feature spec reads time from ${spec.columns.timestamp} (or leave --time-column out)`,
    );
  const tx = await readTransactionsForModel(options.dataPath, model, { needLabels: true });
  const labels = Float32Array.from(tx.labels as Float64Array);
  let rows: Int32Array;
  if (split?.kind === 'time') rows = timeSplitRows(tx.timestampSeconds, split.testFrom).testRows;
  else if (split?.kind === 'column') {
    const col = await readExtraColumn(options.dataPath, split.column, 'categorical', tx.nRows, '--split-column');
    rows = splitByColumn({ nRows: tx.nRows, columns: [col] }, split.column).testRows;
  } else rows = Int32Array.from({ length: tx.nRows }, (_, i) => i);
  const proba = await model.scoreTransactions(tx, rows);
  const y = takeValues(labels, rows);
  let metrics = taskMetrics('binary', y, proba, manifest.target.classes, manifest.threshold?.value, {
    anomaly: isAnomalyModel(manifest.model.kind),
  });
  if (options.cardColumn !== undefined) {
    const cards = await transactionCards(model, { ...options, cardColumn: options.cardColumn }, tx, rows);
    const timeMs = Float64Array.from(rows, (r) => (tx.timestampSeconds[r] as number) * 1000);
    metrics = withCardPrecision(metrics, options, y, proba, timeMs, cards);
  }
  const dataFingerprint = await fingerprintFile(options.dataPath);
  return { model, metrics, y, proba, nRows: rows.length, dataFingerprint, warnings: [] };
}
