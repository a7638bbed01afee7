import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DataError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { fingerprintFile } from './fingerprint.js';

describe('fingerprintFile', () => {
  test('is the sha256 of the file bytes, streamed', async () => {
    for (const path of [`${SHARED_DATA}/german_credit.csv`, `${SHARED_DATA}/fraud_sim/sample_2w.csv`]) {
      const expected = createHash('sha256').update(readFileSync(path)).digest('hex');
      assert.equal(await fingerprintFile(path), expected);
    }
  });

  test('matches the md5-documented file by content: different files differ', async () => {
    const a = await fingerprintFile(`${SHARED_DATA}/german_credit.csv`);
    const b = await fingerprintFile(`${SHARED_DATA}/taiwan_credit.csv`);
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.notEqual(a, b);
  });

  test('a missing file is file_not_found', async () => {
    await assert.rejects(
      fingerprintFile(`${SHARED_DATA}/nope.csv`),
      (e: unknown) => e instanceof DataError && e.code === 'file_not_found',
    );
  });
});
