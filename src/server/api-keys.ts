/**
 * API keys with roles. Keys come as `role:key,role:key` (`VIGIL_API_KEYS`), are kept only as
 * their sha256, and arrive on requests as `Authorization: Bearer KEY`.
 */
import { createHash } from 'node:crypto';
import { ConfigError, type Issue } from '../errors.js';
import { RequestError } from './http-errors.js';

/**
 * `scorer` posts events and labels; `analyst` reads decisions, metrics and entity profiles and
 * works alerts (list, acknowledge, resolve); `admin` does all.
 */
export const ROLES = ['scorer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** The environment variable holding the keys. */
export const API_KEYS_ENV = 'VIGIL_API_KEYS';
/** Shortest key accepted, in characters. */
export const MIN_API_KEY_LENGTH = 16;

/** Whether a key of role `has` may do what needs role `needs` (admin may do everything). */
export function roleAllows(has: Role, needs: Role): boolean {
  return has === 'admin' || has === needs;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The key of an `Authorization: Bearer KEY` header (scheme in any case, any spacing), or undefined. */
export function bearerKey(header: string | undefined): string | undefined {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/** The configured keys, by the sha256 of each key. */
/** Authorization headers remembered with their key's role; past this many the memory starts again. */
const KNOWN_HEADERS_MAX = 256;

export class ApiKeys {
  /**
   * Headers of known keys seen, with the key's role: a sha256 per request was ~3 % of the
   * service's thread at a few thousand requests a second. Only known keys are remembered (unknown
   * ones cannot fill it), in memory only; the keys themselves are in the process's memory anyway
   * (`VIGIL_API_KEYS` in its environment).
   */
  private readonly knownHeaders = new Map<string, Role>();

  private constructor(private readonly roles: ReadonlyMap<string, Role>) {}

  /**
   * Parses `role:key,role:key`. Every problem is reported at once, naming the entry by its
   * position and never echoing a key.
   *
   * @throws ConfigError `invalid_api_keys`
   * @example
   * const keys = ApiKeys.parse(process.env.VIGIL_API_KEYS ?? '');
   * keys.roleOf('s3cret-scorer-key-1');  // 'scorer'
   */
  static parse(text: string): ApiKeys {
    const roles = new Map<string, Role>();
    const issues: Issue[] = [];
    text
      .split(',')
      .map((entry) => entry.trim())
      .forEach((entry, i) => {
        if (entry === '') return;
        const colon = entry.indexOf(':');
        const role = colon < 0 ? entry : entry.slice(0, colon);
        const key = colon < 0 ? '' : entry.slice(colon + 1);
        const path = [API_KEYS_ENV, `entry ${i + 1}`];
        if (!(ROLES as readonly string[]).includes(role))
          issues.push({
            code: 'unknown_role',
            path,
            message: `the role must be one of ${ROLES.join(', ')} (entries are role:key)`,
          });
        else if (key.length < MIN_API_KEY_LENGTH)
          issues.push({ code: 'weak_key', path, message: `a key has at least ${MIN_API_KEY_LENGTH} characters` });
        else {
          const hash = sha256(key);
          const other = roles.get(hash);
          if (other !== undefined && other !== role)
            issues.push({ code: 'duplicate_key', path, message: `the same key is also given to ${other}` });
          else roles.set(hash, role as Role);
        }
      });
    if (issues.length > 0)
      throw new ConfigError('invalid_api_keys', `${API_KEYS_ENV} has ${issues.length} bad entr(ies)`, { issues });
    return new ApiKeys(roles);
  }

  /**
   * These keys and keys given by their sha256 (a config file's `apiKeys` / `apiKeysSha256`), as
   * new key set; `path` names an entry in messages.
   *
   * @throws ConfigError `invalid_api_keys` when a key is given two roles
   */
  withHashes(entries: readonly { role: Role; sha256: string; path: (string | number)[] }[]): ApiKeys {
    const roles = new Map(this.roles);
    const issues: Issue[] = [];
    for (const { role, sha256: hash, path } of entries) {
      const other = roles.get(hash);
      if (other !== undefined && other !== role)
        issues.push({ code: 'duplicate_key', path, message: `the same key is also given to ${other}` });
      else roles.set(hash, role);
    }
    if (issues.length > 0)
      throw new ConfigError('invalid_api_keys', `${issues.length} API key(s) given two roles`, { issues });
    return new ApiKeys(roles);
  }

  /** Keys configured. */
  get size(): number {
    return this.roles.size;
  }

  /** The role of a presented key, or undefined for an unknown key. */
  roleOf(key: string): Role | undefined {
    return this.roles.get(sha256(key));
  }

  /**
   * Who sent a request, for an audit trail (who acknowledged or resolved an alert) without
   * keeping the key: the role and the first 8 hex digits of the key's sha256, e.g.
   * `analyst:1a2b3c4d`. Undefined without a known key.
   */
  actorOf(header: string | undefined): string | undefined {
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (match === null) return undefined;
    const hash = sha256(match[1] as string);
    const role = this.roles.get(hash);
    return role === undefined ? undefined : `${role}:${hash.slice(0, 8)}`;
  }

  /**
   * Checks an `Authorization` header against the role a route needs.
   *
   * @throws RequestError `unauthenticated` (401) without a known bearer key, `forbidden` (403)
   *   when its role may not do this
   */
  authorise(header: string | undefined, needs: Role): Role {
    let role = header === undefined ? undefined : this.knownHeaders.get(header);
    if (role === undefined) {
      const key = bearerKey(header);
      if (key === undefined) throw new RequestError('unauthenticated', 'send an API key as Authorization: Bearer KEY');
      role = this.roleOf(key);
      if (role === undefined) throw new RequestError('unauthenticated', 'unknown API key');
      if (this.knownHeaders.size >= KNOWN_HEADERS_MAX) this.knownHeaders.clear();
      this.knownHeaders.set(header as string, role);
    }
    if (!roleAllows(role, needs))
      throw new RequestError('forbidden', `a ${role} key may not do this; it needs the ${needs} role (or admin)`);
    return role;
  }
}
