import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { StringDictionary } from './string-dictionary.js';

describe('StringDictionary', () => {
  test('gives dense codes in first-seen order and the same code for the same text', () => {
    const dictionary = new StringDictionary();
    assert.deepEqual(
      ['b', 'a', 'b', '', 'a', 'ä', 'c'].map((t) => dictionary.codeOf(t)),
      [0, 1, 0, 2, 1, 3, 4],
    );
    assert.deepEqual(dictionary.values, ['b', 'a', '', 'ä', 'c']);
  });

  test('agrees with a Map through many growths', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ maxLength: 4 }), { maxLength: 3000 }), (texts) => {
        const dictionary = new StringDictionary();
        const reference = new Map<string, number>();
        for (const text of texts) {
          if (!reference.has(text)) reference.set(text, reference.size);
          assert.equal(dictionary.codeOf(text), reference.get(text));
        }
        assert.deepEqual(dictionary.values, [...reference.keys()]);
      }),
      { numRuns: 100 },
    );
    const dictionary = new StringDictionary();
    for (let i = 0; i < 200_000; i++) assert.equal(dictionary.codeOf(String(i)), i);
    for (let i = 0; i < 200_000; i += 997) assert.equal(dictionary.codeOf(String(i)), i);
    assert.equal(dictionary.values.length, 200_000);
  });
});
