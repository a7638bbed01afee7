import { ConfigError } from '../errors.js';
import { type FeatureSpec, loadFeatureSpec } from '../features/index.js';
import type { Task } from '../models/estimator.js';
import type { ModelKind } from '../models/index.js';
import type { AugmentOptions } from '../training/augment.js';
import { parseThresholdPolicy, runTrainJob, type SplitSpec, type TrainJobResult } from '../training/index.js';
import { parseFractionFlag, parseIntegerFlag } from './flags.js';
import { type CliIO, formatTable } from './output.js';
import { epochProgress } from './progress.js';

export interface TrainFlags {
  data: string;
  delimiter?: string;
  target: string;
  positive?: string;
  splitColumn?: string;
  testFraction?: string;
  timeColumn?: string;
  testFrom?: string;
  task?: Task;
  model: ModelKind;
  seed: string;
  epochs?: string;
  threads?: string;
  threshold: string;
  schema?: string;
  features?: string;
  sequenceKey?: string;
  sequenceLength?: string;
  augment?: string;
  augmentRatio?: string;
  out: string;
  json?: boolean;
  verbose?: boolean;
}

/** Parses `--augment KIND --augment-ratio R` (the ratio defaults to 1: the minority doubled). */
export function augmentFromFlags(flags: { augment?: string; augmentRatio?: string }): AugmentOptions | undefined {
  if (flags.augment === undefined) {
    if (flags.augmentRatio !== undefined) throw new ConfigError('invalid_flag', '--augment-ratio needs --augment KIND');
    return undefined;
  }
  const raw = flags.augmentRatio ?? '1';
  const ratio = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(ratio) || ratio <= 0 || ratio > 100)
    throw new ConfigError(
      'invalid_flag',
      `--augment-ratio must be a number above 0 and at most 100, got ${JSON.stringify(raw)}`,
    );
  return { kind: flags.augment, ratio };
}

/** Turns the three mutually exclusive split flags into one split, defaulting to a 25 % random test part. */
export function splitFromFlags(
  flags: Pick<TrainFlags, 'splitColumn' | 'testFraction' | 'timeColumn' | 'testFrom'>,
  /** The time column when --test-from comes alone (the feature spec's timestamp). */
  defaultTimeColumn?: string,
): SplitSpec {
  const given = [
    flags.splitColumn !== undefined,
    flags.testFraction !== undefined,
    flags.timeColumn !== undefined || flags.testFrom !== undefined,
  ];
  if (given.filter(Boolean).length > 1) {
    throw new ConfigError(
      'invalid_flag',
      'choose one split: --split-column, --test-fraction, or --time-column with --test-from',
    );
  }
  if (flags.splitColumn !== undefined) return { kind: 'column', column: flags.splitColumn };
  if (flags.timeColumn !== undefined || flags.testFrom !== undefined) {
    const timeColumn = flags.timeColumn ?? defaultTimeColumn;
    if (timeColumn === undefined || flags.testFrom === undefined) {
      throw new ConfigError('invalid_flag', '--time-column and --test-from go together');
    }
    if (Number.isNaN(Date.parse(flags.testFrom))) {
      throw new ConfigError(
        'invalid_flag',
        `--test-from must be a date like 2024-07-01, got ${JSON.stringify(flags.testFrom)}`,
      );
    }
    return { kind: 'time', column: timeColumn, testFrom: flags.testFrom };
  }
  return {
    kind: 'random',
    testFraction: flags.testFraction === undefined ? 0.25 : parseFractionFlag('--test-fraction', flags.testFraction),
  };
}

/** Loads a `--features`/`--spec` value; an unknown name is a bad flag (exit 2), named as such. */
export function featureSpecFlag(flag: string, value: string): FeatureSpec {
  try {
    return loadFeatureSpec(value);
  } catch (error) {
    if (error instanceof ConfigError && error.code === 'unknown_feature_spec')
      throw new ConfigError('invalid_flag', `${flag}: ${error.message}`, { cause: error });
    throw error;
  }
}

/** The metrics table printed after training and evaluation. */
export function metricsTable(metrics: Record<string, unknown>): string {
  const order = [
    'auc',
    'ks',
    'gini',
    'ap',
    'cpAtK',
    'brier',
    'logLoss',
    'threshold',
    'precision',
    'recall',
    'f1',
    'accuracy',
    'macroF1',
    'mse',
    'mae',
    'r2',
    'nRows',
  ];
  const rows: [string, number][] = [];
  for (const key of order) {
    const value = metrics[key];
    if (typeof value === 'number') rows.push([key === 'cpAtK' ? `cp@${String(metrics.k)}` : key, value]);
  }
  return formatTable(['metric', 'value'], rows);
}

