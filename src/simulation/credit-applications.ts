/**
 * A synthetic but realistic consumer-credit application book: the data set behind `vigil demo`
 * and the 1M-row scoring benchmark.
 *
 * Every row is drawn from one seeded stream, so a seed fixes the data byte for byte. The target
 * `default_12m` comes from a latent logistic score with non-linear effects and interactions
 * (U-shaped age, a utilization cliff at 0.8, DTI × short tenure, inquiry bursts, affordability)
 * plus unobserved noise, so a neural net has something to find that a linear model misses but no
 * model can reach an AUC near 1. docs/demo-data.md describes every column and driver.
 */
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Column, Table } from '../data/table.js';
import { ConfigError, type Issue } from '../errors.js';
import { Random } from '../random.js';
import { AsciiBuffer, encodeAscii } from './ascii-buffer.js';
import { DATE, DEFAULT, emptyLatentFactors, type SamplingPlan, sampleApplication } from './credit-application-model.js';
import { CREDIT_APPLICATION_COLUMNS, type CreditApplicationColumn } from './credit-application-schema.js';

/** Options shared by {@link generateCreditApplications} and {@link writeCreditApplicationsCsv}. */
export interface CreditApplicationOptions {
  /** Number of applications (rows), a positive integer. */
  rows: number;
  /** Seed of the single random stream, an integer in [0, 2^32). Same seed → same data. */
  seed: number;
  /** First day of the application window, `YYYY-MM-DD` (UTC). Default `2024-01-01`. */
  startDate?: string;
  /** Length of the application window in calendar months, 1–600. Default 24. */
  months?: number;
}

/** In-memory output of {@link generateCreditApplications}. */
export interface CreditApplications {
  /** The columns of `CREDIT_APPLICATION_COLUMNS`, in that order, rows in date order. */
  table: Table;
  /**
   * The true 12-month default probability of each row, which also knows the hidden factors no
   * column shows. Not in the CSV: its AUC is the ceiling for any model ("oracle AUC").
   */
  pd: Float64Array;
  /** Rows with `default_12m = 1`. */
  defaults: number;
  defaultRate: number;
}

/** What {@link writeCreditApplicationsCsv} reports once the file is complete. */
export interface CreditApplicationsCsvSummary {
  rows: number;
  /** Rows with `default_12m = 1`. */
  defaults: number;
  defaultRate: number;
}

const DAY_MS = 86_400_000;
const N_COLUMNS = CREDIT_APPLICATION_COLUMNS.length;

interface Plan extends SamplingPlan {
  seed: number;
  startMs: number;
}

/**
 * Generates the data set in memory as a columnar {@link Table}: numbers as Float64Array (NaN =
 * missing), categories dictionary-encoded, `application_date` as epoch ms, `has_cosigner` and
 * `_is_test` as 0/1 boolean columns. The CSV writer with the same options writes exactly these
 * values. For a million rows prefer {@link writeCreditApplicationsCsv}, which never holds the
 * whole set.
 *
 * @throws {ConfigError} `invalid_simulation_options`, with one issue per bad option.
 * @example
 * const { table, defaultRate } = generateCreditApplications({ rows: 20_000, seed: 7 });
 * // table.nRows === 20_000; defaultRate ≈ 0.10
 */
