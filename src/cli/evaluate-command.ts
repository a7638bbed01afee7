import { ConfigError } from '../errors.js';
import { type EvaluateJobOptions, runEvaluateJob, writeEvaluationReport } from '../scoring/index.js';
import { parseIntegerFlag } from './flags.js';
import type { CliIO } from './output.js';
import { metricsTable } from './train-command.js';

export interface EvaluateFlags {
  model: string;
  data: string;
  delimiter?: string;
  splitColumn?: string;
  timeColumn?: string;
  testFrom?: string;
  cardColumn?: string;
  k?: string;
  report?: string;
  json?: boolean;
}

/**
 * The rows evaluate measures: a split column, or rows from --test-from on (by --time-column, or a
 * spec bundle's timestamp when it is left out). --time-column alone gives the days of Card
 * Precision@k.
 */
function evaluateSplit(flags: EvaluateFlags): EvaluateJobOptions['split'] {
  if (flags.splitColumn !== undefined && flags.testFrom !== undefined)
    throw new ConfigError('invalid_flag', 'choose one split: --split-column, or --test-from (with --time-column)');
  if (flags.splitColumn !== undefined) return { kind: 'column', column: flags.splitColumn };
  if (flags.testFrom !== undefined) {
    if (Number.isNaN(Date.parse(flags.testFrom)))
      throw new ConfigError(
        'invalid_flag',
        `--test-from must be a date like 2024-07-01, got ${JSON.stringify(flags.testFrom)}`,
      );
    return {
      kind: 'time',
      ...(flags.timeColumn !== undefined ? { column: flags.timeColumn } : {}),
      testFrom: flags.testFrom,
    };
  }
  if (flags.timeColumn !== undefined && flags.cardColumn === undefined)
    throw new ConfigError(
      'invalid_flag',
      '--time-column goes with --test-from (a time split) or --card-column (the days of Card Precision@k)',
    );
  return undefined;
}

export async function runEvaluateCommand(flags: EvaluateFlags, io: CliIO): Promise<void> {
  const split = evaluateSplit(flags);
  const k = flags.k === undefined ? undefined : parseIntegerFlag('--k', flags.k, { min: 1 });
  if (k !== undefined && flags.cardColumn === undefined)
    throw new ConfigError('invalid_flag', '--k goes with --card-column (Card Precision@k)');
  const result = await runEvaluateJob({
    modelDir: flags.model,
    dataPath: flags.data,
    delimiter: flags.delimiter,
    ...(split ? { split } : {}),
    ...(flags.cardColumn !== undefined ? { cardColumn: flags.cardColumn } : {}),
    ...(k !== undefined ? { k } : {}),
    ...(flags.cardColumn !== undefined && flags.timeColumn !== undefined ? { dayColumn: flags.timeColumn } : {}),
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
