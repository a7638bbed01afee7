import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { isDictionaryColumn, type Table } from '../data/table.js';
import { DataError } from '../errors.js';
import { Random } from '../random.js';
import type { SampleConditions, Synthesizer } from './synthesizer.js';

/** Options of {@link writeSampleCsv}. */
export interface WriteSampleCsvOptions {
  rows: number;
  conditions?: SampleConditions;
  seed: number;
  /** Rows drawn and written at a time (default 50,000): memory stays flat for millions of rows. */
  chunkRows?: number;
  /** How to write each boolean column's values (default `true`/`false`). */
  booleans?: Record<string, { true: string; false: string }>;
}

/** A number as text without float noise: 12 significant digits at most, shortest form. */
export function formatSampledNumber(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(12)));
}

function quoteCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The CSV text of a sampled table's rows (missing as empty cells). */
export function sampleCsvRows(table: Table, booleans: WriteSampleCsvOptions['booleans'] = {}): string {
  const cells: ((r: number) => string)[] = table.columns.map((col) => {
    if (isDictionaryColumn(col)) {
      const quoted = col.dictionary.map(quoteCell);
      return (r) => {
        const code = col.codes[r] as number;
        return code < 0 ? '' : (quoted[code] as string);
      };
    }
    const values = col.values;
    if (col.kind === 'boolean') {
      const spelling = booleans[col.name] ?? { true: 'true', false: 'false' };
      return (r) => {
        const v = values[r] as number;
        return Number.isNaN(v) ? '' : quoteCell(v === 1 ? spelling.true : spelling.false);
      };
    }
    if (col.kind === 'datetime')
      return (r) => (Number.isNaN(values[r] as number) ? '' : new Date(values[r] as number).toISOString());
    // Sampled columns repeat values (discrete levels, quantile-table atoms): format each value once.
    const cache = new Map<number, string>();
    return (r) => {
      const v = values[r] as number;
      if (Number.isNaN(v)) return '';
      let text = cache.get(v);
      if (text === undefined) {
        text = formatSampledNumber(v);
        if (cache.size < 65_536) cache.set(v, text);
      }
      return text;
    };
  });
  const lines = new Array<string>(table.nRows);
  const row = new Array<string>(cells.length);
  for (let r = 0; r < table.nRows; r++) {
    for (let c = 0; c < cells.length; c++) row[c] = (cells[c] as (r: number) => string)(r);
    lines[r] = row.join(',');
  }
  return table.nRows === 0 ? '' : `${lines.join('\n')}\n`;
}

/** Writes and, when the stream's buffer is full, waits for it to drain (or to close on an error). */
function writeText(stream: Writable, text: string): Promise<void> {
  if (stream.write(text)) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('drain', done);
      stream.off('close', done);
      resolve();
    };
    stream.on('drain', done);
    stream.on('close', done);
  });
}

/**
 * Samples `rows` rows in chunks and streams them to a CSV file (`.gz` compresses) with the
 * synthesizer's columns. The first chunk is drawn with `seed` itself (so a small draw equals
 * `synthesizer.sample(rows, { seed })`), later chunks with seeds derived from it. The file appears
 * under its name only when complete.
 *
 * @returns rows written and the time taken
 */
export async function writeSampleCsv(
  synthesizer: Synthesizer,
  columns: string[],
  outPath: string,
  options: WriteSampleCsvOptions,
): Promise<{ rows: number; sampleMs: number; totalMs: number }> {
  const started = performance.now();
  const chunkRows = options.chunkRows ?? 50_000;
  const seeds = new Random(options.seed);
  const staging = `${outPath}.tmp-${process.pid}`;
  let failure: Error | undefined;
  const file = createWriteStream(staging);
  // An unwritable path fails asynchronously; keep the error for the loop instead of crashing on it.
  file.on('error', (error) => {
    failure = error;
  });
  const gzip = outPath.endsWith('.gz') ? createGzip() : undefined;
  if (gzip) gzip.pipe(file);
  const sink: Writable = gzip ?? file;
  let sampleMs = 0;
  try {
    await writeText(sink, `${columns.map(quoteCell).join(',')}\n`);
    for (let done = 0, chunk = 0; done < options.rows; chunk++) {
      const n = Math.min(chunkRows, options.rows - done);
      const t0 = performance.now();
      const table = await synthesizer.sample(n, {
        ...(options.conditions ? { conditions: options.conditions } : {}),
        seed: chunk === 0 ? options.seed : seeds.childSeed(),
      });
      sampleMs += performance.now() - t0;
      if (failure) throw failure;
      await writeText(sink, sampleCsvRows(table, options.booleans));
      done += n;
    }
    sink.end();
    await once(file, 'close');
    if (failure) throw failure;
    await rename(staging, outPath);
  } catch (error) {
    file.destroy();
    await rm(staging, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EISDIR' || code === 'ENOTDIR')
      throw new DataError('unwritable_file', `cannot write ${outPath}: ${(error as Error).message}`, { cause: error });
    throw error;
  }
  return { rows: options.rows, sampleMs: Math.round(sampleMs), totalMs: Math.round(performance.now() - started) };
}
