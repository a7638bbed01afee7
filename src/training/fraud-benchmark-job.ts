import { ConfigError } from '../errors.js';
import { builtinFeatureSpec, type FeatureSpec, replayTransactions, transactionsFromCsv } from '../features/index.js';
import { fraudMetrics, handbookSplit } from '../fraud/index.js';
import { createEstimator, type Estimator, MODEL_KINDS, type ModelKind } from '../models/index.js';
import { type AugmentationRecord, type AugmentOptions, augmentFitRows, checkAugmentOptions } from './augment.js';
import {
  featureTable,
  fitFeatureStandardisation,
  isSequenceModel,
  sequenceMatrix,
  standardisedFeatures,
  tableFeatures,
  withSequence,
} from './feature-inputs.js';

/** The models `vigil benchmark fraud` compares, in table order. */
export const FRAUD_BENCHMARK_MODELS = [
  'logistic',
  'mlp',
  'ensemble',
  'cnn',
  'lstm',
  'lstm-attention',
  'autoencoder',
] as const;
export type FraudBenchmarkModel = (typeof FRAUD_BENCHMARK_MODELS)[number];

export interface FraudBenchmarkOptions {
  dataPath: string;
  /** A feature spec (default: the built-in fraud-handbook). It needs a label column. */
  spec?: FeatureSpec;
  models?: readonly FraudBenchmarkModel[];
  seeds?: readonly number[];
  /** First day of the training week (default 2018-07-25, the handbook's). */
  trainStart?: string;
  trainDays?: number;
  delayDays?: number;
  testDays?: number;
  /** Earlier transactions per sequence row (default: the spec's `sequence.length`, else 5). */
  sequenceLength?: number;
  /** Card Precision@k's k (default 100). */
  k?: number;
  /** Extra hyper-parameters per model, merged over the benchmark's. */
  modelParams?: Partial<Record<FraudBenchmarkModel, Record<string, unknown>>>;
  /**
   * Add synthetic fraud rows, made from the training week's frauds, to the replayed feature rows
   * each per-transaction model is fitted on (seeded per seed); the test week stays real. Sequence
   * models and the autoencoder (which fits on ordinary rows) are refused.
   */
  augment?: AugmentOptions;
  onStage?: (stage: string) => void;
}

/** One model's figures: the mean over seeds, and each seed's. */
export interface FraudModelResult {
  auc: number;
  ap: number;
  cpAt100: number;
  trainSeconds: number;
  perSeed: { seed: number; auc: number; ap: number; cpAt100: number; trainSeconds: number }[];
  /** With `augment`: what was added (the first seed's; every seed adds as many rows). */
  augmentation?: AugmentationRecord;
}

export interface FraudBenchmarkResult {
  models: Partial<Record<FraudBenchmarkModel, FraudModelResult>>;
  /** Transactions per second of the feature replay (parsing excluded). */
  featureRowsPerSec: number;
  data: {
    transactions: number;
    features: string[];
    trainRows: number;
    trainFrauds: number;
    testRows: number;
    testFrauds: number;
  };
}

/**
 * The fraud handbook's protocol for several models: replay the transactions through the feature
 * spec (with sequences of each customer's previous transactions), train on one week, skip the
 * delay, and score the test week with already-compromised cards removed; AUC, average precision
 * and Card Precision@k per model, averaged over seeds.
 */
