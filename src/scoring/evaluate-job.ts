import { readTable, splitByColumn, takeTableRows, timeSplit } from '../data/index.js';
import type { Schema } from '../data/table.js';
import { DataError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { takeValues } from '../matrix.js';
import { encodeTarget, taskMetrics } from '../training/index.js';
import { loadScoringModel, type ScoringEngine, type ScoringModel } from './scoring-model.js';

export interface EvaluateJobOptions {
  modelDir: string;
  dataPath: string;
  /** Runtime for network models (default `'onnx'`; see loadScoringModel). */
  engine?: ScoringEngine;
  /** CSV delimiter; detected when omitted. */
  delimiter?: string;
  /** Evaluate only the test part of this split (a truthy column, or rows from a date on). */
  split?: { kind: 'column'; column: string } | { kind: 'time'; column: string; testFrom: string };
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

async function evaluate(model: ScoringModel, options: EvaluateJobOptions): Promise<EvaluateJobResult> {
  const { manifest } = model;
  const { target } = manifest;
  const columns = [...manifest.inputSchema.columns];
  const add = (name: string, kind: Schema['columns'][number]['kind']) => {
    if (!columns.some((c) => c.name === name)) columns.push({ name, kind });
  };
  add(target.column, target.kind);
  if (options.split?.kind === 'column') add(options.split.column, 'categorical');
  if (options.split?.kind === 'time') add(options.split.column, 'datetime');
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
        ? timeSplit(table, split.column, split.testFrom).testRows
        : Int32Array.from({ length: table.nRows }, (_, i) => i);
  rows = rows.filter((r) => !Number.isNaN(encoded.y[r] as number));
  if (rows.length === 0) throw new DataError('no_rows', `${options.dataPath}: no labelled rows to evaluate`);
  if (encoded.missing > 0)
    warnings.push(`${encoded.missing} row(s) have no value for ${target.column}; they are left out`);

  // Preprocess only the rows measured (a test part can be a quarter of the file).
  const proba = await model.scoreTable(takeTableRows(table, rows));
  const y = takeValues(encoded.y, rows);
  const metrics = taskMetrics(target.task, y, proba, target.classes, manifest.threshold?.value);
  return { model, metrics, y, proba, nRows: rows.length, dataFingerprint: fingerprint, warnings };
}
