import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelKind } from '../models/index.js';
import { runEvaluateJob, runPredictJob, writeEvaluationReport } from '../scoring/index.js';
import { writeCreditApplicationsCsv } from '../simulation/index.js';
import { runTrainJob } from '../training/index.js';
import { parseIntegerFlag } from './flags.js';
import type { CliIO } from './output.js';
import { epochProgress } from './progress.js';
import { metricsTable } from './train-command.js';

export interface DemoFlags {
  out: string;
  rows: string;
  seed: string;
  model: ModelKind;
  verbose?: boolean;
}

/** The demo's out-of-time split: applications from the last six of 24 months are the test part. */
const DEMO_TEST_FROM = '2025-07-01';

/**
 * The embedded default: synthetic credit applications → out-of-time split → model → report →
 * scored file, with every artefact written under one directory.
 */
export async function runDemoCommand(flags: DemoFlags, io: CliIO): Promise<void> {
  const rows = parseIntegerFlag('--rows', flags.rows, { min: 1000 });
  const seed = parseIntegerFlag('--seed', flags.seed, { min: 0 });
  await mkdir(flags.out, { recursive: true });
  const dataPath = join(flags.out, 'applications.csv');
  const modelDir = join(flags.out, 'model');
  const reportPath = join(flags.out, 'report.html');
  const scoresPath = join(flags.out, 'scores.csv');

  io.stdout(`1/4 Generating ${rows} synthetic credit applications (seed ${seed})…\n`);
  const data = await writeCreditApplicationsCsv(dataPath, { rows, seed });
  io.stdout(`    ${dataPath}: ${data.rows} rows, default rate ${(data.defaultRate * 100).toFixed(1)}%\n`);

  io.stdout(`2/4 Training ${flags.model} on applications before ${DEMO_TEST_FROM}, testing on those after…\n`);
  const split = { kind: 'time', column: 'application_date', testFrom: DEMO_TEST_FROM } as const;
  const progress = epochProgress(io, 200, Boolean(flags.verbose));
  try {
    const trained = await runTrainJob({
      dataPath,
      target: 'default_12m',
      task: 'binary',
      model: flags.model,
      split,
      seed,
      outDir: modelDir,
      onEpochEnd: progress.onEpochEnd,
    });
    progress.stop();
    for (const warning of trained.warnings) io.stderr(`vigil: warning: ${warning}\n`);
    io.stdout(
      `    ${trained.manifest.data.trainRows} training rows, ${trained.nFeatures} features, ${trained.epochs} epochs\n`,
    );
  } finally {
    progress.stop();
  }

  io.stdout('3/4 Evaluating on the out-of-time test part and writing the report…\n');
  const evaluation = await runEvaluateJob({ modelDir, dataPath, split });
  await writeEvaluationReport(reportPath, evaluation, `applications from ${DEMO_TEST_FROM} on (${evaluation.nRows})`);
  io.stdout(`${metricsTable(evaluation.metrics)}\n`);

  io.stdout('4/4 Scoring every application with the bundle…\n');
  const scored = await runPredictJob({ modelDir, dataPath, outPath: scoresPath });
  io.stdout(`    ${scored.rows} rows scored, ${scored.positives ?? 0} at or above the threshold\n`);

  io.stdout(
    [
      '',
      'Everything is in place:',
      `  data     ${dataPath}   (columns and risk drivers: docs/demo-data.md)`,
      `  model    ${modelDir}/   (manifest.json, weights.bin, SHA256SUMS)`,
      `  report   ${reportPath}`,
      `  scores   ${scoresPath}`,
      '',
      'Next:',
      `  npx vigil evaluate --model ${modelDir} --data ${dataPath} --time-column application_date --test-from ${DEMO_TEST_FROM}`,
      `  npx vigil predict --model ${modelDir} --data ${dataPath} --out my-scores.csv`,
      '',
    ].join('\n'),
  );
}
