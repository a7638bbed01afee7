import { basename } from 'node:path';
import { checkBundleTarget, writeBundle } from '../bundle/index.js';
import { fingerprintFile, splitByColumn, stratifiedSplit } from '../data/index.js';
import type { ColumnSchema } from '../data/table.js';
import { runtimeVersions } from '../engine/index.js';
import { ConfigError } from '../errors.js';
import { type EventField, type FeatureSpec, featureSpecSha256, transactionsFromCsv } from '../features/index.js';
import { takeValues } from '../matrix.js';
import { augmentFitRows, checkAugmentOptions } from './augment.js';
import {
  type FeatureStandardisationState,
  featureSpecRecord,
  featureTable,
  fitFeatureStandardisation,
  isSequenceModel,
  modelInput,
  type RawSequencesState,
  readExtraColumn,
  replayForModel,
  standardisedFeatures,
  tableFeatures,
  timeSplitRows,
  withSequence,
} from './feature-inputs.js';
import { fitAndMeasure } from './fit-and-measure.js';
import { cardPrecisionMetrics } from './task-metrics.js';
import type { FeatureTrainOptions, TrainJobOptions, TrainJobResult } from './train-job-options.js';
import { VIGIL_VERSION } from './version.js';

/** The kind each mapped event field is read as, for the bundle's input schema. */
const FIELD_KINDS: Record<EventField, ColumnSchema['kind']> = {
  id: 'identifier',
  timestamp: 'datetime',
  customerId: 'identifier',
  terminalId: 'identifier',
  amount: 'numeric',
  label: 'numeric',
  channel: 'categorical',
  country: 'categorical',
  currency: 'categorical',
  latitude: 'numeric',
  longitude: 'numeric',
  ipAddress: 'identifier',
  deviceId: 'identifier',
};

/**
 * The spec a model trains on, checked against the flags: the target is the spec's label column
 * (mapped to it when the spec maps none), and sequence models get the spec's sequence with the
 * chosen key and length.
 *
 * @throws ConfigError `invalid_flag` naming the flag that does not fit the spec
 */
export function trainingSpec(options: TrainJobOptions & { features: FeatureTrainOptions }): FeatureSpec {
  const { spec } = options.features;
  const flag = (name: string, why: string) => new ConfigError('invalid_flag', `${name} ${why}`);
  if (options.task !== undefined && options.task !== 'binary')
    throw flag('--task', `${options.task}: models on transaction features (--features) are binary (fraud or not)`);
  if (options.positive !== undefined && options.positive !== '1')
    throw flag('--positive', `${options.positive}: with --features the label is read as 0/1 and 1 is fraud`);
  if (options.schemaPath !== undefined)
    throw flag('--schema', 'does not apply with --features: the feature spec maps the columns');
  if (options.delimiter !== undefined)
    throw flag('--delimiter', 'does not apply with --features: transaction files are read with a detected delimiter');
  const label = spec.columns.label;
  if (label !== undefined && label !== options.target)
    throw flag(
      '--target',
      `${options.target}: the feature spec '${spec.name}' reads labels from column ${label}; use --target ${label}`,
    );
  const mapped = Object.entries(spec.columns).find(([field, column]) => field !== 'label' && column === options.target);
  if (mapped !== undefined)
    throw flag('--target', `${options.target}: the feature spec '${spec.name}' reads that column as ${mapped[0]}`);
  const labelled: FeatureSpec =
    label === undefined ? { ...spec, columns: { ...spec.columns, label: options.target } } : spec;
  const { sequenceKey, sequenceLength } = options.features;
  if (isSequenceModel(options.model)) return withSequence(labelled, { key: sequenceKey, previous: sequenceLength });
  if (sequenceKey !== undefined || sequenceLength !== undefined)
    throw flag(
      sequenceKey !== undefined ? '--sequence-key' : '--sequence-length',
      `applies to the sequence models (cnn, lstm, lstm-attention), not --model ${options.model}`,
    );
  return labelled;
}

/**
 * `vigil train --features SPEC`: reads raw transactions through the spec's column mapping,
 * replays them in time order through the feature executor (every row, so each window sees the
 * history before it), splits, and trains on each transaction's features (logistic, mlp, ensemble,
 * autoencoder; standardised on the training rows) or on sequences of the customer's previous
 * transactions (cnn, lstm, lstm-attention; scaled inside the model). The bundle records the
 * resolved spec, its sha256 and the sequence settings, so `vigil predict` computes the same
 * features from raw events. Test metrics include Card Precision@k by UTC day and customer.
 * `runTrainJob` calls it when given `features`.
 *
 * @example
 * const result = await runTrainJob({ dataPath: 'transactions.csv.gz', target: 'TX_FRAUD', model: 'lstm',
 *   split: { kind: 'time', column: 'TX_DATETIME', testFrom: '2018-08-08' }, seed: 1, outDir: 'models/fraud',
 *   features: { spec: loadFeatureSpec('fraud-handbook'), sequenceLength: 5 } });
 */
