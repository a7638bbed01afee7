import { ConfigError } from '../errors.js';
import { runEvaluateJob, writeEvaluationReport } from '../scoring/index.js';
import type { CliIO } from './output.js';
import { metricsTable, splitFromFlags } from './train-command.js';

export interface EvaluateFlags {
  model: string;
  data: string;
  delimiter?: string;
  splitColumn?: string;
  timeColumn?: string;
  testFrom?: string;
  report?: string;
  json?: boolean;
}

export async function runEvaluateCommand(flags: EvaluateFlags, io: CliIO): Promise<void> {
  const split =
    flags.splitColumn === undefined && flags.timeColumn === undefined && flags.testFrom === undefined
      ? undefined
      : splitFromFlags(flags);
  if (split?.kind === 'random')
    throw new ConfigError('invalid_flag', 'evaluate takes --split-column or --time-column with --test-from');
  const result = await runEvaluateJob({
    modelDir: flags.model,
    dataPath: flags.data,
    delimiter: flags.delimiter,
    ...(split ? { split } : {}),
  });
  for (const warning of result.warnings) io.stderr(`vigil: warning: ${warning}\n`);
  const label =
    split?.kind === 'column'
      ? `rows where ${split.column} is true (${result.nRows})`
      : split?.kind === 'time'
        ? `rows from ${split.testFrom} on (${result.nRows})`
        : `all rows (${result.nRows})`;
  if (flags.report) await writeEvaluationReport(flags.report, result, label);
  if (flags.json) {
    io.stdout(
      `${JSON.stringify({ model: flags.model, nRows: result.nRows, metrics: result.metrics, ...(flags.report ? { report: flags.report } : {}) })}\n`,
    );
    return;
  }
  io.stdout(`Metrics on ${label}:\n${metricsTable(result.metrics)}\n`);
  if (flags.report) io.stdout(`\nReport written to ${flags.report}\n`);
}
