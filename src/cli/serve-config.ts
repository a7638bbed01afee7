/**
 * The `vigil serve --config FILE` file: JSON with the settings of the service. Flags given on the
 * command line win over it; every bad entry is listed with its path, never echoing a key.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, type Issue } from '../errors.js';
import { type EarlyWarningOptions, earlyWarningIssues } from '../monitoring/index.js';
import { MIN_API_KEY_LENGTH, type RateLimitOptions, ROLES, type Role, rateLimitIssues } from '../server/index.js';
import { AUDIT_DURABILITY, type AuditDurability } from '../store/index.js';

/** A config file, checked; paths are resolved against the file's directory. */
export interface ServeConfig {
  model?: string;
  db?: string;
  port?: number;
  host?: string;
  rules?: string;
  reviewFrom?: number;
  /** `apiKeys` (hashed here) and `apiKeysSha256`, each with the path of its entry. */
  apiKeys: { role: Role; sha256: string; path: (string | number)[] }[];
  bodyLimitBytes?: number;
  rateLimit?: RateLimitOptions;
  durability?: AuditDurability;
  maxLatenessSeconds?: number;
  /** Early-warning thresholds and windows (any of `EarlyWarningOptions`), or false for none. */
  earlyWarning?: EarlyWarningOptions | false;
  /** A model alert for every decline (default true). */
  modelAlerts?: boolean;
}

const FIELDS = [
  'model',
  'db',
  'port',
  'host',
  'rules',
  'reviewFrom',
  'apiKeys',
  'apiKeysSha256',
  'bodyLimitBytes',
  'rateLimit',
  'durability',
  'maxLatenessSeconds',
  'earlyWarning',
  'modelAlerts',
] as const;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a parsed config file; relative paths (`model`, `db`, `rules`) are taken from `dir`.
 *
 * @throws ConfigError `invalid_config` listing every problem with its path
 */
