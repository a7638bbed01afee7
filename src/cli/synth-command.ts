import { type Command, Option } from 'commander';
import { ConfigError } from '../errors.js';
import { availableSynthesizerKinds, type SampleConditions, writeSampleCsv } from '../synthesis/index.js';
import { loadSynthesizer, runSynthFitJob } from '../training/index.js';
import { parseIntegerFlag } from './flags.js';
import type { CliIO } from './output.js';

/** Flags of `vigil synth fit`, as commander parses them. */
export interface SynthFitFlags {
  data: string;
  model: string;
  epochs?: string;
  seed: string;
  schema?: string;
  delimiter?: string;
  drop?: string;
  out: string;
  json?: boolean;
  verbose?: boolean;
}

/** Flags of `vigil synth sample`, as commander parses them. */
export interface SynthSampleFlags {
  model: string;
  rows: string;
  condition?: string[];
  seed: string;
  out: string;
  json?: boolean;
}

/** Condition codes of the synthesizers that mean "the --condition value is wrong" (a bad flag, exit 2). */
const CONDITION_ERRORS = new Set([
  'unknown_condition_column',
  'condition_not_discrete',
  'unknown_condition_value',
  'too_many_conditions',
]);

/** Parses `--condition COL=VALUE` flags (repeatable) into sample conditions. */
export function parseConditions(raw: string[] = []): SampleConditions {
  const conditions: SampleConditions = {};
  for (const item of raw) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new ConfigError('invalid_flag', `--condition must be COL=VALUE, got ${JSON.stringify(item)}`);
    const column = item.slice(0, eq);
    if (conditions[column] !== undefined)
      throw new ConfigError('invalid_flag', `--condition: column ${JSON.stringify(column)} is given twice`);
    conditions[column] = item.slice(eq + 1);
  }
  return conditions;
}

/** `vigil synth fit`: fit a synthesizer on a CSV file and write its bundle; prints a summary. */
export async function runSynthFitCommand(flags: SynthFitFlags, io: CliIO): Promise<void> {
  const seed = parseIntegerFlag('--seed', flags.seed, { min: 0 });
  const epochs = flags.epochs === undefined ? undefined : parseIntegerFlag('--epochs', flags.epochs, { min: 1 });
  const drop = flags.drop
    ?.split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const result = await runSynthFitJob({
    dataPath: flags.data,
    model: flags.model,
    outDir: flags.out,
    seed,
    ...(epochs !== undefined ? { epochs } : {}),
    ...(flags.delimiter ? { delimiter: flags.delimiter } : {}),
    ...(flags.schema ? { schemaPath: flags.schema } : {}),
    ...(drop ? { drop } : {}),
    onStage: (stage) => {
      if (flags.verbose) io.stderr(`${stage}…\n`);
    },
    // Deep synthesizers report each epoch's losses; the copula fits in one pass and reports none.
    onEpochEnd: (logs) => {
      if (!flags.verbose && !io.isTTY) return;
      const losses = Object.entries(logs)
        .filter(([key]) => key !== 'epoch')
        .map(([key, value]) => `${key} ${value.toFixed(4)}`)
        .join(', ');
      io.stderr(`epoch ${logs.epoch}${losses ? `: ${losses}` : ''}\n`);
    },
  });
  const { manifest } = result;
  if (flags.json) {
    io.stdout(
      `${JSON.stringify({
        bundle: result.bundleDir,
        model: manifest.synthesizer.kind,
        rows: manifest.data.nRows,
        columns: manifest.inputSchema.columns,
        droppedColumns: manifest.data.droppedColumns,
        epochs: manifest.training.epochs,
        timingsMs: result.timingsMs,
        notes: result.notes,
      })}\n`,
    );
    return;
  }
  for (const note of result.notes) io.stderr(`vigil: note: ${note}\n`);
  io.stdout(
    `Fitted ${manifest.synthesizer.kind} on ${manifest.data.nRows} rows, ${manifest.inputSchema.columns.length} columns` +
      `${manifest.training.epochs > 0 ? `, ${manifest.training.epochs} epoch(s)` : ''} in ${(result.timingsMs.fitMs / 1000).toFixed(2)}s ` +
      `(${(result.timingsMs.totalMs / 1000).toFixed(2)}s in all)\n`,
  );
  io.stdout(`Synthesizer bundle written to ${result.bundleDir}\n`);
}

