import { ConfigError } from '../errors.js';
import {
  FRAUD_BENCHMARK_MODELS,
  type FraudBenchmarkModel,
  runFraudBenchmarkJob,
} from '../training/fraud-benchmark-job.js';
import { parseIntegerFlag } from './flags.js';
import { type CliIO, formatTable } from './output.js';
import { augmentFromFlags, featureSpecFlag } from './train-command.js';

export interface BenchmarkFraudFlags {
  data: string;
  features: string;
  models?: string;
  seeds: string;
  trainStart: string;
  sequenceLength?: string;
  augment?: string;
  augmentRatio?: string;
  json?: boolean;
}

/** `vigil benchmark fraud`: the fraud handbook's protocol for every fraud model, one table. */
export async function runBenchmarkFraudCommand(flags: BenchmarkFraudFlags, io: CliIO): Promise<void> {
  const models = flags.models?.split(',').map((m) => m.trim());
  for (const m of models ?? [])
    if (!(FRAUD_BENCHMARK_MODELS as readonly string[]).includes(m))
      throw new ConfigError('invalid_flag', `--models: '${m}' is not one of ${FRAUD_BENCHMARK_MODELS.join(', ')}`);
  const seeds = flags.seeds.split(',').map((s) => parseIntegerFlag('--seeds', s.trim(), { min: 0 }));
  if (!/^\d{4}-\d{2}-\d{2}$/.test(flags.trainStart) || Number.isNaN(Date.parse(flags.trainStart)))
    throw new ConfigError(
      'invalid_flag',
      `--train-start must be a date YYYY-MM-DD, got ${JSON.stringify(flags.trainStart)}`,
    );
  const augment = augmentFromFlags(flags);
  const result = await runFraudBenchmarkJob({
    ...(augment ? { augment } : {}),
    dataPath: flags.data,
    spec: featureSpecFlag('--features', flags.features),
    models: models as FraudBenchmarkModel[] | undefined,
    seeds,
    trainStart: flags.trainStart,
    ...(flags.sequenceLength !== undefined
      ? { sequenceLength: parseIntegerFlag('--sequence-length', flags.sequenceLength, { min: 1, max: 256 }) }
      : {}),
    onStage: flags.json ? undefined : (stage) => io.stderr(`vigil: ${stage}\n`),
  });
  if (flags.json) {
    io.stdout(`${JSON.stringify(result)}\n`);
    return;
  }
  const d = result.data;
  io.stdout(
    `${d.transactions} transactions, ${d.features.length} features at ${Math.round(result.featureRowsPerSec)} transactions/s; ` +
      `train ${d.trainRows} (${d.trainFrauds} frauds), test ${d.testRows} (${d.testFrauds} frauds); mean of seeds ${seeds.join(', ')}\n`,
  );
  const added = Object.values(result.models).find((m) => m.augmentation)?.augmentation;
  if (added)
    io.stdout(
      `augmented with ${added.kind}: ${added.rowsAdded} synthetic frauds made from the ${added.minorityRows} of the training week (test week real)\n`,
    );
  io.stdout('\n');
  const rows = Object.entries(result.models).map(([name, m]) => [
    name,
    m.auc,
    m.ap,
    m.cpAt100,
    Number(m.trainSeconds.toFixed(1)),
  ]);
  io.stdout(`${formatTable(['model', 'AUC', 'AP', 'CP@100', 'train s'], rows)}\n`);
}