export async function runFraudBenchmarkJob(options: FraudBenchmarkOptions): Promise<FraudBenchmarkResult> {
  const available = (m: string) => (MODEL_KINDS as readonly string[]).includes(m);
  const models = options.models ?? FRAUD_BENCHMARK_MODELS.filter(available);
  const missing = models.filter((m) => !available(m));
  if (missing.length > 0)
    throw new ConfigError('unknown_model', `model(s) not available in this build: ${missing.join(', ')}`);
  if (options.augment !== undefined) {
    checkAugmentOptions(options.augment);
    const refused = models.filter((m) => isSequenceModel(m) || m === 'autoencoder');
    if (refused.length > 0)
      throw new ConfigError(
        'invalid_flag',
        `--augment makes single rows of features for classifiers; leave out ${refused.join(', ')} (--models logistic,mlp,ensemble)`,
      );
  }
  const seeds = options.seeds ?? [1, 2, 3];
  const stage = options.onStage ?? (() => {});
  const base = options.spec ?? builtinFeatureSpec('fraud-handbook');
  if (base.columns.label === undefined)
    throw new ConfigError('no_label', `feature spec '${base.name}' maps no label column: the benchmark needs labels`);
  const spec: FeatureSpec = withSequence(base, { previous: options.sequenceLength });
  stage(`reading ${options.dataPath}`);
  const tx = await transactionsFromCsv(options.dataPath, spec);
  const labels = tx.labels as Float64Array;
  const split = handbookSplit(
    { timestampSeconds: tx.timestampSeconds, customer: tx.customerIds, label: Float32Array.from(labels) },
    {
      trainStart: options.trainStart ?? '2018-07-25',
      trainDays: options.trainDays ?? 7,
      delayDays: options.delayDays ?? 7,
      testDays: options.testDays ?? 7,
    },
  );
  const used = Int32Array.from([...split.train, ...split.test]).sort();
  stage(`replaying ${tx.nRows} transactions through '${spec.name}'`);
  const replayStart = performance.now();
  const replay = replayTransactions(spec, tx, { sequenceRows: used });
  const featureRowsPerSec = tx.nRows / ((performance.now() - replayStart) / 1000);
  const sequenceSlot = new Int32Array(tx.nRows).fill(-1);
  used.forEach((row, slot) => {
    sequenceSlot[row] = slot;
  });
  const yOf = (rows: Int32Array) => Float32Array.from(rows, (i) => labels[i] as number);
  const yTrain = yOf(split.train);
  const yTest = yOf(split.test);
  const scaling = fitFeatureStandardisation(replay.features, replay.featureNames, split.train);
  const xTrain = standardisedFeatures(scaling, replay.features, split.train);
  const xTest = standardisedFeatures(scaling, replay.features, split.test);
  const sequences = { ...replay, sequenceSlot };
  const sTrain = sequenceMatrix(sequences, split.train);
  const sTest = sequenceMatrix(sequences, split.test);
  const testCards = split.test.reduce<string[]>((cards, i) => {
    cards.push(tx.customerIds[i] as string);
    return cards;
  }, []);

  const results: Partial<Record<FraudBenchmarkModel, FraudModelResult>> = {};
  for (const kind of models) {
    const perSeed: FraudModelResult['perSeed'] = [];
    let augmentation: AugmentationRecord | undefined;
    for (const seed of seeds) {
      stage(`${kind}, seed ${seed}`);
      const params = {
        task: 'binary' as const,
        seed,
        ...(isSequenceModel(kind) ? { sequenceLength: replay.executor.sequenceLength + 1 } : {}),
        ...options.modelParams?.[kind],
      };
      const model: Estimator = createEstimator(kind as ModelKind, params);
      const sequence = isSequenceModel(kind);
      let x = sequence ? sTrain : xTrain;
      let y = yTrain;
      if (options.augment !== undefined) {
        const extra = await augmentFitRows(
          featureTable(replay.features, replay.featureNames, split.train),
          yTrain,
          ['0', '1'],
          Int32Array.from({ length: split.train.length }, (_, i) => i),
          { ...options.augment, seed },
          (synthetic) =>
            standardisedFeatures(
              scaling,
              tableFeatures(synthetic, replay.featureNames),
              Int32Array.from({ length: synthetic.nRows }, (_, i) => i),
            ),
        );
        augmentation ??= extra.record;
        const data = new Float32Array((x.nRows + extra.x.nRows) * x.nCols);
        data.set(x.data);
        data.set(extra.x.data, x.data.length);
        x = { data, nRows: x.nRows + extra.x.nRows, nCols: x.nCols };
        y = new Float32Array(yTrain.length + extra.y.length);
        y.set(yTrain);
        y.set(extra.y, yTrain.length);
      }
      const start = performance.now();
      await model.fit(x, y);
      const trainSeconds = (performance.now() - start) / 1000;
      const proba = await model.predictProba(sequence ? sTest : xTest);
      const score = new Float32Array(proba.nRows);
      for (let r = 0; r < proba.nRows; r++) score[r] = proba.data[r * proba.nCols + proba.nCols - 1] as number;
      const m = fraudMetrics(yTest, score, split.testDay, testCards, { k: options.k ?? 100 });
      perSeed.push({ seed, auc: m.auc, ap: m.ap, cpAt100: m.cpAtK, trainSeconds });
    }
    const mean = (key: 'auc' | 'ap' | 'cpAt100' | 'trainSeconds') =>
      perSeed.reduce((s, r) => s + r[key], 0) / perSeed.length;
    results[kind] = {
      auc: mean('auc'),
      ap: mean('ap'),
      cpAt100: mean('cpAt100'),
      trainSeconds: mean('trainSeconds'),
      perSeed,
      ...(augmentation ? { augmentation } : {}),
    };
  }
  return {
    models: results,
    featureRowsPerSec,
    data: {
      transactions: tx.nRows,
      features: replay.featureNames,
      trainRows: split.train.length,
      trainFrauds: yTrain.reduce((s, v) => s + v, 0),
      testRows: split.test.length,
      testFrauds: yTest.reduce((s, v) => s + v, 0),
    },
  };
}
