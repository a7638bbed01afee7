import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { BundleError } from '../errors.js';
import { builtinFeatureSpec, featureSpecSha256 } from '../features/index.js';
import {
  addBundleFile,
  BUNDLE_FORMAT_VERSION,
  type BundleContent,
  FEATURE_BUNDLE_FORMAT_VERSION,
  type FeatureSpecRecord,
  readBundle,
  writeBundle,
} from './index.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-bundle-'));
after(() => rm(root, { recursive: true, force: true }));

const content: BundleContent = {
  createdAt: '2026-01-01T00:00:00.000Z',
  inputSchema: { columns: [{ name: 'amount', kind: 'numeric' }] },
  target: { column: 'target', kind: 'numeric', task: 'binary', classes: ['0', '1'], positive: '1' },
  preprocessing: { steps: [] },
  model: { kind: 'logistic', task: 'binary', params: { c: 1 }, nInputs: 3, nOutputs: 2 },
  threshold: { value: 0.42, policy: { kind: 'max-f1' } },
  metrics: { test: { auc: 0.8 } },
  data: {
    fingerprint: 'ab'.repeat(32),
    file: 'x.csv',
    nRows: 10,
    trainRows: 8,
    testRows: 2,
    split: { kind: 'random' },
  },
  versions: { vigil: '0.1.0' },
};
const weights = [
  { name: 'kernel', shape: [3, 1], values: new Float32Array([0.5, -1.25, 3]) },
  { name: 'bias', shape: [1], values: new Float32Array([0.1]) },
];

async function freshBundle(name: string): Promise<string> {
  const dir = join(root, name);
  await writeBundle(dir, content, weights);
  return dir;
}

async function assertRefused(dir: string, code: string): Promise<void> {
  await assert.rejects(readBundle(dir), (e: unknown) => e instanceof BundleError && e.code === code);
}

test('a written bundle reads back with identical manifest content and weights', async () => {
  const dir = await freshBundle('ok');
  const loaded = await readBundle(dir);
  assert.equal(loaded.manifest.threshold?.value, 0.42);
  assert.deepEqual(loaded.manifest.target, content.target);
  assert.deepEqual(
    loaded.weights.map((w) => [w.name, w.shape, Array.from(w.values)]),
    [
      ['kernel', [3, 1], [0.5, -1.25, 3]],
      ['bias', [1], [0.10000000149011612]],
    ],
  );
  assert.equal(loaded.manifest.weightsManifest[0]?.weights.length, 2);
  assert.match(loaded.manifest.files['weights.bin'] ?? '', /^[0-9a-f]{64}$/);
});

test('a flipped byte in the weights is refused', async () => {
  const dir = await freshBundle('weights-flip');
  const path = join(dir, 'weights.bin');
  const bytes = await readFile(path);
  bytes[5] = (bytes[5] as number) ^ 0xff;
  await writeFile(path, bytes);
  await assertRefused(dir, 'bundle_corrupted');
});

test('an edited manifest (threshold changed) is refused', async () => {
  const dir = await freshBundle('manifest-edit');
  const path = join(dir, 'manifest.json');
  const text = (await readFile(path, 'utf8')).replace('"value": 0.42', '"value": 0.01');
  await writeFile(path, text);
  await assertRefused(dir, 'bundle_corrupted');
});

test('a missing weights file, a missing checksum file and a malformed checksum line are refused', async () => {
  const a = await freshBundle('no-weights');
  await rm(join(a, 'weights.bin'));
  await assertRefused(a, 'bundle_corrupted');
  const b = await freshBundle('no-sums');
  await rm(join(b, 'SHA256SUMS'));
  await assertRefused(b, 'bundle_corrupted');
  const c = await freshBundle('bad-sums');
  await writeFile(join(c, 'SHA256SUMS'), 'not a checksum line\n');
  await assertRefused(c, 'bundle_corrupted');
});