export function generateCreditApplications(options: CreditApplicationOptions): CreditApplications {
  const plan = validateOptions(options);
  const n = plan.rows;
  const rng = new Random(plan.seed);
  const cells = new Float64Array(N_COLUMNS);
  const latent = emptyLatentFactors();
  const idDigits = idWidth(n);

  const ids = new Array<string>(n);
  const idCodes = new Int32Array(n);
  const pd = new Float64Array(n);
  // One typed array per column: Int32Array codes for categories, Float64Array otherwise.
  const store = CREDIT_APPLICATION_COLUMNS.map((c) =>
    c.kind === 'categorical' ? new Int32Array(n) : new Float64Array(n),
  );
  let defaults = 0;
  for (let row = 0; row < n; row++) {
    sampleApplication(rng, plan, row, cells, latent);
    for (let c = 0; c < N_COLUMNS; c++) (store[c] as Float64Array | Int32Array)[row] = cells[c] as number;
    ids[row] = `APP-${String(row + 1).padStart(idDigits, '0')}`;
    idCodes[row] = row;
    pd[row] = latent.pd;
    defaults += cells[DEFAULT] as number;
  }

  const dates = store[DATE] as Float64Array;
  for (let row = 0; row < n; row++) dates[row] = plan.startMs + (dates[row] as number) * DAY_MS;

  const columns = CREDIT_APPLICATION_COLUMNS.map((spec: CreditApplicationColumn, c): Column => {
    const { name, kind } = spec;
    if (kind === 'identifier') return { name, kind, codes: idCodes, dictionary: ids };
    if (kind === 'categorical') {
      return { name, kind, codes: store[c] as Int32Array, dictionary: [...(spec.categories ?? [])] };
    }
    return { name, kind, values: store[c] as Float64Array };
  });
  return { table: { nRows: n, columns }, pd, defaults, defaultRate: defaults / n };
}

// Rows generated and formatted per CSV chunk: large enough to amortise the write calls, small
// enough (~2.5 MB of text) that memory stays flat whatever `rows` is.
const CSV_CHUNK_ROWS = 16_384;
// Generous bound on one CSV line (26 cells of at most ~24 bytes), reserved once per row.
const MAX_LINE_BYTES = 640;

// How each column is printed, chosen once per file rather than per cell.
const FORMAT_ID = 0;
const FORMAT_DATE = 1;
const FORMAT_DECIMAL = 2;
// Categories by code, booleans by their 0/1 words.
const FORMAT_LABEL = 3;

/**
 * Streams the data set to a CSV file: a header row, `\n` line ends, ASCII, nothing quoted,
 * missing values as empty cells, booleans as `yes`/`no` (`has_cosigner`) or `true`/`false`
 * (`_is_test`). Rows are generated and written in chunks of 16,384 behind the file stream's
 * backpressure, so memory stays flat at millions of rows. The same options give byte-identical
 * files, with the values of {@link generateCreditApplications}. If writing fails the promise
 * rejects and a partial file may remain.
 *
 * @throws {ConfigError} `invalid_simulation_options` for bad options, before the file is opened.
 * @example
 * const { rows, defaultRate } = await writeCreditApplicationsCsv('credit.csv', { rows: 1_000_000, seed: 42 });
 */
