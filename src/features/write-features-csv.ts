import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { ReplayResult } from './replay.js';
import type { TransactionColumns } from './transactions-from-csv.js';

/** Rows per chunk handed to the stream: big enough to be fast, small enough to keep memory flat. */
const ROWS_PER_CHUNK = 8192;

/**
 * Writes replayed features as CSV (gzip when the path ends in .gz): the transaction id, the
 * features in spec order and, when the data has labels, `label`. Values are written as
 * JavaScript prints doubles, so reading them back gives exactly the computed numbers.
 */
export async function writeFeaturesCsv(path: string, tx: TransactionColumns, replay: ReplayResult): Promise<void> {
  const nCols = replay.featureNames.length;
  const quote = (s: string) => (/[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s);
  const header = ['id', ...replay.featureNames, ...(tx.labels ? ['label'] : [])].map(quote).join(',');
  async function* lines() {
    yield `${header}\n`;
    for (let start = 0; start < tx.nRows; start += ROWS_PER_CHUNK) {
      const parts: string[] = [];
      for (let i = start; i < Math.min(tx.nRows, start + ROWS_PER_CHUNK); i++) {
        const values = Array.from(replay.features.subarray(i * nCols, (i + 1) * nCols), String);
        if (tx.labels) values.push(String(tx.labels[i]));
        parts.push(`${quote(tx.ids[i] as string)},${values.join(',')}\n`);
      }
      yield parts.join('');
    }
  }
  const file = createWriteStream(path);
  if (path.endsWith('.gz')) await pipeline(lines, createGzip(), file);
  else await pipeline(lines, file);
}