test('weights truncated consistently with their checksums are still refused by size', async () => {
  const dir = await freshBundle('truncated');
  const { createHash } = await import('node:crypto');
  const short = (await readFile(join(dir, 'weights.bin'))).subarray(0, 8);
  const digest = createHash('sha256').update(short).digest('hex');
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  manifest.files['weights.bin'] = digest;
  const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(manifestPath, manifestText);
  await writeFile(join(dir, 'weights.bin'), short);
  const manifestDigest = createHash('sha256').update(manifestText).digest('hex');
  await writeFile(join(dir, 'SHA256SUMS'), `${manifestDigest}  manifest.json\n${digest}  weights.bin\n`);
  await assertRefused(dir, 'bundle_corrupted');
});

test('a missing directory and a newer format version are refused with their own codes', async () => {
  await assertRefused(join(root, 'nope'), 'bundle_not_found');
  const dir = await freshBundle('future');
  const { createHash } = await import('node:crypto');
  const manifestPath = join(dir, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
  manifest.formatVersion = 99;
  const text = `${JSON.stringify(manifest, null, 2)}\n`;
  await writeFile(manifestPath, text);
  const sums = (await readFile(join(dir, 'SHA256SUMS'), 'utf8')).replace(
    /^[0-9a-f]{64} {2}manifest\.json$/m,
    `${createHash('sha256').update(text).digest('hex')}  manifest.json`,
  );
  await writeFile(join(dir, 'SHA256SUMS'), sums);
  await assertRefused(dir, 'bundle_version');
});

test('writing over an existing bundle replaces it whole', async () => {
  const dir = await freshBundle('overwrite');
  await writeBundle(dir, { ...content, threshold: { value: 0.9, policy: { kind: 'max-f1' } } }, weights);
  assert.equal((await readBundle(dir)).manifest.threshold?.value, 0.9);
});

test('further model files are listed in the manifest and SHA256SUMS, returned verified, and refused when altered', async () => {
  const dir = join(root, 'extra-files');
  const onnx = Uint8Array.of(8, 8, 18, 5);
  const manifest = await writeBundle(dir, content, weights, { files: { 'model.onnx': onnx } });
  assert.match(manifest.files['model.onnx'] ?? '', /^[0-9a-f]{64}$/);
  assert.match(await readFile(join(dir, 'SHA256SUMS'), 'utf8'), / {2}model\.onnx\n/);
  const loaded = await readBundle(dir);
  assert.deepEqual(loaded.files, { 'model.onnx': onnx });
  await writeFile(join(dir, 'model.onnx'), Uint8Array.of(8, 8, 18, 6));
  await assertRefused(dir, 'bundle_corrupted');
  await rm(join(dir, 'model.onnx'));
  await assertRefused(dir, 'bundle_corrupted');
  for (const name of ['../escape.onnx', 'manifest.json', 'SHA256SUMS', 'a/b.onnx']) {
    await assert.rejects(
      writeBundle(join(root, 'bad-name'), content, weights, { files: { [name]: onnx } }),
      (e: unknown) => e instanceof BundleError && e.code === 'bundle_invalid',
      name,
    );
  }
});

test('addBundleFile lists an exported file in SHA256SUMS only; the manifest stays byte-identical', async () => {
  const dir = await freshBundle('add-file');
  const manifestBefore = await readFile(join(dir, 'manifest.json'));
  await addBundleFile(dir, 'model.onnx', Uint8Array.of(1, 2, 3));
  await addBundleFile(dir, 'model.onnx', Uint8Array.of(1, 2, 3, 4)); // replaced, not listed twice
  assert.deepEqual(await readFile(join(dir, 'manifest.json')), manifestBefore);
  const sums = await readFile(join(dir, 'SHA256SUMS'), 'utf8');
  assert.equal(sums.match(/model\.onnx/g)?.length, 1);
  assert.deepEqual((await readBundle(dir)).files, { 'model.onnx': Uint8Array.of(1, 2, 3, 4) });
  await writeFile(join(dir, 'model.onnx'), Uint8Array.of(9));
  await assertRefused(dir, 'bundle_corrupted');
  // Nothing is added to a bundle that does not verify.
  await assert.rejects(addBundleFile(dir, 'other.onnx', Uint8Array.of(1)), BundleError);
  await assert.rejects(addBundleFile(await freshBundle('add-reserved'), 'weights.bin', Uint8Array.of(1)), BundleError);
});

test('a SHA256SUMS line pointing outside the bundle is refused, not read', async () => {
  const dir = await freshBundle('traversal');
  const sums = await readFile(join(dir, 'SHA256SUMS'), 'utf8');
  await writeFile(join(dir, 'SHA256SUMS'), `${sums}${'0'.repeat(64)}  ../bundle-secret\n`);
  await assertRefused(dir, 'bundle_corrupted');
});

describe('a recorded feature spec', () => {
  const spec = builtinFeatureSpec('fraud-handbook');
  const names = spec.features.map((f) => f.name);
  const record = (over: Partial<FeatureSpecRecord> = {}): FeatureSpecRecord => ({
    spec,
    specSha256: featureSpecSha256(spec),
    featureNames: names,
    input: 'features',
    ...over,
  });
  const withFeatures = (features: FeatureSpecRecord, nInputs = 15): BundleContent => ({
    ...content,
    features,
    model: { ...content.model, nInputs },
  });

  test('makes a format version 2 bundle that reads back with the record; bundles without one stay version 1', async () => {
    const dir = join(root, 'with-spec');
    const manifest = await writeBundle(dir, withFeatures(record()), weights);
    assert.equal(manifest.formatVersion, FEATURE_BUNDLE_FORMAT_VERSION);
    assert.equal(FEATURE_BUNDLE_FORMAT_VERSION, BUNDLE_FORMAT_VERSION);
    assert.deepEqual((await readBundle(dir)).manifest.features, record());
    assert.equal((await readBundle(await freshBundle('no-spec'))).manifest.formatVersion, 1);
  });

  test('is refused when the spec does not hash to its sha256, lists other features, or misfits the sequence model', async () => {
    const refused = async (name: string, bundle: BundleContent, pattern: RegExp) => {
      const dir = join(root, name);
      await writeBundle(dir, bundle, weights);
      await assert.rejects(
        readBundle(dir),
        (e: unknown) => e instanceof BundleError && e.code === 'bundle_corrupted' && pattern.test(e.message),
      );
    };
    const altered = { ...spec, retentionDays: 120 };
    await refused('spec-altered', withFeatures(record({ spec: altered })), /does not match its sha256/);
    await refused('spec-names', withFeatures(record({ featureNames: names.slice(1) })), /other features/);
    const invalid = { ...spec, features: [] };
    await refused(
      'spec-invalid',
      withFeatures(record({ spec: invalid as never, specSha256: featureSpecSha256(invalid as never) })),
      /not a valid spec/,
    );
    const sequenced = { ...spec, sequence: { key: 'customerId' as const, length: 5 } };
    const sequenceRecord = record({
      spec: sequenced,
      specSha256: featureSpecSha256(sequenced),
      input: 'sequences',
      sequence: { key: 'customerId', previous: 5, steps: 6, features: names },
    });
    await writeBundle(join(root, 'spec-sequence'), withFeatures(sequenceRecord, 6 * 15), weights);
    assert.equal((await readBundle(join(root, 'spec-sequence'))).manifest.features?.sequence?.steps, 6);
    await refused(
      'spec-sequence-length',
      withFeatures(
        { ...sequenceRecord, sequence: { key: 'customerId', previous: 4, steps: 5, features: names } },
        5 * 15,
      ),
      /other sequence settings/,
    );
    await refused(
      'spec-sequence-inputs',
      withFeatures(sequenceRecord, 15),
      /6 × 15 sequence inputs, the model takes 15/,
    );
  });
});