export async function runTrainCommand(flags: TrainFlags, io: CliIO): Promise<void> {
  const spec = flags.features === undefined ? undefined : featureSpecFlag('--features', flags.features);
  if (spec === undefined) {
    for (const [flag, value] of [
      ['--sequence-key', flags.sequenceKey],
      ['--sequence-length', flags.sequenceLength],
    ] as const)
      if (value !== undefined)
        throw new ConfigError(
          'invalid_flag',
          `${flag} needs --features SPEC: sequences are built from replayed transactions`,
        );
  }
  const split = splitFromFlags(flags, spec?.columns.timestamp);
  const sequenceLength =
    flags.sequenceLength === undefined
      ? undefined
      : parseIntegerFlag('--sequence-length', flags.sequenceLength, { min: 1, max: 256 });
  const seed = parseIntegerFlag('--seed', flags.seed, { min: 0 });
  const epochs = flags.epochs === undefined ? undefined : parseIntegerFlag('--epochs', flags.epochs, { min: 1 });
  const threads = flags.threads === undefined ? undefined : parseIntegerFlag('--threads', flags.threads, { min: 1 });
  const thresholdPolicy = parseThresholdPolicy(flags.threshold);
  const augment = augmentFromFlags(flags);
  const progress = epochProgress(io, epochs ?? 200, Boolean(flags.verbose));
  let result: TrainJobResult;
  try {
    result = await runTrainJob({
      dataPath: flags.data,
      delimiter: flags.delimiter,
      target: flags.target,
      positive: flags.positive,
      task: flags.task,
      model: flags.model,
      split,
      seed,
      epochs,
      threads,
      outDir: flags.out,
      schemaPath: flags.schema,
      thresholdPolicy,
      ...(augment ? { augment } : {}),
      ...(spec ? { features: { spec, sequenceKey: flags.sequenceKey, sequenceLength } } : {}),
      onEpochEnd: progress.onEpochEnd,
      onStage: (stage) => {
        if (flags.verbose) io.stderr(`${stage}…\n`);
      },
    });
  } finally {
    progress.stop();
  }
  for (const warning of result.warnings) io.stderr(`vigil: warning: ${warning}\n`);
  if (flags.json) {
    io.stdout(
      `${JSON.stringify({
        bundle: result.bundleDir,
        task: result.manifest.target.task,
        model: result.manifest.model.kind,
        ...(result.manifest.features
          ? {
              features: {
                spec: result.manifest.features.spec.name,
                specSha256: result.manifest.features.specSha256,
                input: result.manifest.features.input,
                ...(result.manifest.features.sequence ? { sequence: result.manifest.features.sequence } : {}),
              },
            }
          : {}),
        metrics: result.metrics,
        validationMetrics: result.validationMetrics,
        threshold: result.manifest.threshold?.value,
        epochs: result.epochs,
        nFeatures: result.nFeatures,
        trainRows: result.manifest.data.trainRows,
        testRows: result.manifest.data.testRows,
        ...(result.augmentation ? { augmentation: result.augmentation } : {}),
        timingsMs: result.timingsMs,
        warnings: result.warnings,
      })}\n`,
    );
    return;
  }
  const { data } = result.manifest;
  const record = result.manifest.features;
  const inputs =
    record === undefined
      ? `${result.nFeatures} features`
      : record.sequence
        ? `sequences of ${record.sequence.steps} × ${record.sequence.features.length} features of '${record.spec.name}' by ${record.sequence.key}`
        : `${result.nFeatures} features of '${record.spec.name}'`;
  io.stdout(
    `Trained ${result.manifest.model.kind} (${result.manifest.target.task}) on ${data.trainRows} rows, ${inputs}, ` +
      `${result.epochs} epoch(s) in ${(result.timingsMs.totalMs ?? 0) / 1000}s\n`,
  );
  if (result.augmentation) {
    const a = result.augmentation;
    io.stdout(
      `Augmented with ${a.kind}: ${a.rowsAdded} synthetic rows of class ${a.minorityClass} added to the ${a.minorityRows} real ones the model was fitted on (validation and test rows are real)\n`,
    );
  }
  const hasTest = Object.keys(result.metrics).length > 0;
  io.stdout(`\n${hasTest ? `Test metrics (${data.testRows} rows)` : 'Validation metrics'}:\n`);
  io.stdout(`${metricsTable(hasTest ? result.metrics : result.validationMetrics)}\n`);
  io.stdout(`\nBundle written to ${result.bundleDir}\n`);
}
