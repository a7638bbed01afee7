import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { readCsv, tableFromRecords } from '../data/index.js';
import { cellText, findColumn } from '../data/table.js';
import { ConfigError, DataError } from '../errors.js';
import { loadScoringModel, type ScoringEngine, type ScoringModel } from './scoring-model.js';
import { readTransactionsForModel, scoredRows } from './transactions-input.js';

export interface PredictJobOptions {
  modelDir: string;
  dataPath: string;
  outPath: string;
  /** Runtime for network models (default `'onnx'`; see loadScoringModel). */
  engine?: ScoringEngine;
  /** CSV delimiter; detected when omitted. */
  delimiter?: string;
  /** Rows scored per batch; bounds memory (default 8,192). */
  batchRows?: number;
  /**
   * Spec bundles: score only transactions at or after this date (ISO, UTC without a zone); the
   * earlier ones are replayed as history only. Default: every row is scored.
   */
  scoreFrom?: string;
  onProgress?: (rowsDone: number) => void;
}

export interface PredictJobResult {
  rows: number;
  elapsedMs: number;
  /** The runtime that scored the network(s); absent for a model without one (logistic). */
  engine?: ScoringEngine;
  /** Binary only: rows whose score reached the bundle threshold. */
  positives?: number;
  /** Spec bundles: rows replayed as history only (before `scoreFrom`). */
  history?: number;
}

/** Quotes a CSV field when it needs it (RFC 4180). */
function csvField(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * Scores a CSV file batch by batch and streams `id, score, decision` rows to `outPath`, so memory
 * stays flat however long the file. Binary: `score` is the positive-class probability and
 * `decision` the class label at the bundle's threshold; multiclass: the predicted class and one
 * probability column per class; regression: the prediction. The output appears under its final
 * name only when every row was scored.
 *
 * @example
 * await runPredictJob({ modelDir: 'models/pd', dataPath: 'applications.csv.gz', outPath: 'scores.csv' });
 */
export async function runPredictJob(options: PredictJobOptions): Promise<PredictJobResult> {
  const started = performance.now();
  const model = await loadScoringModel(options.modelDir, options.engine ? { engine: options.engine } : {});
  if (model.features !== undefined) {
    try {
      return await predictTransactions(model, options, started);
    } finally {
      model.dispose();
    }
  }
  if (options.scoreFrom !== undefined) {
    model.dispose();
    throw new ConfigError(
      'invalid_flag',
      `--score-from applies to bundles trained with --features; ${options.modelDir} scores each row on its own`,
    );
  }
  const { manifest } = model;
  const { task, classes } = manifest.target;
  const threshold = manifest.threshold?.value ?? 0.5;
  const partial = `${options.outPath}.partial-${process.pid}`;
  const out = createWriteStream(partial);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };

  let rows = 0;
  let positives = 0;
  let headerWritten = false;
  try {
    for await (const batch of readCsv(options.dataPath, {
      batchSize: options.batchRows ?? 8192,
      ...(options.delimiter ? { delimiter: options.delimiter } : {}),
    })) {
      const { table, issues, issueCount } = tableFromRecords(
        batch.header,
        batch.records,
        manifest.inputSchema,
        batch.lines,
      );
      if (issueCount > 0) {
        throw new DataError('invalid_data', `${options.dataPath}: ${issueCount} cell(s) could not be read`, { issues });
      }
      const idCol = manifest.idColumn ? findColumn(table, manifest.idColumn) : undefined;
      if (!headerWritten) {
        const idHeader = idCol ? [csvField(idCol.name)] : [];
        const outputs =
          task === 'binary'
            ? ['score', 'decision']
            : task === 'multiclass'
              ? ['predicted', ...classes.map((c) => csvField(`p_${c}`))]
              : ['prediction'];
        await write(`${[...idHeader, ...outputs].join(',')}\n`);
        headerWritten = true;
      }
      const proba = await model.scoreTable(table);
      const lines: string[] = [];
      for (let r = 0; r < table.nRows; r++) {
        const fields: string[] = idCol ? [csvField(cellText(idCol, r) ?? '')] : [];
        if (task === 'binary') {
          const p = proba.data[r * 2 + 1] as number;
          const positive = p >= threshold;
          if (positive) positives++;
          fields.push(p.toFixed(6), csvField(classes[positive ? 1 : 0] as string));
        } else if (task === 'multiclass') {
          let best = 0;
          for (let k = 1; k < proba.nCols; k++) {
            if ((proba.data[r * proba.nCols + k] as number) > (proba.data[r * proba.nCols + best] as number)) best = k;
          }
          fields.push(csvField(classes[best] as string));
          for (let k = 0; k < proba.nCols; k++) fields.push((proba.data[r * proba.nCols + k] as number).toFixed(6));
        } else {
          fields.push(String(proba.data[r] as number));
        }
        lines.push(fields.join(','));
      }
      await write(`${lines.join('\n')}\n`);
      rows += table.nRows;
      options.onProgress?.(rows);
    }
    out.end();
    await once(out, 'finish');
    await rename(partial, options.outPath);
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  } finally {
    model.dispose();
  }
  return {
    rows,
    elapsedMs: Math.round(performance.now() - started),
    ...(model.engine ? { engine: model.engine } : {}),
    ...(task === 'binary' ? { positives } : {}),
  };
}

/**
 * A spec bundle's predictions: the whole file is read through the recorded spec and replayed in
 * time order from an empty state (as training did), then the rows asked for are scored and written
 * in file order as `id` (the spec's transaction id column, when it maps one), `score`, `decision`.
 * Unlike table bundles this holds the file in memory: every row is history for later rows' windows.
 */
async function predictTransactions(
  model: ScoringModel,
  options: PredictJobOptions,
  started: number,
): Promise<PredictJobResult> {
  if (options.delimiter !== undefined)
    throw new ConfigError(
      'invalid_flag',
      '--delimiter does not apply to a bundle with a feature spec: transaction files are read with a detected delimiter',
    );
  const { manifest } = model;
  const tx = await readTransactionsForModel(options.dataPath, model, { needLabels: false });
  const rows = scoredRows(tx, options.scoreFrom);
  const proba = await model.scoreTransactions(tx, rows);
  const threshold = manifest.threshold?.value ?? 0.5;
  const { classes } = manifest.target;
  const idColumn = model.features?.spec.columns.id;
  const partial = `${options.outPath}.partial-${process.pid}`;
  const out = createWriteStream(partial);
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  let positives = 0;
  try {
    await write(`${[...(idColumn ? [csvField(idColumn)] : []), 'score', 'decision'].join(',')}\n`);
    for (let start = 0; start < rows.length; start += 8192) {
      const lines: string[] = [];
      for (let r = start; r < Math.min(rows.length, start + 8192); r++) {
        const p = proba.data[r * 2 + 1] as number;
        const positive = p >= threshold;
        if (positive) positives++;
        const fields = idColumn ? [csvField(tx.ids[rows[r] as number] as string)] : [];
        fields.push(p.toFixed(6), csvField(classes[positive ? 1 : 0] as string));
        lines.push(fields.join(','));
      }
      await write(`${lines.join('\n')}\n`);
      options.onProgress?.(Math.min(rows.length, start + 8192));
    }
    out.end();
    await once(out, 'finish');
    await rename(partial, options.outPath);
  } catch (error) {
    out.destroy();
    await rm(partial, { force: true });
    throw error;
  }
  return {
    rows: rows.length,
    elapsedMs: Math.round(performance.now() - started),
    ...(model.engine ? { engine: model.engine } : {}),
    positives,
    history: tx.nRows - rows.length,
  };
}
