import { basename } from 'node:path';
import { checkBundleTarget, writeBundle } from '../bundle/index.js';
import { readSchemaFile, readTable, splitByColumn, stratifiedSplit, timeSplit } from '../data/index.js';
import { findColumn, type Schema, type Table } from '../data/table.js';
import { runtimeVersions } from '../engine/index.js';
import { ConfigError, DataError } from '../errors.js';
import type { ThresholdPolicy } from '../evaluation/index.js';
import { takeRows } from '../matrix.js';
import type { Task } from '../models/estimator.js';
import { TabularPipeline } from '../preprocessing/index.js';
import { augmentFitRows, checkAugmentOptions } from './augment.js';
import { isSequenceModel } from './feature-inputs.js';
import { runFeatureTrainJob } from './feature-train-job.js';
import { fitAndMeasure } from './fit-and-measure.js';
import { encodeTarget } from './target.js';
import type { SplitSpec, TrainJobOptions, TrainJobResult } from './train-job-options.js';
import { VIGIL_VERSION } from './version.js';

function splitRows(table: Table, split: SplitSpec, y: Float32Array, task: Task, seed: number) {
  switch (split.kind) {
    case 'column':
      return splitByColumn(table, split.column);
    case 'time':
      return timeSplit(table, split.column, split.testFrom);
    case 'random':
      // Stratify classification targets so the test part keeps the class balance.
      return stratifiedSplit(task === 'regression' ? new Float32Array(y.length) : y, split.testFraction, seed);
  }
}

/** Rows whose target is known. */
function withTarget(rows: Int32Array, y: Float32Array): Int32Array {
  return rows.filter((r) => !Number.isNaN(y[r] as number));
}

/**
 * Trains a model end to end: read and validate the file, split, fit preprocessing on the
 * training part only, fit the model with early stopping on a validation slice of the training
 * part, choose the decision threshold on that slice, measure on the test part, write the bundle.
 *
 * @example
 * const result = await runTrainJob({ dataPath: 'loans.csv', target: 'default', model: 'mlp',
 *   split: { kind: 'random', testFraction: 0.25 }, seed: 1, outDir: 'models/pd' });
 */
