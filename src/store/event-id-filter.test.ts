import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventIdFilter } from './event-id-filter.js';

test('every id added is found; ids never added are mostly absent, within the stated rate across layers', () => {
  const filter = new EventIdFilter(2048, 0.01);
  const n = 50_000;
  for (let i = 0; i < n; i++) filter.add(`tx${i}`);
  for (let i = 0; i < n; i++) assert.equal(filter.mightContain(`tx${i}`), true);
  assert.equal(filter.size, n);
  let falsePositives = 0;
  const probes = 100_000;
  for (let i = 0; i < probes; i++) if (filter.mightContain(`other-${i}`)) falsePositives++;
  // Layers of 2,048, 4,096, … at 1 %, 0.8 %, …: the sum of their rates stays under 5 %.
  assert.ok(falsePositives / probes < 0.05, `false-positive rate ${falsePositives / probes}`);
});

test('about 1.2 bytes per id at 1 %, growing by layers rather than at once', () => {
  const filter = new EventIdFilter(1 << 16, 0.01);
  const first = filter.bytes;
  assert.ok(Math.abs(first / (1 << 16) - 1.2) < 0.05, `${first / (1 << 16)} bytes per id`);
  for (let i = 0; i < 1 << 16; i++) filter.add(`e${i}`);
  assert.equal(filter.bytes, first);
  filter.add('one more');
  assert.ok(filter.bytes > 2.9 * first && filter.bytes < 3.5 * first);
});