export async function runFeatureTrainJob(
  options: TrainJobOptions & { features: FeatureTrainOptions },
): Promise<TrainJobResult> {
  const spec = trainingSpec(options);
  if (options.augment !== undefined) {
    checkAugmentOptions(options.augment, options.model);
    if (isSequenceModel(options.model))
      throw new ConfigError(
        'invalid_flag',
        `--augment makes single rows of features; --model ${options.model} reads sequences of transactions, which it cannot synthesize`,
      );
  }
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
  const warnings: string[] = [];

  stage(`reading transactions through '${spec.name}'`);
  const tx = await transactionsFromCsv(options.dataPath, spec);
  const fingerprint = await fingerprintFile(options.dataPath);
  const y = Float32Array.from(tx.labels as Float64Array);
  lap('readMs');

  const split = options.split;
  let parts: { trainRows: Int32Array; testRows: Int32Array };
  if (split.kind === 'time') {
    if (split.column !== spec.columns.timestamp && split.column !== 'timestamp')
      throw new ConfigError(
        'invalid_flag',
        `--time-column ${split.column}: with --features the time is the spec's timestamp column ${spec.columns.timestamp} (or leave --time-column out)`,
      );
    parts = timeSplitRows(tx.timestampSeconds, split.testFrom);
  } else if (split.kind === 'column') {
    const column = await readExtraColumn(options.dataPath, split.column, 'categorical', tx.nRows, '--split-column');
    parts = splitByColumn({ nRows: tx.nRows, columns: [column] }, split.column);
  } else {
    parts = stratifiedSplit(y, split.testFraction, options.seed);
    warnings.push(
      'a random split mixes the same days into training and test; --test-from DATE tests out of time, as the model will be used',
    );
  }
  const { trainRows, testRows } = parts;

  stage(`replaying ${tx.nRows} transactions`);
  const sequences = isSequenceModel(options.model);
  const record = featureSpecRecord(spec, sequences ? 'sequences' : 'features', featureSpecSha256(spec));
  const allRows = Int32Array.from({ length: tx.nRows }, (_, i) => i);
  const replay = replayForModel(record, tx, allRows);
  const preprocessing = sequences
    ? ({ kind: 'raw-sequences', version: 1 } satisfies RawSequencesState)
    : fitFeatureStandardisation(replay.features, replay.featureNames, trainRows);
  lap('replayMs');

  stage('training');
  const fitted = await fitAndMeasure({
    model: options.model,
    task: 'binary',
    classes: ['0', '1'],
    y,
    trainRows,
    testRows,
    inputs: (rows) => modelInput(record, preprocessing, replay, rows),
    inputParams: record.sequence ? { sequenceLength: record.sequence.steps } : {},
    seed: options.seed,
    epochs: options.epochs,
    threads: options.threads,
    modelParams: options.modelParams,
    thresholdPolicy: options.thresholdPolicy,
    validationFraction: options.validationFraction,
    onEpochEnd: options.onEpochEnd,
    ...(options.augment !== undefined && !sequences
      ? {
          // The replayed features of the fitted rows are the table synthesized; the synthetic rows are
          // standardised like the real ones.
          augment: (fitRows: Int32Array) =>
            augmentFitRows(
              featureTable(replay.features, replay.featureNames, fitRows),
              takeValues(y, fitRows),
              ['0', '1'],
              Int32Array.from({ length: fitRows.length }, (_, i) => i),
              { ...(options.augment as NonNullable<typeof options.augment>), seed: options.seed },
              (synthetic) =>
                standardisedFeatures(
                  preprocessing as FeatureStandardisationState,
                  tableFeatures(synthetic, replay.featureNames),
                  Int32Array.from({ length: synthetic.nRows }, (_, i) => i),
                ),
            ),
        }
      : {}),
  });
  const { estimator, threshold, validationMetrics, validationFraction, augmentation } = fitted;
  warnings.push(...fitted.warnings);
  let metrics = fitted.metrics;
  if (fitted.testScores !== undefined) {
    const times = Float64Array.from(testRows, (i) => (tx.timestampSeconds[i] as number) * 1000);
    const cards = Array.from(testRows, (i) => tx.customerIds[i] as string);
    const k = options.features.cardK ?? 100;
    metrics = { ...metrics, ...cardPrecisionMetrics(takeValues(y, testRows), fitted.testScores, times, cards, k) };
  }
  lap('fitMs');

  stage('writing bundle');
  const inputSchema = {
    columns: (Object.entries(spec.columns) as [EventField, string][])
      .filter(([field]) => field !== 'label')
      .map(([field, name]) => ({ name, kind: FIELD_KINDS[field] })),
  };
  const manifest = await writeBundle(
    options.outDir,
    {
      createdAt: new Date().toISOString(),
      inputSchema,
      ...(spec.columns.id !== undefined ? { idColumn: spec.columns.id } : {}),
      features: record,
      target: { column: options.target, kind: 'numeric', task: 'binary', classes: ['0', '1'], positive: '1' },
      preprocessing,
      model: estimator.toJSON(),
      ...(threshold ? { threshold: { value: threshold.value, policy: { ...threshold.policy } } } : {}),
      metrics: { test: metrics, validation: validationMetrics, epochs: estimator.history.length },
      data: {
        fingerprint,
        file: basename(options.dataPath),
        nRows: tx.nRows,
        trainRows: trainRows.length,
        testRows: testRows.length,
        split: { ...split, validationFraction, seed: options.seed },
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
    nFeatures: record.featureNames.length,
    epochs: estimator.history.length,
    ...(augmentation ? { augmentation } : {}),
  };
}