export function parseServeConfig(json: unknown, dir: string): ServeConfig {
  const issues: Issue[] = [];
  const config: ServeConfig = { apiKeys: [] };
  if (!isObject(json))
    throw new ConfigError('invalid_config', 'the config file is a JSON object', {
      issues: [{ code: 'invalid_type', path: [], message: 'the config file is a JSON object {model, db, port, …}' }],
    });
  for (const key of Object.keys(json))
    if (!(FIELDS as readonly string[]).includes(key))
      issues.push({ code: 'unknown_field', path: [key], message: `${key} is not a setting (${FIELDS.join(', ')})` });

  for (const key of ['model', 'db', 'rules', 'host'] as const) {
    const v = json[key];
    if (v === undefined) continue;
    if (typeof v !== 'string' || v === '')
      issues.push({ code: 'invalid_type', path: [key], message: `${key} is a non-empty string` });
    else config[key] = key === 'host' ? v : resolve(dir, v);
  }
  const { port, reviewFrom, bodyLimitBytes } = json;
  if (port !== undefined) {
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535)
      issues.push({ code: 'out_of_range', path: ['port'], message: 'port is an integer from 0 to 65535' });
    else config.port = port;
  }
  if (reviewFrom !== undefined) {
    if (typeof reviewFrom !== 'number' || !Number.isFinite(reviewFrom))
      issues.push({ code: 'invalid_type', path: ['reviewFrom'], message: 'reviewFrom is a score (a number)' });
    else config.reviewFrom = reviewFrom;
  }
  if (bodyLimitBytes !== undefined) {
    if (typeof bodyLimitBytes !== 'number' || !Number.isInteger(bodyLimitBytes) || bodyLimitBytes < 1024)
      issues.push({ code: 'out_of_range', path: ['bodyLimitBytes'], message: 'bodyLimitBytes is an integer ≥ 1024' });
    else config.bodyLimitBytes = bodyLimitBytes;
  }
  const { durability, maxLatenessSeconds } = json;
  if (durability !== undefined) {
    if (!(AUDIT_DURABILITY as readonly unknown[]).includes(durability))
      issues.push({
        code: 'invalid_value',
        path: ['durability'],
        message: `durability is one of ${AUDIT_DURABILITY.join(', ')}`,
      });
    else config.durability = durability as AuditDurability;
  }
  if (maxLatenessSeconds !== undefined) {
    if (typeof maxLatenessSeconds !== 'number' || !Number.isFinite(maxLatenessSeconds) || maxLatenessSeconds < 0)
      issues.push({
        code: 'out_of_range',
        path: ['maxLatenessSeconds'],
        message: 'maxLatenessSeconds is a number ≥ 0',
      });
    else config.maxLatenessSeconds = maxLatenessSeconds;
  }
  const { earlyWarning, modelAlerts } = json;
  if (earlyWarning === false) config.earlyWarning = false;
  else if (earlyWarning !== undefined) {
    const found = earlyWarningIssues(earlyWarning, ['earlyWarning']);
    if (found.length > 0) issues.push(...found);
    else config.earlyWarning = earlyWarning as EarlyWarningOptions;
  }
  if (modelAlerts !== undefined) {
    if (typeof modelAlerts !== 'boolean')
      issues.push({ code: 'invalid_type', path: ['modelAlerts'], message: 'modelAlerts is true or false' });
    else config.modelAlerts = modelAlerts;
  }
  if (json.rateLimit !== undefined) {
    const found = rateLimitIssues(json.rateLimit, ['rateLimit']);
    if (found.length > 0) issues.push(...found);
    else config.rateLimit = json.rateLimit as unknown as RateLimitOptions;
  }

  const keyEntries = (field: 'apiKeys' | 'apiKeysSha256', secret: 'key' | 'sha256') => {
    const list = json[field];
    if (list === undefined) return;
    if (!Array.isArray(list)) {
      issues.push({ code: 'invalid_type', path: [field], message: `${field} is an array of {role, ${secret}}` });
      return;
    }
    list.forEach((entry, i) => {
      const path = [field, i];
      if (!isObject(entry)) {
        issues.push({ code: 'invalid_type', path, message: `an entry is {role, ${secret}}` });
        return;
      }
      for (const k of Object.keys(entry))
        if (k !== 'role' && k !== secret)
          issues.push({ code: 'unknown_field', path: [...path, k], message: `${k} is not a field (role, ${secret})` });
      const { role } = entry;
      const value = entry[secret];
      let ok = true;
      if (!(ROLES as readonly unknown[]).includes(role)) {
        issues.push({ code: 'unknown_role', path: [...path, 'role'], message: `role is one of ${ROLES.join(', ')}` });
        ok = false;
      }
      if (secret === 'key' && (typeof value !== 'string' || value.length < MIN_API_KEY_LENGTH)) {
        issues.push({
          code: value === undefined ? 'missing_field' : 'weak_key',
          path: [...path, 'key'],
          message: `a key is a string of at least ${MIN_API_KEY_LENGTH} characters`,
        });
        ok = false;
      }
      if (secret === 'sha256' && (typeof value !== 'string' || !/^[0-9a-fA-F]{64}$/.test(value))) {
        issues.push({
          code: value === undefined ? 'missing_field' : 'invalid_format',
          path: [...path, 'sha256'],
          message: 'sha256 is the key’s SHA-256 in 64 hex digits (printf %s "$KEY" | sha256sum)',
        });
        ok = false;
      }
      if (!ok) return;
      const sha256 =
        secret === 'key'
          ? createHash('sha256')
              .update(value as string)
              .digest('hex')
          : (value as string).toLowerCase();
      config.apiKeys.push({ role: role as Role, sha256, path });
    });
  };
  keyEntries('apiKeys', 'key');
  keyEntries('apiKeysSha256', 'sha256');

  if (issues.length > 0)
    throw new ConfigError('invalid_config', `the config file has ${issues.length} problem(s)`, { issues });
  return config;
}

/**
 * Reads and checks a config file.
 *
 * @throws ConfigError `unreadable_config` (missing, not JSON), `invalid_config`
 */
export async function readServeConfig(path: string): Promise<ServeConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, 'utf8'));
  } catch (cause) {
    throw new ConfigError('unreadable_config', `cannot read the config file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  try {
    return parseServeConfig(json, dirname(resolve(path)));
  } catch (error) {
    if (error instanceof ConfigError)
      throw new ConfigError(error.code, `${path}: ${error.message}`, { issues: error.issues, cause: error });
    throw error;
  }
}
