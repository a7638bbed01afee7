import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { DataError } from '../errors.js';

/**
 * The sha256 (hex) of a file's bytes, read as a stream so large files cost no memory. Bundles
 * record it so a report can say exactly which file a model was trained or scored on.
 * @example await fingerprintFile('german_credit.csv') // '3b1f…' (64 hex digits)
 */
export async function fingerprintFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 18 })) hash.update(chunk as Buffer);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new DataError('file_not_found', `${path}: no such file`, { cause: error });
    throw new DataError('unreadable_file', `${path}: cannot read the file (${code ?? String(error)})`, {
      cause: error,
    });
  }
  return hash.digest('hex');
}
