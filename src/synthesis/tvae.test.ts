import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { readTable, splitByColumn } from '../data/index.js';
import { type Table, takeTableRows } from '../data/table.js';
import { ConfigError, NotFittedError } from '../errors.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { columnMean, columnShapeScore, missingShare, relationTable, shareOf } from './test-fixtures.js';
import { TvaeSynthesizer } from './tvae.js';

test('tvae: refuses bad params, and sample before fit', async () => {
  assert.throws(() => new TvaeSynthesizer({ seed: 1, epochs: 0 }), ConfigError);
  await assert.rejects(new TvaeSynthesizer({ seed: 1 }).sample(5), NotFittedError);
  assert.throws(() => new TvaeSynthesizer({ seed: 1 }).getWeights(), NotFittedError);
});

test('tvae: learns a relation, samples conditions exactly, restores from state', async () => {
  const table = relationTable(2000, 5);
  const vae = new TvaeSynthesizer({
    seed: 3,
    epochs: 150,
    batchSize: 200,
    compressDims: [64, 64],
    decompressDims: [64, 64],
    embeddingDim: 16,
  });
  await vae.fit(table);
  assert.equal(vae.history.length, 150);
  const first = vae.history[0]?.reconstructionLoss as number;
  const last = vae.history[149]?.reconstructionLoss as number;
  assert.ok(last < first / 2, `reconstruction loss ${first} → ${last}`);

  const free = await vae.sample(3000, { seed: 1 });
  assert.deepEqual(
    free.columns.map((c) => [c.name, c.kind]),
    table.columns.map((c) => [c.name, c.kind]),
  );
  const shapes = columnShapeScore(table, free);
  assert.ok(shapes > 0.85, `column shapes ${shapes}`);
  const missing = missingShare(free, 'amount');
  assert.ok(missing > 0.02 && missing < 0.09, `missing amounts ${missing} (real 0.05)`);
  const share = shareOf(free, 'segment', 'b');
  assert.ok(share > 0.14 && share < 0.26, `segment b share ${share} (real 0.2)`);

  const b = await vae.sample(3000, { conditions: { segment: 'b' }, seed: 2 });
  assert.equal(shareOf(b, 'segment', 'b'), 1, 'every row carries the condition');
  const a = await vae.sample(3000, { conditions: { segment: 'a' }, seed: 2 });
  // The condition drives the rest of the row: real means are 5,000 / 1,000 and 5 / 0.
  assert.ok(Math.abs(columnMean(b, 'amount') - 5000) < 600, `b amount ${columnMean(b, 'amount')}`);
  assert.ok(Math.abs(columnMean(a, 'amount') - 1000) < 300, `a amount ${columnMean(a, 'amount')}`);
  assert.ok(columnMean(b, 'score') > 3.5 && columnMean(a, 'score') < 1, 'scores follow the segment');
  await assert.rejects(
    vae.sample(10, { conditions: { nope: 'b' } }),
    (e: unknown) => e instanceof ConfigError && e.code === 'unknown_condition_column',
  );
  await assert.rejects(
    vae.sample(10, { conditions: { segment: 'a', flag: 'true' } }),
    (e: unknown) => e instanceof ConfigError && e.code === 'too_many_conditions',
  );

  const restored = await TvaeSynthesizer.fromState(JSON.parse(JSON.stringify(vae.toJSON())), vae.getWeights());
  assert.deepEqual(
    await restored.sample(800, { conditions: { flag: 'false' }, seed: 9 }),
    await vae.sample(800, { conditions: { flag: 'false' }, seed: 9 }),
  );
  assert.deepEqual(await restored.sample(500, { seed: 4 }), await vae.sample(500, { seed: 4 }));
  assert.notDeepEqual(await vae.sample(500, { seed: 4 }), await vae.sample(500, { seed: 5 }));
});

test('German credit: every categorical value of the real data occurs in a sample', async () => {
  const { table } = await readTable(join(SHARED_DATA, 'german_credit.csv'));
  const split = splitByColumn(table, '_is_test');
  const part = takeTableRows(table, split.trainRows);
  const train: Table = { nRows: part.nRows, columns: part.columns.filter((c) => c.name !== '_is_test') };
  assert.equal(train.nRows, 743);
  const vae = await new TvaeSynthesizer({ seed: 1, epochs: 40, batchSize: 100 }).fit(train);
  const sample = await vae.sample(train.nRows, { seed: 2 });
  const absent: string[] = [];
  for (const col of train.columns) {
    if (col.kind !== 'categorical') continue;
    const out = sample.columns.find((c) => c.name === col.name);
    assert.ok(out && out.kind === 'categorical');
    const real = new Set(Array.from(col.codes).filter((c) => c >= 0));
    const made = new Set(Array.from(out.codes));
    for (const code of real) if (!made.has(code)) absent.push(`${col.name}=${col.dictionary[code]}`);
  }
  assert.deepEqual(absent, [], 'categories missing from the sample');
  const shapes = columnShapeScore(train, sample);
  assert.ok(shapes > 0.85, `column shapes ${shapes}`);
  const bad = await vae.sample(1000, { conditions: { target: 'bad' }, seed: 3 });
  assert.equal(shareOf(bad, 'target', 'bad'), 1);
});
