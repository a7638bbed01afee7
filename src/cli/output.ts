import { formatIssues, VigilError } from '../errors.js';

/** Where the CLI writes; injectable so tests can capture output without spawning a process. */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress bars only then). */
  isTTY: boolean;
}

/**
 * Writes to the process's stdout and stderr. A reader that went away (a closed pipe: `vigil serve |
 * head`, a supervisor that died) makes later writes fail with EPIPE; that must not bring down a
 * running service, so such errors are dropped, and the output with them.
 */
export const processIO: CliIO = {
  stdout: (text) => write(process.stdout, text),
  stderr: (text) => write(process.stderr, text),
  isTTY: Boolean(process.stderr.isTTY),
};

const guarded = new WeakSet<NodeJS.WriteStream>();

function write(stream: NodeJS.WriteStream, text: string): void {
  if (!guarded.has(stream)) {
    guarded.add(stream);
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
  stream.write(text);
}

/** Renders rows as an aligned plain-text table (numbers right-aligned). */
export function formatTable(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? formatNumber(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[], isHeader: boolean) =>
    r
      .map((c, i) => {
        const text = String(c ?? '');
        const numeric = !isHeader && typeof rows[0]?.[i] === 'number';
        return numeric ? text.padStart(widths[i] as number) : text.padEnd(widths[i] as number);
      })
      .join('  ')
      .trimEnd();
  const rule = widths.map((w) => '─'.repeat(w)).join('  ');
  return [line(header, true), rule, ...cells.slice(1).map((r) => line(r, false))].join('\n');
}

/** Four significant decimals for metrics; integers as they are. */
export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  if (!Number.isFinite(value)) return String(value);
  return value.toFixed(4);
}

/**
 * Prints an error the way users should see it: one line with the message, the list of issues
 * when there are several, and a stack trace only with --verbose.
 */
export function reportError(io: CliIO, error: unknown, verbose: boolean): number {
  if (error instanceof VigilError) {
    io.stderr(`vigil: error: ${error.message}\n`);
    if (error.issues.length > 0) io.stderr(`${formatIssues(error.issues)}\n`);
    if (verbose && error.stack) io.stderr(`${error.stack}\n`);
    return error.code === 'invalid_flag' || error.code === 'usage' ? 2 : 1;
  }
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`vigil: internal error: ${message}\n`);
  if (verbose && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  else io.stderr('(run again with --verbose for the stack trace)\n');
  return 1;
}
