import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fingerprintFile } from '../data/index.js';
import { BundleError, ConfigError } from '../errors.js';
import { sampleCsvRows } from '../synthesis/write-sample-csv.js';
import { SHARED_DATA } from '../testing/shared-data.js';
import { loadSynthesizer } from '../training/load-synthesizer.js';
import { runSynthFitJob } from '../training/synth-fit-job.js';
import { readSynthesizerBundle, writeBundle, writeSynthesizerBundle } from './index.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-synth-bundle-'));
after(() => rm(root, { recursive: true, force: true }));
const german = join(SHARED_DATA, 'german_credit.csv');

async function fitted(name: string) {
  const outDir = join(root, name);
  return runSynthFitJob({ dataPath: german, model: 'gaussian-copula', seed: 3, outDir, drop: ['_is_test'] });
}

async function refusedWith(dir: string, code: string): Promise<void> {
  await assert.rejects(loadSynthesizer(dir), (e: unknown) => e instanceof BundleError && e.code === code);
}

test('write → load gives a synthesizer that samples exactly what the fitted one does, for the same seed', async () => {
  const { synthesizer, manifest, bundleDir } = await fitted('round-trip');
  assert.equal(manifest.format, 'vigil-synthesizer-bundle');
  assert.equal(manifest.formatVersion, 1);
  assert.equal(manifest.data.fingerprint, await fingerprintFile(german));
  assert.equal(manifest.data.nRows, 1000);
  assert.deepEqual(manifest.data.droppedColumns, [{ name: '_is_test', reason: '--drop' }]);
  assert.equal(manifest.inputSchema.columns.length, 21);
  assert.deepEqual(manifest.weightsManifest[0]?.paths, ['weights.bin']);
  const { synthesizer: loaded } = await loadSynthesizer(bundleDir);
  for (const options of [{ seed: 11 }, { seed: 12, conditions: { target: 'bad' } }]) {
    const a = sampleCsvRows(await synthesizer.sample(2_000, options));
    const b = sampleCsvRows(await loaded.sample(2_000, options));
    assert.equal(a, b, `identical samples for ${JSON.stringify(options)}`);
  }
  const other = sampleCsvRows(await loaded.sample(2_000, { seed: 13 }));
  assert.notEqual(other, sampleCsvRows(await loaded.sample(2_000, { seed: 11 })), 'another seed, other rows');
  const sums = await readFile(join(bundleDir, 'SHA256SUMS'), 'utf8');
  assert.match(sums, /^[0-9a-f]{64} {2}manifest\.json\n[0-9a-f]{64} {2}weights\.bin\n$/);
});

test('an altered byte, a missing file, another format or a newer version is refused with its code', async () => {
  const { bundleDir } = await fitted('tamper');
  const weightsPath = join(bundleDir, 'weights.bin');
  const original = await readFile(weightsPath);
  const altered = Buffer.from(original);
  altered[5] = (altered[5] as number) ^ 1;
  await writeFile(weightsPath, altered);
  await refusedWith(bundleDir, 'bundle_corrupted');
  await writeFile(weightsPath, original);
  await loadSynthesizer(bundleDir);

  const manifestPath = join(bundleDir, 'manifest.json');
  const manifestText = await readFile(manifestPath, 'utf8');
  await writeFile(manifestPath, manifestText.replace('"seed": 3', '"seed": 4'));
  await refusedWith(bundleDir, 'bundle_corrupted');
  await writeFile(manifestPath, manifestText);

  await rm(weightsPath);
  await refusedWith(bundleDir, 'bundle_corrupted');
  await refusedWith(join(root, 'nowhere'), 'bundle_not_found');

  const { bundleDir: fresh } = await fitted('version');
  const manifest = JSON.parse(await readFile(join(fresh, 'manifest.json'), 'utf8'));
  const weights = (await readSynthesizerBundle(fresh)).weights;
  const newer = join(root, 'newer');
  await writeSynthesizerBundle(newer, manifest, weights);
  const text = await readFile(join(newer, 'manifest.json'), 'utf8');
  // Rewrite the version and its checksum, so only the version is wrong.
  const bumped = text.replace('"formatVersion": 1', '"formatVersion": 2');
  await writeFile(join(newer, 'manifest.json'), bumped);
  const sums = (await readFile(join(newer, 'SHA256SUMS'), 'utf8')).replace(
    /^[0-9a-f]{64}/,
    createHash('sha256').update(bumped).digest('hex'),
  );
  await writeFile(join(newer, 'SHA256SUMS'), sums);
  await refusedWith(newer, 'bundle_version');

  // A model bundle is not a synthesizer bundle, and is not replaced by one.
  const modelDir = join(root, 'model');
  await writeBundle(
    modelDir,
    {
      createdAt: '2026-01-01T00:00:00.000Z',
      inputSchema: { columns: [] },
      target: { column: 't', kind: 'numeric', task: 'binary', classes: ['0', '1'] },
      preprocessing: {},
      model: { kind: 'logistic', task: 'binary', params: {}, nInputs: 0, nOutputs: 2 },
      metrics: {},
      data: { fingerprint: '', file: 'x.csv', nRows: 0, trainRows: 0, testRows: 0, split: {} },
      versions: {},
    },
    [],
  );
  await refusedWith(modelDir, 'bundle_corrupted');
  await assert.rejects(
    runSynthFitJob({ dataPath: german, model: 'gaussian-copula', seed: 1, outDir: modelDir }),
    (e: unknown) => e instanceof ConfigError && e.code === 'out_not_bundle',
  );
});
