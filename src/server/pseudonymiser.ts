/**
 * Pseudonymisation of personal identifiers at intake (customer or card id, IP address, device
 * id): each is replaced by a keyed HMAC before it reaches the feature state, the audit store or a
 * log, so raw values are never kept. Equal values get equal pseudonyms under one key, which is all
 * the features need (counts, first use, distinct values), so scores do not change.
 */
import { createHmac } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** The event fields holding personal identifiers, pseudonymised at intake. */
export const PERSONAL_FIELDS = ['customerId', 'ipAddress', 'deviceId'] as const;
export type PersonalField = (typeof PERSONAL_FIELDS)[number];

/** The environment variable holding the key. */
export const PSEUDONYM_KEY_ENV = 'VIGIL_PSEUDONYM_KEY';
/** Shortest key accepted, in characters (e.g. `openssl rand -hex 32` gives 64). */
export const MIN_PSEUDONYM_KEY_LENGTH = 32;

/**
 * Pseudonyms remembered, per pseudonymiser. An HMAC costs a few µs, and the same cards, IPs and
 * devices come back all day; the cache holds the most recently used values in memory only (a
 * bounded map, least recently used out first), never on disk or in a log.
 */
export const PSEUDONYM_CACHE_ENTRIES = 65_536;

export interface Pseudonymiser {
  /** The pseudonym of `value` as a `field`: 32 hex digits of HMAC-SHA256(key, field ":" value). */
  pseudonymise(field: PersonalField, value: string): string;
  /** HMAC of a fixed text under the key: tells keys apart without revealing them. */
  keyFingerprint: string;
}

/**
 * A pseudonymiser with `key`.
 *
 * @throws ConfigError `weak_pseudonym_key` for a key shorter than {@link MIN_PSEUDONYM_KEY_LENGTH}
 * @example
 * const { pseudonymise } = createPseudonymiser(process.env.VIGIL_PSEUDONYM_KEY ?? '');
 * pseudonymise('customerId', '4111-1111');  // '9c1f…' (32 hex digits)
 */
export function createPseudonymiser(key: string): Pseudonymiser {
  if (key.length < MIN_PSEUDONYM_KEY_LENGTH)
    throw new ConfigError(
      'weak_pseudonym_key',
      `the pseudonymisation key (${PSEUDONYM_KEY_ENV}) must have at least ${MIN_PSEUDONYM_KEY_LENGTH} characters, e.g. from openssl rand -hex 32`,
    );
  const hmac = (text: string) => createHmac('sha256', key).update(text).digest('hex');
  const cache = new Map<string, string>();
  return {
    pseudonymise: (field, value) => {
      const text = `${field}:${value}`;
      const known = cache.get(text);
      if (known !== undefined) {
        // Most recently used last: Map keeps insertion order, so the first key is the eldest.
        cache.delete(text);
        cache.set(text, known);
        return known;
      }
      const pseudonym = hmac(text).slice(0, 32);
      if (cache.size >= PSEUDONYM_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
      cache.set(text, pseudonym);
      return pseudonym;
    },
    keyFingerprint: hmac('vigil pseudonym key fingerprint').slice(0, 16),
  };
}