export async function writeCreditApplicationsCsv(
  path: string,
  options: CreditApplicationOptions,
): Promise<CreditApplicationsCsvSummary> {
  const plan = validateOptions(options);
  const rng = new Random(plan.seed);
  const cells = new Float64Array(N_COLUMNS);
  const latent = emptyLatentFactors();
  const idDigits = idWidth(plan.rows);
  const idPrefix = encodeAscii(['APP-'])[0] as Uint8Array;
  const days = encodeAscii(dayLabels(plan));
  const formats = CREDIT_APPLICATION_COLUMNS.map((c: CreditApplicationColumn) =>
    c.kind === 'identifier'
      ? FORMAT_ID
      : c.kind === 'datetime'
        ? FORMAT_DATE
        : c.kind === 'categorical' || c.kind === 'boolean'
          ? FORMAT_LABEL
          : FORMAT_DECIMAL,
  );
  const decimals = CREDIT_APPLICATION_COLUMNS.map((c: CreditApplicationColumn) => c.decimals ?? 0);
  const labels = CREDIT_APPLICATION_COLUMNS.map((c: CreditApplicationColumn) => encodeAscii(c.categories ?? []));
  let defaults = 0;

  function appendLine(out: AsciiBuffer): void {
    out.reserve(MAX_LINE_BYTES);
    for (let c = 0; c < N_COLUMNS; c++) {
      if (c > 0) out.byte(44); // ,
      const v = cells[c] as number;
      switch (formats[c]) {
        case FORMAT_ID:
          out.ascii(idPrefix);
          out.uint(v, idDigits);
          break;
        case FORMAT_DATE:
          out.ascii(days[v] as Uint8Array);
          break;
        case FORMAT_DECIMAL:
          if (!Number.isNaN(v)) out.decimal(v, decimals[c] as number);
          break;
        case FORMAT_LABEL:
          out.ascii((labels[c] as Uint8Array[])[v] as Uint8Array);
          break;
      }
    }
    out.byte(10); // \n
  }

  function* chunks(): Generator<Buffer> {
    yield Buffer.from(`${CREDIT_APPLICATION_COLUMNS.map((c) => c.name).join(',')}\n`, 'latin1');
    const out = new AsciiBuffer(CSV_CHUNK_ROWS * MAX_LINE_BYTES);
    for (let start = 0; start < plan.rows; start += CSV_CHUNK_ROWS) {
      const end = Math.min(plan.rows, start + CSV_CHUNK_ROWS);
      for (let row = start; row < end; row++) {
        sampleApplication(rng, plan, row, cells, latent);
        defaults += cells[DEFAULT] as number;
        appendLine(out);
      }
      yield out.take();
    }
  }

  // pipeline pulls the generator only as fast as the file drains, and closes the file on error.
  await pipeline(Readable.from(chunks(), { objectMode: false }), createWriteStream(path));
  return { rows: plan.rows, defaults, defaultRate: defaults / plan.rows };
}

function validateOptions(options: CreditApplicationOptions): Plan {
  const issues: Issue[] = [];
  const { rows, seed, startDate = '2024-01-01', months = 24 } = options;
  if (!Number.isSafeInteger(rows) || rows < 1) {
    issues.push({ code: 'invalid_rows', path: ['rows'], message: `rows must be a positive integer, got ${rows}` });
  }
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    issues.push({ code: 'invalid_seed', path: ['seed'], message: `seed must be an integer in [0, 2^32), got ${seed}` });
  }
  if (!Number.isInteger(months) || months < 1 || months > 600) {
    issues.push({
      code: 'invalid_months',
      path: ['months'],
      message: `months must be an integer 1–600, got ${months}`,
    });
  }
  const startMs = parseIsoDate(startDate);
  if (Number.isNaN(startMs)) {
    issues.push({
      code: 'invalid_start_date',
      path: ['startDate'],
      message: `startDate must be a calendar date as YYYY-MM-DD, got ${JSON.stringify(startDate)}`,
    });
  }
  if (issues.length > 0) {
    throw new ConfigError('invalid_simulation_options', issues.map((i) => i.message).join('; '), { issues });
  }
  const start = new Date(startMs);
  // Like Date, a start on the 31st plus one month rolls into the month after.
  const endMs = Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + months, start.getUTCDate());
  return { rows, seed, startMs, totalDays: Math.round((endMs - startMs) / DAY_MS) };
}

/** Epoch ms of a `YYYY-MM-DD` date, or NaN if it is malformed or not a calendar date. */
function parseIsoDate(text: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (m === null) return Number.NaN;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  // Date.UTC rolls 2024-02-30 over into March; the round trip catches that.
  return new Date(ms).toISOString().slice(0, 10) === text ? ms : Number.NaN;
}

/** `YYYY-MM-DD` for every day of the window, so the hot loop formats no dates. */
function dayLabels(plan: Plan): string[] {
  const labels = new Array<string>(plan.totalDays);
  for (let d = 0; d < plan.totalDays; d++) labels[d] = new Date(plan.startMs + d * DAY_MS).toISOString().slice(0, 10);
  return labels;
}

/** Id digits: at least 6 (`APP-000001`), more when needed so ids still sort as text. */
function idWidth(rows: number): number {
  return Math.max(6, String(rows).length);
}
