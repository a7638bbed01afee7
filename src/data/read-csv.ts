import type { FileHandle } from 'node:fs/promises';
import { open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { ConfigError, DataError, type Issue } from '../errors.js';
import { type CsvRecords, CsvTextParser } from './csv-text-parser.js';

/** The delimiters Vigil detects on its own. */
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;

/** Options for {@link readCsv}. */
export interface ReadCsvOptions {
  /** One character; detected among {@link CSV_DELIMITERS} from the first lines when omitted. */
  delimiter?: string;
  /** Records per batch (default 10,000); bounds memory when streaming millions of rows. */
  batchSize?: number;
  /**
   * Called with every chunk of the file as stored (still gzip-compressed for `.gz`), e.g. to hash
   * the file or report progress in the same pass.
   */
  onRawBytes?: (chunk: Buffer) => void;
}

/** A batch of raw records, in file order. */
export interface CsvBatch {
  /** Column names from the header line. */
  header: string[];
  /** The delimiter in use (given or detected). */
  delimiter: string;
  /** Raw cell text; a record may have more or fewer fields than the header (a ragged row). */
  records: string[][];
  /** The 1-based file line each record starts on; the header is line 1. */
  lines: number[];
}

const DEFAULT_BATCH_SIZE = 10_000;
const READ_CHUNK_BYTES = 1 << 18;
// Delimiter detection looks at the header and up to this many lines after it.
const SNIFF_LINES = 20;
const SNIFF_MAX_CHARS = 1 << 16;

interface DelimiterGuess {
  delimiter: string;
  headerFields: number;
  consistent: boolean;
}

function guessWith(sample: string, delimiter: string, final: boolean, source: string): DelimiterGuess | undefined {
  const out: CsvRecords = { records: [], lines: [] };
  try {
    new CsvTextParser(delimiter, source).push(sample, final, out);
  } catch {
    // Quotes that do not parse with this delimiter mean it is not the file's delimiter.
    return undefined;
  }
  const header = out.records[0];
  if (header === undefined) return undefined;
  const consistent = out.records.every((r) => r.length === header.length);
  return { delimiter, headerFields: header.length, consistent };
}

/**
 * Picks the delimiter among {@link CSV_DELIMITERS} that splits the header into the most fields while
 * splitting every sampled line into the same number; ties go to the earlier one in the list.
 * @param sample the start of the file: the header and a few lines
 * @param final true when the sample is the whole file (its last line may lack a line break)
 */
export function detectDelimiter(sample: string, final = true): string {
  // A delimiter that splits every sampled line alike beats any that does not; then more fields win.
  const score = (g: DelimiterGuess): number => (g.consistent && g.headerFields > 1 ? 1e9 : 0) + g.headerFields;
  let best: DelimiterGuess | undefined;
  for (const delimiter of CSV_DELIMITERS) {
    const guess = guessWith(sample, delimiter, final, 'sample');
    if (guess !== undefined && (best === undefined || score(guess) > score(best))) best = guess;
  }
  return best?.delimiter ?? ',';
}

/**
 * The delimiter to read with: the given one, unless it leaves the header a single column that another
 * candidate splits (then `wrong_delimiter`, naming the one that works), or the detected one.
 */
function chooseDelimiter(sniff: string, whole: boolean, given: string | undefined, path: string): string {
  const detected = detectDelimiter(sniff, whole);
  if (given === undefined || given === detected) return detected;
  const withGiven = guessWith(sniff, given, whole, path);
  const withDetected = guessWith(sniff, detected, whole, path);
  if (withGiven?.headerFields !== 1 || withDetected === undefined || withDetected.headerFields < 2) return given;
  const columns = withDetected.headerFields;
  throw new DataError(
    'wrong_delimiter',
    `${path} line 1: the header is a single column when split on ${describeDelimiter(given)}, ` +
      `but splits into ${columns} columns on ${describeDelimiter(detected)}; use delimiter ${describeDelimiter(detected)}`,
    {
      issues: [
        {
          code: 'wrong_delimiter',
          path: ['line 1'],
          message: `header splits into ${columns} columns on ${describeDelimiter(detected)}`,
        },
      ],
    },
  );
}

function describeDelimiter(d: string): string {
  return d === '\t' ? 'tab' : `'${d}'`;
}

function checkDelimiterOption(delimiter: string): void {
  if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
    throw new ConfigError(
      'invalid_delimiter',
      `delimiter must be one character other than a quote or line break, got ${JSON.stringify(delimiter)}`,
    );
  }
}

