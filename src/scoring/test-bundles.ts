/**
 * Small trained bundles for the scoring, export and import tests (tests only): synthetic credit
 * applications, a few epochs, one training thread, so each bundle takes a second or two.
 */
import { join } from 'node:path';
import type { Task } from '../models/estimator.js';
import type { ModelKind } from '../models/index.js';
import { writeCreditApplicationsCsv } from '../simulation/index.js';
import { runTrainJob } from '../training/index.js';

/** Writes the synthetic applications file used by every test bundle. */
export async function writeTestApplications(dir: string, rows = 3000): Promise<string> {
  const path = join(dir, 'applications.csv');
  await writeCreditApplicationsCsv(path, { rows, seed: 5 });
  return path;
}

export interface TestBundleOptions {
  model: ModelKind;
  /** Default binary on `default_12m`; regression predicts `interest_rate_pct`, multiclass `employment_status`. */
  task?: Task;
  epochs?: number;
  modelParams?: Record<string, unknown>;
}

const TARGETS: Record<Task, string> = {
  binary: 'default_12m',
  regression: 'interest_rate_pct',
  multiclass: 'employment_status',
};

/** Trains a bundle into `dir/name` from the applications file and returns its directory. */
export async function trainTestBundle(
  dataPath: string,
  dir: string,
  name: string,
  options: TestBundleOptions,
): Promise<string> {
  const task = options.task ?? 'binary';
  const outDir = join(dir, name);
  await runTrainJob({
    dataPath,
    target: TARGETS[task],
    task,
    model: options.model,
    split: { kind: 'column', column: '_is_test' },
    seed: 3,
    epochs: options.epochs ?? 3,
    threads: 1,
    outDir,
    ...(options.modelParams ? { modelParams: options.modelParams } : {}),
  });
  return outDir;
}
