import { stat, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { readCsv, readSchemaFile, readTable, type Schema } from '../data/index.js';
import { ConfigError } from '../errors.js';
import {
  buildQualityReport,
  checkSameColumns,
  type QualityReport,
  REPORT_MODELS,
  type ReportModel,
  renderQualityReport,
  reportLights,
} from '../synthesis-report/index.js';
import { parseIntegerFlag } from './flags.js';
import { type CliIO, formatTable } from './output.js';

export interface SynthReportFlags {
  real: string;
  synthetic: string;
  holdout?: string;
  target?: string;
  positive?: string;
  exclude?: string;
  schema?: string;
  delimiter?: string;
  utilityModel: ReportModel;
  detectionModel: ReportModel;
  seed: string;
  out: string;
  json?: boolean;
  verbose?: boolean;
}

/** The header of a CSV file, read from its first batch only. */
async function readHeader(path: string, delimiter: string | undefined): Promise<string[]> {
  for await (const batch of readCsv(path, { batchSize: 1, ...(delimiter ? { delimiter } : {}) })) return batch.header;
  return [];
}

/**
 * Reads another file with the real file's schema, after checking it has exactly the real columns
 * (a schema read alone would drop extra columns silently and name only the first missing one).
 */
async function readLike(
  path: string,
  schema: Schema,
  label: string,
  delimiter: string | undefined,
  exclude: readonly string[],
) {
  const header = await readHeader(path, delimiter);
  // Identifier and excluded columns may be missing (vigil synth fit never synthesizes identifiers).
  const setAside = new Set([...exclude, ...schema.columns.filter((c) => c.kind === 'identifier').map((c) => c.name)]);
  checkSameColumns(
    schema.columns.map((c) => c.name).filter((name) => !setAside.has(name)),
    header.filter((name) => !setAside.has(name)),
    label,
  );
  const present = new Set(header);
  const own = { columns: schema.columns.filter((c) => present.has(c.name)) };
  return readTable(path, { schema: own, ...(delimiter ? { delimiter } : {}) });
}

async function checkOutPath(out: string): Promise<void> {
  if (!out.toLowerCase().endsWith('.html'))
    throw new ConfigError('invalid_flag', `--out must name an .html file, got ${JSON.stringify(out)}`);
  const dir = dirname(resolve(out));
  const info = await stat(dir).catch(() => undefined);
  if (info === undefined || !info.isDirectory())
    throw new ConfigError('invalid_flag', `--out: the directory ${dir} does not exist`);
}

function lightWord(light: string | null | undefined): string {
  return light ?? '';
}

/** The headline numbers as the short table printed without --json. */
export function summaryTable(r: QualityReport): string {
  const lights = reportLights(r);
  const rows: (string | number)[][] = [
    ['column shapes', r.columnShapes.score, lightWord(lights.shapes), `${r.columnShapes.columns.length} columns`],
    [
      'pair trends',
      r.pairTrends.score,
      lightWord(lights.pairs),
      `${r.pairTrends.pairsEvaluated} of ${r.pairTrends.pairsTotal} pairs`,
    ],
    ['detection auc', r.detectionAuc, lightWord(lights.detection), `${r.detection.model}, 0.5 = indistinguishable`],
  ];
  if (r.utility !== null) {
    rows.push(
      ['trtr auc', r.utility.trtrAuc, '', `${r.utility.model} trained on real`],
      [
        'tstr auc',
        r.utility.tstrAuc ?? 'n/a',
        lightWord(lights.utility),
        `${r.utility.model} trained on synthetic, tested on ${r.utility.testedOn}`,
      ],
    );
  }
  rows.push(
    ['dcr ratio', r.dcrRatio, lightWord(lights.dcr), 'median DCR synthetic / holdout'],
    [
      'exact copies',
      r.exactCopies,
      lightWord(lights.copies),
      `${(r.privacy.exactCopiesShare * 100).toFixed(2)} % of rows`,
    ],
  );
  return formatTable(['metric', 'value', 'reading', 'about'], rows);
}

export async function runSynthReportCommand(flags: SynthReportFlags, io: CliIO): Promise<void> {
  const seed = parseIntegerFlag('--seed', flags.seed, { min: 0 });
  if (flags.positive !== undefined && flags.target === undefined)
    throw new ConfigError('invalid_flag', '--positive goes with --target');
  const exclude =
    flags.exclude === undefined
      ? []
      : flags.exclude
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
  await checkOutPath(flags.out);
  const progress = (stage: string) => {
    if (io.isTTY || flags.verbose) io.stderr(`vigil: ${stage}…\n`);
  };

  progress('reading the real data');
  const overrides = flags.schema ? await readSchemaFile(flags.schema) : undefined;
  const real = await readTable(flags.real, {
    ...(overrides ? { overrides } : {}),
    ...(flags.delimiter ? { delimiter: flags.delimiter } : {}),
  });
  for (const w of real.warnings) io.stderr(`vigil: warning: ${flags.real}: ${w}\n`);
  progress('reading the synthetic data');
  const synthetic = await readLike(flags.synthetic, real.schema, 'synthetic', flags.delimiter, exclude);
  const holdout =
    flags.holdout === undefined
      ? undefined
      : await readLike(flags.holdout, real.schema, 'holdout', flags.delimiter, exclude);

  const { report, plots } = await buildQualityReport(
    { real: real.table, synthetic: synthetic.table, ...(holdout ? { holdout: holdout.table } : {}) },
    {
      ...(flags.target !== undefined ? { target: flags.target } : {}),
      ...(flags.positive !== undefined ? { positive: flags.positive } : {}),
      exclude,
      utilityModel: flags.utilityModel,
      detectionModel: flags.detectionModel,
      seed,
      onStage: progress,
    },
  );
  for (const w of report.warnings) io.stderr(`vigil: warning: ${w}\n`);
  const html = renderQualityReport({
    title: `Synthetic data report: ${basename(flags.synthetic)}`,
    sources: {
      real: basename(flags.real),
      synthetic: basename(flags.synthetic),
      ...(flags.holdout ? { holdout: basename(flags.holdout) } : {}),
    },
    report,
    plots,
  });
  await writeFile(flags.out, html);
  if (flags.json) {
    io.stdout(
      `${JSON.stringify({
        real: flags.real,
        synthetic: flags.synthetic,
        holdout: flags.holdout ?? null,
        report: flags.out,
        ...report,
      })}\n`,
    );
    return;
  }
  io.stdout(`${summaryTable(report)}\n\nReport written to ${flags.out}\n`);
}

/**
 * Adds `report` to the `synth` command group. Kept here, beside its handler, so the group's other
 * commands can be added to main.ts without touching this one.
 */
export function addSynthReportCommand(synth: Command, io: CliIO, run: (task: () => Promise<void>) => void): void {
  synth
    .command('report')
    .description('compare synthetic with real data: column shapes, pair trends, detection, utility, privacy')
    .requiredOption('--real <file>', 'the real data the synthesizer learned from: CSV, plain or .gz')
    .requiredOption('--synthetic <file>', 'the synthetic data, with the same columns')
    .option(
      '--holdout <file>',
      'real rows the synthesizer never saw, same columns: the test rows of TRTR/TSTR and the baseline of DCR (default: 25 % of --real)',
    )
    .option('--target <column>', 'binary target column: measure utility (train on synthetic / real, test on real)')
    .option('--positive <value>', 'target value that counts as positive (default: 1, true, yes, bad, default, fraud…)')
    .option('--exclude <columns>', 'comma-separated columns to leave out of every metric (e.g. a split flag)')
    .option('--schema <file>', 'JSON file overriding the kinds inferred from --real, applied to every file')
    .option('--delimiter <char>', 'CSV delimiter (default: detected among , ; tab |)')
    .addOption(
      new Option('--utility-model <kind>', 'estimator of TRTR and TSTR').choices([...REPORT_MODELS]).default('mlp'),
    )
    .addOption(
      new Option('--detection-model <kind>', 'classifier telling real from synthetic')
        .choices([...REPORT_MODELS])
        .default('mlp'),
    )
    .option('--seed <n>', 'seed of every subsample, split and model', '1')
    .requiredOption('--out <file.html>', 'the HTML report to write')
    .option('--json', 'print one JSON object with every number on stdout')
    .action((_opts, command: Command) => run(() => runSynthReportCommand(command.optsWithGlobals(), io)));
}
