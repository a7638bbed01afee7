import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { createPseudonymiser, PSEUDONYM_CACHE_ENTRIES } from './pseudonymiser.js';

const KEY = 'pseudonym-test-key-'.repeat(3);
const direct = (field: string, value: string) =>
  createHmac('sha256', KEY).update(`${field}:${value}`).digest('hex').slice(0, 32);

test('pseudonyms are the keyed HMAC of field and value, the same from the cache and after eviction', () => {
  const { pseudonymise } = createPseudonymiser(KEY);
  assert.equal(pseudonymise('customerId', 'c1'), direct('customerId', 'c1'));
  // Cached answer equals the first.
  assert.equal(pseudonymise('customerId', 'c1'), direct('customerId', 'c1'));
  // The field is part of the input: one value as IP and as device gives two pseudonyms.
  assert.notEqual(pseudonymise('ipAddress', '10.0.0.1'), pseudonymise('deviceId', '10.0.0.1'));
  // More distinct values than the cache holds: every answer still the HMAC, old ones included.
  for (let i = 0; i < PSEUDONYM_CACHE_ENTRIES + 100; i++) pseudonymise('deviceId', `d${i}`);
  for (const i of [0, 1, 50, PSEUDONYM_CACHE_ENTRIES + 99])
    assert.equal(pseudonymise('deviceId', `d${i}`), direct('deviceId', `d${i}`));
  assert.equal(pseudonymise('customerId', 'c1'), direct('customerId', 'c1'));
});

test('another key gives other pseudonyms; a short key is refused', () => {
  const a = createPseudonymiser(KEY);
  const b = createPseudonymiser(`${KEY}x`);
  assert.notEqual(a.pseudonymise('customerId', 'c1'), b.pseudonymise('customerId', 'c1'));
  assert.notEqual(a.keyFingerprint, b.keyFingerprint);
  assert.throws(
    () => createPseudonymiser('short'),
    (e: { code?: string }) => e.code === 'weak_pseudonym_key',
  );
});