function checkHeader(header: string[], line: number, source: string): void {
  const issues: Issue[] = [];
  const seen = new Map<string, number[]>();
  header.forEach((name, index) => {
    if (name.trim() === '') {
      issues.push({
        code: 'empty_column_name',
        path: [`line ${line}`, `column ${index + 1}`],
        message: `column ${index + 1} has no name`,
      });
      return;
    }
    const at = seen.get(name);
    if (at === undefined) seen.set(name, [index + 1]);
    else at.push(index + 1);
  });
  for (const [name, positions] of seen) {
    if (positions.length < 2) continue;
    issues.push({
      code: 'duplicate_column',
      path: [`line ${line}`, name],
      message: `column name ${JSON.stringify(name)} is used ${positions.length} times (columns ${positions.join(', ')})`,
    });
  }
  if (issues.length === 0) return;
  const first = issues[0] as Issue;
  const code = issues.every((i) => i.code === first.code) ? first.code : 'invalid_header';
  throw new DataError(code, `${source} line ${line}: invalid header; ${first.message}`, { issues });
}

/** Byte offset of the first malformed UTF-8 sequence (complete input assumed), or -1. */
function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i] as number;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) {
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      min = 0x10000;
    } else {
      return i;
    }
    if (i + need >= n) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k] as number;
      if ((c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/** Length of a UTF-8 sequence cut off at the end of `bytes` (0–3), which the decoder carries over. */
function cutSequenceLength(bytes: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, bytes.length); back++) {
    const b = bytes[bytes.length - back] as number;
    if ((b & 0xc0) === 0x80) continue;
    const length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : b >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

function encodingError(source: string, line: number): DataError {
  return new DataError(
    'invalid_encoding',
    `${source} line ${line}: bytes that are not valid UTF-8; save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)`,
  );
}

function openError(path: string, error: unknown): DataError {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DataError('file_not_found', `${path}: no such file`, { cause: error });
  return new DataError('unreadable_file', `${path}: cannot read the file (${code ?? String(error)})`, {
    cause: error,
  });
}

/**
 * Streams a CSV file (plain or gzip, recognised by its magic bytes) as batches of raw records.
 * Memory stays bounded by `batchSize`, so millions of rows can be scored without loading the file.
 * A UTF-8 byte-order mark is dropped; blank lines are skipped.
 *
 * Throws `DataError` with code `file_not_found`, `empty_file`, `no_rows` (header only),
 * `invalid_encoding`, `invalid_gzip`, `wrong_delimiter`, `duplicate_column`, `empty_column_name`,
 * `unterminated_quote`, `invalid_quote` or `unsupported_line_endings`. Ragged rows are passed through
 * for the caller to report with their line numbers.
 *
 * @example
 * for await (const batch of readCsv('transactions.csv.gz')) {
 *   const { table, issues } = tableFromRecords(batch.header, batch.records, schema, batch.lines);
 * }
 */
export async function* readCsv(path: string, options: ReadCsvOptions = {}): AsyncGenerator<CsvBatch> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new ConfigError('invalid_batch_size', `batchSize must be a positive integer, got ${batchSize}`);
  }
  if (options.delimiter !== undefined) checkDelimiterOption(options.delimiter);

  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw openError(path, error);
  }
  const streams: { destroy(): void }[] = [];
  try {
    const magic = Buffer.alloc(2);
    let bytesRead: number;
    try {
      ({ bytesRead } = await handle.read(magic, 0, 2, 0));
    } catch (error) {
      throw openError(path, error);
    }
    if (bytesRead === 0) throw new DataError('empty_file', `${path}: the file is empty`);
    const gzipped = magic[0] === 0x1f && magic[1] === 0x8b;

    const raw = handle.createReadStream({ start: 0, highWaterMark: READ_CHUNK_BYTES, autoClose: false });
    streams.push(raw);
    const onRawBytes = options.onRawBytes;
    let chunks: AsyncIterable<Buffer> = raw;
    if (onRawBytes !== undefined) {
      chunks = (async function* tap() {
        for await (const chunk of raw as AsyncIterable<Buffer>) {
          onRawBytes(chunk);
          yield chunk;
        }
      })();
    }
    if (gzipped) {
      const source = Readable.from(chunks);
      const gunzip = createGunzip({ chunkSize: READ_CHUNK_BYTES });
      streams.push(source, gunzip);
      // Errors end up on `gunzip`, whose iteration below rethrows them.
      chunks = pipeline(source, gunzip, () => {});
    }

    const decoder = new TextDecoder('utf-8', { fatal: true });
    let firstBytes = true;
    let sample = '';
    let parser: CsvTextParser | undefined;
    let header: string[] | undefined;
    let delimiter = options.delimiter ?? ',';
    let previousChunk: Uint8Array = new Uint8Array(0);
    let rowCount = 0;
    let batch: CsvRecords = { records: [], lines: [] };

    const linesReadSoFar = (): number => (parser === undefined ? 1 + countChar(sample, '\n') : parser.currentLine());

    const decode = (chunk: Uint8Array | undefined): string => {
      try {
        return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
      } catch {
        let line = linesReadSoFar();
        if (chunk !== undefined) {
          const carried = cutSequenceLength(previousChunk);
          const joined = Buffer.concat([previousChunk.subarray(previousChunk.length - carried), chunk]);
          const bad = firstInvalidUtf8(joined);
          if (bad > 0) line += countByte(joined, 0x0a, bad);
        }
        throw encodingError(path, line);
      }
    };

    // Sets up the parser once the header and a few lines are in `sample`; returns false to wait for more.
    const start = (final: boolean): boolean => {
      if (!final && sample.length < SNIFF_MAX_CHARS && countChar(sample, '\n', SNIFF_LINES + 1) <= SNIFF_LINES) {
        return false;
      }
      if (sample.trim() === '') throw new DataError('empty_file', `${path}: the file has no header line`);
      if (!sample.includes('\n') && sample.indexOf('\r') !== sample.lastIndexOf('\r')) {
        throw new DataError(
          'unsupported_line_endings',
          `${path}: lines end in a bare carriage return (old Mac style); convert them to LF or CRLF`,
        );
      }
      const sniff = sample.length > SNIFF_MAX_CHARS ? sample.slice(0, SNIFF_MAX_CHARS) : sample;
      delimiter = chooseDelimiter(sniff, final && sniff.length === sample.length, options.delimiter, path);
      parser = new CsvTextParser(delimiter, path);
      const text = sample;
      sample = '';
      parser.push(text, final, batch);
      return true;
    };

    // Takes the header off the first parsed record and yields full batches.
    const takeBatches = function* (final: boolean): Generator<CsvBatch> {
      if (header === undefined) {
        const first = batch.records.shift();
        const firstLine = batch.lines.shift();
        if (first === undefined || firstLine === undefined) return;
        checkHeader(first, firstLine, path);
        header = first;
      }
      while (batch.records.length >= batchSize || (final && batch.records.length > 0)) {
        let { records, lines } = batch;
        if (records.length > batchSize) {
          records = records.splice(0, batchSize);
          lines = lines.splice(0, batchSize);
        } else {
          batch = { records: [], lines: [] };
        }
        rowCount += records.length;
        yield { header, delimiter, records, lines };
      }
    };

    for await (const chunk of chunks) {
      if (firstBytes) {
        firstBytes = false;
        if ((chunk[0] === 0xff && chunk[1] === 0xfe) || (chunk[0] === 0xfe && chunk[1] === 0xff)) {
          throw new DataError('invalid_encoding', `${path}: the file is UTF-16; save it as UTF-8`);
        }
      }
      const text = decode(chunk);
      previousChunk = chunk;
      if (parser === undefined) {
        sample += text;
        if (!start(false)) continue;
      } else {
        parser.push(text, false, batch);
      }
      yield* takeBatches(false);
    }
    const rest = decode(undefined);
    if (parser === undefined) {
      sample += rest;
      start(true);
    } else {
      parser.push(rest, true, batch);
    }
    yield* takeBatches(true);
    if (header === undefined) throw new DataError('empty_file', `${path}: the file has no header line`);
    if (rowCount === 0) throw new DataError('no_rows', `${path}: the file has a header but no data rows`);
  } catch (error) {
    throw gzipError(path, error);
  } finally {
    for (const stream of streams) stream.destroy();
    await handle.close();
  }
}

function gzipError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (typeof code === 'string' && code.startsWith('Z_')) {
    return new DataError(
      'invalid_gzip',
      `${path}: the gzip data is corrupt or truncated (${(error as Error).message})`,
      {
        cause: error,
      },
    );
  }
  return error;
}

function countChar(s: string, char: string, stopAt = Number.POSITIVE_INFINITY): number {
  let count = 0;
  let i = s.indexOf(char);
  while (i !== -1 && count < stopAt) {
    count++;
    i = s.indexOf(char, i + 1);
  }
  return count;
}

function countByte(bytes: Uint8Array, byte: number, end: number): number {
  let count = 0;
  for (let i = 0; i < end; i++) if (bytes[i] === byte) count++;
  return count;
}
