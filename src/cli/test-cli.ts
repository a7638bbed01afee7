// Test support for the CLI suites: run `vigil` in-process and capture what it prints.
import assert from 'node:assert/strict';
import { main } from './main.js';
import type { CliIO } from './output.js';

/** What one `vigil` invocation returned and printed. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `vigil ...args` in this process with captured output (no TTY). */
export async function runVigil(...args: string[]): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = { stdout: (t) => void (stdout += t), stderr: (t) => void (stderr += t), isTTY: false };
  const code = await main(['node', 'vigil', ...args], io);
  return { code, stdout, stderr };
}

/** Errors reach users as one message; a stack trace only with --verbose. */
export function assertNoStack(run: CliRun): void {
  assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace without --verbose');
}
