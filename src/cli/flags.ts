import { ConfigError } from '../errors.js';

/** Parses an integer flag, naming the flag in the error. */
export function parseIntegerFlag(
  flag: string,
  raw: string,
  { min = Number.NEGATIVE_INFINITY, max = Number.POSITIVE_INFINITY } = {},
): number {
  const value = Number(raw);
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range =
      max < Number.POSITIVE_INFINITY ? ` from ${min} to ${max}` : min > Number.NEGATIVE_INFINITY ? ` ≥ ${min}` : '';
    throw new ConfigError('invalid_flag', `${flag} must be an integer${range}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Parses a number flag strictly inside (low, high). */
export function parseFractionFlag(flag: string, raw: string): number {
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value <= 0 || value >= 1) {
    throw new ConfigError(
      'invalid_flag',
      `${flag} must be a number between 0 and 1 (exclusive), got ${JSON.stringify(raw)}`,
    );
  }
  return value;
}
