import { basename } from 'node:path';
import {
  checkSynthesizerBundleTarget,
  type SynthesizerBundleManifest,
  writeSynthesizerBundle,
} from '../bundle/index.js';
import { readCsv, readSchemaFile, readTable } from '../data/index.js';
import { schemaOf, type Table } from '../data/table.js';
import { ConfigError, DataError } from '../errors.js';
import { createSynthesizer, type SynthEpochLogs, type Synthesizer } from '../synthesis/index.js';
import { VIGIL_VERSION } from './version.js';

/** Options of {@link runSynthFitJob}. */
export interface SynthFitJobOptions {
  dataPath: string;
  /** A synthesizer kind of the registry (`gaussian-copula`; ctgan and tvae where built). */
  model: string;
  outDir: string;
  seed: number;
  epochs?: number;
  delimiter?: string;
  schemaPath?: string;
  /** Columns to leave out besides identifiers and datetimes. */
  drop?: string[];
  onEpochEnd?: (logs: SynthEpochLogs) => void;
  onStage?: (stage: string) => void;
}

export interface SynthFitJobResult {
  bundleDir: string;
  manifest: SynthesizerBundleManifest;
  synthesizer: Synthesizer;
  /** Notes for the user: columns dropped and why, and the file's own warnings. */
  notes: string[];
  timingsMs: { readMs: number; fitMs: number; writeMs: number; totalMs: number };
}

/**
 * The data's own spelling of each boolean column (`True`/`False`, `yes`/`no`, `1`/`0`), from the
 * file's first rows, so that sampled files read like the input.
 */
async function booleanSpellings(
  path: string,
  columns: string[],
  delimiter: string,
): Promise<Record<string, { true: string; false: string }>> {
  const found: Record<string, { true?: string; false?: string }> = {};
  if (columns.length === 0) return {};
  for await (const batch of readCsv(path, { delimiter, batchSize: 5_000 })) {
    for (const name of columns) {
      const index = batch.header.indexOf(name);
      const spelling = (found[name] ??= {});
      for (const record of batch.records) {
        const text = (record[index] ?? '').trim();
        const lower = text.toLowerCase();
        if (spelling.true === undefined && ['true', 'yes', 'y', 't', '1'].includes(lower)) spelling.true = text;
        if (spelling.false === undefined && ['false', 'no', 'n', 'f', '0'].includes(lower)) spelling.false = text;
      }
    }
    break;
  }
  const out: Record<string, { true: string; false: string }> = {};
  for (const [name, s] of Object.entries(found)) out[name] = { true: s.true ?? 'true', false: s.false ?? 'false' };
  return out;
}

/**
 * Fits a synthesizer on a CSV file and writes a verified synthesizer bundle: read the file like
 * `vigil train` does, leave out identifier and datetime columns (which a synthesizer should not
 * copy or cannot model) and the `drop` columns, fit, write.
 *
 * @example
 * const { manifest } = await runSynthFitJob({ dataPath: 'taiwan.csv', model: 'gaussian-copula', seed: 1, outDir: 'synth/taiwan' });
 */
export async function runSynthFitJob(options: SynthFitJobOptions): Promise<SynthFitJobResult> {
  // Before any work: a bundle replaces its directory whole, so --out must be new or a synthesizer bundle.
  await checkSynthesizerBundleTarget(options.outDir);
  const synthesizer = createSynthesizer(options.model, {
    seed: options.seed,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
  });
  const stage = options.onStage ?? (() => {});
  const started = performance.now();
  stage('reading data');
  const overrides = options.schemaPath ? await readSchemaFile(options.schemaPath) : undefined;
  const loaded = await readTable(options.dataPath, {
    overrides,
    ...(options.delimiter ? { delimiter: options.delimiter } : {}),
  });
  const readMs = performance.now() - started;
  const drop = new Set(options.drop ?? []);
  const unknown = [...drop].filter((name) => !loaded.table.columns.some((c) => c.name === name));
  if (unknown.length > 0)
    throw new ConfigError(
      'invalid_flag',
      `--drop: no column ${unknown.map((n) => JSON.stringify(n)).join(', ')} in ${options.dataPath}`,
    );
  const dropped: { name: string; reason: string }[] = [];
  const kept = loaded.table.columns.filter((c) => {
    if (drop.has(c.name)) dropped.push({ name: c.name, reason: '--drop' });
    else if (c.kind === 'identifier' || c.kind === 'datetime') dropped.push({ name: c.name, reason: c.kind });
    else return true;
    return false;
  });
  if (kept.length === 0) throw new DataError('no_columns', 'no columns are left to synthesize');
  const table: Table = { nRows: loaded.table.nRows, columns: kept };
  const notes = [...loaded.warnings];
  for (const d of dropped)
    notes.push(
      `column ${d.name} is not synthesized (${d.reason === '--drop' ? 'dropped with --drop' : `${d.reason} column`})`,
    );

  stage(`fitting ${options.model}`);
  const fitStart = performance.now();
  await synthesizer.fit(table, { onEpochEnd: options.onEpochEnd });
  const fitMs = performance.now() - fitStart;

  stage('writing bundle');
  const writeStart = performance.now();
  const booleans = await booleanSpellings(
    options.dataPath,
    kept.filter((c) => c.kind === 'boolean').map((c) => c.name),
    loaded.delimiter,
  );
  const manifest = await writeSynthesizerBundle(
    options.outDir,
    {
      createdAt: new Date().toISOString(),
      synthesizer: synthesizer.toJSON(),
      inputSchema: schemaOf(table),
      ...(Object.keys(booleans).length > 0 ? { output: { booleans } } : {}),
      data: {
        fingerprint: loaded.fingerprint,
        file: basename(options.dataPath),
        nRows: table.nRows,
        droppedColumns: dropped,
      },
      training: { epochs: synthesizer.history.length, fitMs: Math.round(fitMs), history: synthesizer.history },
      versions: { vigil: VIGIL_VERSION, node: process.version },
    },
    synthesizer.getWeights(),
  );
  const writeMs = performance.now() - writeStart;
  return {
    bundleDir: options.outDir,
    manifest,
    synthesizer,
    notes,
    timingsMs: {
      readMs: Math.round(readMs),
      fitMs: Math.round(fitMs),
      writeMs: Math.round(writeMs),
      totalMs: Math.round(performance.now() - started),
    },
  };
}
