/**
 * Per-key rate limits: a token bucket per API key, in memory. Each request takes a token; a
 * bucket holds at most `burst` and refills at `perKeyPerSecond`. An empty bucket is a 429
 * `rate_limited` with `Retry-After` (whole seconds until a token is back).
 */
import { ConfigError, type Issue } from '../errors.js';
import { RequestError } from './http-errors.js';

export interface RateLimitOptions {
  /** Sustained requests per second per key. */
  perKeyPerSecond: number;
  /** Requests a key may send at once after a quiet spell (the bucket size). */
  burst: number;
}

/** A 429: the key's bucket is empty. */
export class RateLimitedError extends RequestError {
  constructor(readonly retryAfterSeconds: number) {
    super('rate_limited', `too many requests for this API key: retry in ${retryAfterSeconds} s`);
  }
}

/** Every problem of rate limit options, paths under `path`. */
export function rateLimitIssues(value: unknown, path: (string | number)[] = ['rateLimit']): Issue[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return [{ code: 'invalid_type', path, message: 'rateLimit is an object {perKeyPerSecond, burst}' }];
  const issues: Issue[] = [];
  const { perKeyPerSecond, burst, ...rest } = value as Record<string, unknown>;
  for (const key of Object.keys(rest))
    issues.push({ code: 'unknown_field', path: [...path, key], message: `${key} is not a field of rateLimit` });
  if (typeof perKeyPerSecond !== 'number' || !Number.isFinite(perKeyPerSecond) || perKeyPerSecond <= 0)
    issues.push({
      code: perKeyPerSecond === undefined ? 'missing_field' : 'out_of_range',
      path: [...path, 'perKeyPerSecond'],
      message: 'perKeyPerSecond is a number > 0',
    });
  if (typeof burst !== 'number' || !Number.isInteger(burst) || burst < 1)
    issues.push({
      code: burst === undefined ? 'missing_field' : 'out_of_range',
      path: [...path, 'burst'],
      message: 'burst is an integer ≥ 1',
    });
  return issues;
}

/** Buckets kept before idle (full) ones are dropped; keys are configured ones, so this is rarely reached. */
const MAX_BUCKETS = 10_000;

/** Token buckets by key (the sha256 of an API key, never the key). */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; atMs: number }>();

  /** @throws ConfigError `invalid_rate_limit` */
  constructor(
    private readonly options: RateLimitOptions,
    private readonly nowMs: () => number = Date.now,
  ) {
    const issues = rateLimitIssues(options);
    if (issues.length > 0) throw new ConfigError('invalid_rate_limit', 'bad rate limit options', { issues });
  }

  /**
   * Takes a token from `key`'s bucket.
   *
   * @throws RateLimitedError when it is empty
   */
  take(key: string): void {
    const { perKeyPerSecond, burst } = this.options;
    const now = this.nowMs();
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= MAX_BUCKETS) this.dropFull(now);
      bucket = { tokens: burst, atMs: now };
      this.buckets.set(key, bucket);
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.atMs) / 1000) * perKeyPerSecond);
      bucket.atMs = now;
    }
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return;
    }
    throw new RateLimitedError(Math.max(1, Math.ceil((1 - bucket.tokens) / perKeyPerSecond)));
  }

  private dropFull(now: number): void {
    const { perKeyPerSecond, burst } = this.options;
    for (const [key, b] of this.buckets)
      if (b.tokens + ((now - b.atMs) / 1000) * perKeyPerSecond >= burst) this.buckets.delete(key);
  }
}