export async function runTrainJob(options: TrainJobOptions): Promise<TrainJobResult> {
  if (options.augment !== undefined) checkAugmentOptions(options.augment, options.model);
  if (options.features !== undefined) return runFeatureTrainJob({ ...options, features: options.features });
  if (isSequenceModel(options.model))
    throw new ConfigError(
      'invalid_flag',
      `--model ${options.model} reads sequences of each customer's transactions: give --features SPEC (e.g. fraud-handbook) to replay raw transactions into them`,
    );
  // Before any work: a bundle replaces its directory whole, so --out must be new or a bundle.
  await checkBundleTarget(options.outDir);
  const timingsMs: Record<string, number> = {};
  const started = performance.now();
  let mark = started;
  const lap = (name: string) => {
    const now = performance.now();
    timingsMs[name] = Math.round(now - mark);
    mark = now;
  };
  const stage = options.onStage ?? (() => {});

  stage('reading data');
  const overrides = options.schemaPath ? await readSchemaFile(options.schemaPath) : undefined;
  const loaded = await readTable(options.dataPath, {
    overrides,
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
  });
  const { table } = loaded;
  const warnings = [...loaded.warnings];
  lap('readMs');

  const target = encodeTarget(table, options.target, { task: options.task, positive: options.positive });
  if (target.missing > 0)
    warnings.push(`${target.missing} row(s) have no value for target ${options.target}; they are left out`);
  const task = target.task;

  const splitColumn = options.split.kind === 'random' ? undefined : options.split.column;
  if (splitColumn !== undefined && !findColumn(table, splitColumn)) {
    throw new DataError('unknown_split_column', `split column ${JSON.stringify(splitColumn)} is not in the data`);
  }
  const { trainRows: rawTrain, testRows: rawTest } = splitRows(table, options.split, target.y, task, options.seed);
  const trainRows = withTarget(rawTrain, target.y);
  const testRows = withTarget(rawTest, target.y);
  if (trainRows.length === 0)
    throw new DataError('empty_training_part', 'the split left no training rows with a target value');

  stage('preprocessing');
  const exclude = [options.target, ...(splitColumn ? [splitColumn] : [])];
  const pipeline = new TabularPipeline({ exclude });
  pipeline.fit(table, trainRows);
  warnings.push(...pipeline.warnings);
  const x = pipeline.transform(table);
  lap('preprocessMs');

  stage('training');
  const fitted = await fitAndMeasure({
    model: options.model,
    task,
    classes: target.classes,
    y: target.y,
    trainRows,
    testRows,
    inputs: (rows) => takeRows(x, rows),
    seed: options.seed,
    epochs: options.epochs,
    threads: options.threads,
    modelParams: options.modelParams,
    thresholdPolicy: options.thresholdPolicy,
    validationFraction: options.validationFraction,
    onEpochEnd: options.onEpochEnd,
    ...(options.augment !== undefined
      ? {
          augment: (fitRows: Int32Array) =>
            augmentFitRows(
              { nRows: table.nRows, columns: pipeline.inputColumns.map((c) => findColumn(table, c.name)!) },
              target.y,
              target.classes,
              fitRows,
              { ...options.augment!, seed: options.seed },
              (synthetic) => pipeline.transform(synthetic),
            ),
        }
      : {}),
  });
  const { estimator, threshold, metrics, validationMetrics, validationFraction, augmentation } = fitted;
  warnings.push(...fitted.warnings);
  lap('fitMs');

  stage('writing bundle');
  const inputSchema: Schema = { columns: pipeline.inputColumns };
  const idColumn = table.columns.find((c) => c.kind === 'identifier')?.name;
  if (idColumn && !inputSchema.columns.some((c) => c.name === idColumn)) {
    inputSchema.columns.push({ name: idColumn, kind: 'identifier' });
  }
  const manifest = await writeBundle(
    options.outDir,
    {
      createdAt: new Date().toISOString(),
      inputSchema,
      ...(idColumn ? { idColumn } : {}),
      target: {
        column: options.target,
        kind: findColumn(table, options.target)!.kind,
        task,
        classes: target.classes,
        ...(target.positive !== undefined ? { positive: target.positive } : {}),
      },
      preprocessing: pipeline.toJSON(),
      model: estimator.toJSON(),
      ...(threshold ? { threshold: { value: threshold.value, policy: { ...threshold.policy } } } : {}),
      metrics: { test: metrics, validation: validationMetrics, epochs: estimator.history.length },
      data: {
        fingerprint: loaded.fingerprint,
        file: basename(options.dataPath),
        nRows: table.nRows,
        trainRows: trainRows.length,
        testRows: testRows.length,
        split: { ...options.split, validationFraction, seed: options.seed },
        ...(augmentation ? { augmentation: { ...augmentation } } : {}),
      },
      versions: { vigil: VIGIL_VERSION, ...runtimeVersions() },
    },
    estimator.getWeights(),
  );
  lap('writeMs');
  timingsMs.totalMs = Math.round(performance.now() - started);
  return {
    bundleDir: options.outDir,
    manifest,
    metrics,
    validationMetrics,
    warnings,
    timingsMs,
    nFeatures: x.nCols,
    epochs: estimator.history.length,
    ...(augmentation ? { augmentation } : {}),
  };
}

/** Parses `--threshold` values: `max-f1`, `recall:0.8`, `cost:FP:FN`. */
export function parseThresholdPolicy(raw: string): ThresholdPolicy {
  const [kind, a, b] = raw.split(':');
  if (kind === 'max-f1' && a === undefined) return { kind: 'max-f1' };
  if (kind === 'recall' && a !== undefined && b === undefined) {
    const target = Number(a);
    if (target > 0 && target <= 1) return { kind: 'recall', target };
  }
  if (kind === 'cost' && a !== undefined && b !== undefined) {
    const falsePositiveCost = Number(a);
    const falseNegativeCost = Number(b);
    if (falsePositiveCost >= 0 && falseNegativeCost >= 0) return { kind: 'cost', falsePositiveCost, falseNegativeCost };
  }
  throw new ConfigError(
    'invalid_flag',
    `--threshold must be max-f1, recall:R (0 < R ≤ 1) or cost:FP:FN, got ${JSON.stringify(raw)}`,
  );
}