/** `vigil synth sample`: stream rows from a verified synthesizer bundle to a CSV file. */
export async function runSynthSampleCommand(flags: SynthSampleFlags, io: CliIO): Promise<void> {
  const rows = parseIntegerFlag('--rows', flags.rows, { min: 1, max: 1_000_000_000 });
  const seed = parseIntegerFlag('--seed', flags.seed, { min: 0 });
  const conditions = parseConditions(flags.condition);
  const { bundle, synthesizer } = await loadSynthesizer(flags.model);
  const columns = bundle.manifest.synthesizer.schema.columns.map((c) => c.name);
  let written: Awaited<ReturnType<typeof writeSampleCsv>>;
  try {
    written = await writeSampleCsv(synthesizer, columns, flags.out, {
      rows,
      seed,
      ...(Object.keys(conditions).length > 0 ? { conditions } : {}),
      ...(bundle.manifest.output?.booleans ? { booleans: bundle.manifest.output.booleans } : {}),
    });
  } catch (error) {
    if (error instanceof ConfigError && CONDITION_ERRORS.has(error.code))
      throw new ConfigError('invalid_flag', `--condition: ${error.message}`, { cause: error });
    throw error;
  }
  if (flags.json) {
    io.stdout(
      `${JSON.stringify({ out: flags.out, rows: written.rows, conditions, seed, model: bundle.manifest.synthesizer.kind, timingsMs: { sampleMs: written.sampleMs, totalMs: written.totalMs } })}\n`,
    );
    return;
  }
  const given = Object.entries(conditions).map(([c, v]) => `${c}=${v}`);
  io.stdout(
    `Sampled ${written.rows} rows from ${bundle.manifest.synthesizer.kind}${given.length > 0 ? ` with ${given.join(', ')}` : ''} ` +
      `in ${(written.totalMs / 1000).toFixed(2)}s (sampling ${(written.sampleMs / 1000).toFixed(2)}s)\n`,
  );
  io.stdout(`Written to ${flags.out}\n`);
}

/** Adds `fit` and `sample` to the `synth` command group. */
export function addSynthFitSampleCommands(synth: Command, io: CliIO, run: (task: () => Promise<void>) => void): void {
  const kinds = availableSynthesizerKinds();
  synth
    .command('fit')
    .description('fit a synthesizer on a CSV file and write a verified synthesizer bundle')
    .requiredOption('--data <file>', 'training data: CSV, plain or .gz')
    .addOption(new Option('--model <kind>', 'synthesizer').choices(kinds).makeOptionMandatory())
    .option('--epochs <n>', 'training epochs of the deep synthesizers (the copula has none)')
    .option('--seed <n>', 'random seed; the same seed gives the same synthesizer', '1')
    .option('--schema <file>', 'JSON file overriding inferred column kinds, e.g. {"columns":{"zip":"categorical"}}')
    .option('--delimiter <char>', 'CSV delimiter (default: detected among , ; tab |)')
    .option('--drop <cols>', 'comma-separated columns not to synthesize (identifier and datetime columns never are)')
    .requiredOption(
      '--out <dir>',
      'directory to write the synthesizer bundle to (new, or a synthesizer bundle to replace)',
    )
    .option('--json', 'print one JSON object with the result on stdout')
    .action((_opts, command: Command) => run(() => runSynthFitCommand(command.optsWithGlobals(), io)));
  synth
    .command('sample')
    .description('draw rows from a synthesizer bundle to a CSV file, streaming')
    .requiredOption('--model <dir>', 'synthesizer bundle directory')
    .requiredOption('--rows <n>', 'rows to draw')
    .option(
      '--condition <col=value>',
      'every row carries this value of a categorical, boolean or few-valued integer column (exact, no rejection); one condition per draw with gaussian-copula',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .option('--seed <n>', 'random seed; the same bundle, rows, conditions and seed give the same file', '1')
    .requiredOption('--out <file>', 'output CSV (.gz to compress); missing values are empty cells')
    .option('--json', 'print one JSON object with the result on stdout')
    .action((_opts, command: Command) => run(() => runSynthSampleCommand(command.optsWithGlobals(), io)));
}
