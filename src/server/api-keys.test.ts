import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApiKeys } from './api-keys.js';

const SCORER = 'scorer-key-0123456789';
const ANALYST = 'analyst-key-0123456789';

test('authorise: roles checked on every request, the second time from the remembered header as the first', () => {
  const keys = ApiKeys.parse(`scorer:${SCORER},analyst:${ANALYST}`);
  for (let round = 0; round < 2; round++) {
    assert.equal(keys.authorise(`Bearer ${SCORER}`, 'scorer'), 'scorer');
    assert.throws(() => keys.authorise(`Bearer ${SCORER}`, 'analyst'), { code: 'forbidden' });
    assert.equal(keys.authorise(`bearer   ${ANALYST} `, 'analyst'), 'analyst');
    assert.throws(() => keys.authorise('Bearer not-a-key-0123456789', 'scorer'), { code: 'unauthenticated' });
    assert.throws(() => keys.authorise(undefined, 'scorer'), { code: 'unauthenticated' });
    assert.throws(() => keys.authorise(SCORER, 'scorer'), { code: 'unauthenticated' });
  }
});

test('authorise: many distinct headers of known keys (the memory starts again) and unknown ones never pass', () => {
  const keys = ApiKeys.parse(`scorer:${SCORER}`);
  for (let i = 0; i < 600; i++) {
    assert.equal(keys.authorise(`Bearer ${SCORER}${' '.repeat(i % 300)}`, 'scorer'), 'scorer');
    assert.throws(() => keys.authorise(`Bearer unknown-${i}-0123456789`, 'scorer'), { code: 'unauthenticated' });
  }
});
