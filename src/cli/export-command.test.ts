import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { trainTestBundle, writeTestApplications } from '../scoring/test-bundles.js';
import { assertNoStack, runVigil } from './test-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-cli-export-'));
after(() => rm(dir, { recursive: true, force: true }));

const vigil = runVigil;

let dataPath = '';
let mlpDir = '';
let logisticDir = '';

before(async () => {
  dataPath = await writeTestApplications(dir, 1500);
  mlpDir = await trainTestBundle(dataPath, dir, 'mlp', { model: 'mlp', epochs: 2 });
  logisticDir = await trainTestBundle(dataPath, dir, 'logistic', { model: 'logistic' });
});

describe('vigil export', () => {
  test('writes DIR/model.onnx, says how to read it, and the bundle still verifies for predict', async () => {
    const run = await vigil('export', '--model', mlpDir, '--format', 'onnx');
    assert.equal(run.code, 0, run.stderr);
    assert.match(
      run.stdout,
      /Wrote .*model\.onnx: network mlp, input \[N, \d+\], \d+ bytes \(listed in the bundle SHA256SUMS\)/,
    );
    assert.match(run.stdout, /apply sigmoid/);
    const predict = await vigil('predict', '--model', mlpDir, '--data', dataPath, '--out', join(dir, 's.csv'));
    assert.equal(predict.code, 0, predict.stderr);
  });

  test('--out FILE --json writes there and prints the files as JSON', async () => {
    const out = join(dir, 'pd.onnx');
    const run = await vigil('export', '--model', mlpDir, '--format', 'onnx', '--out', out, '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.deepEqual(
      result.files.map((f: { path: string; checksummed: boolean }) => [f.path, f.checksummed]),
      [[out, false]],
    );
    assert.ok((await readFile(out)).length > 100);
  });

  test('bad flags exit 2 naming the flag', async () => {
    for (const args of [
      ['export', '--model', mlpDir],
      ['export', '--model', mlpDir, '--format', 'pmml'],
      ['export', '--model', mlpDir, '--format', 'onnx', '--bogus'],
      ['export', '--format', 'onnx'],
    ]) {
      const run = await vigil(...args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /--format|--bogus|--model/);
    }
  });

  test('a logistic bundle, a missing bundle and an unwritable --out exit 1 with one clear message', async () => {
    const logistic = await vigil('export', '--model', logisticDir, '--format', 'onnx');
    assert.equal(logistic.code, 1);
    assert.match(logistic.stderr, /holds a logistic model; export applies to network models \(mlp, ensemble\)/);
    assertNoStack(logistic);
    const missing = await vigil('export', '--model', join(dir, 'nope'), '--format', 'onnx');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no model bundle at .*nope/);
    const nowhere = await vigil('export', '--model', mlpDir, '--format', 'onnx', '--out', join(dir, 'no', 'm.onnx'));
    assert.equal(nowhere.code, 1);
    assert.match(nowhere.stderr, /m\.onnx: the directory .*no does not exist/);
    assertNoStack(nowhere);
  });
});

describe('vigil predict --engine', () => {
  test('onnx (the default) and tfjs write the same scores within 1e-5', async () => {
    const read = async (name: string, ...extra: string[]) => {
      const out = join(dir, name);
      const run = await vigil('predict', '--model', mlpDir, '--data', dataPath, '--out', out, ...extra);
      assert.equal(run.code, 0, run.stderr);
      return { run, lines: (await readFile(out, 'utf8')).trim().split('\n') };
    };
    const onnx = await read('default.csv');
    const tfjs = await read('tfjs.csv', '--engine', 'tfjs');
    assert.match(onnx.run.stdout, /with onnxruntime/);
    assert.match(tfjs.run.stdout, /with TF\.js/);
    assert.equal(onnx.lines.length, tfjs.lines.length);
    for (let i = 1; i < onnx.lines.length; i++) {
      const a = Number((onnx.lines[i] as string).split(',')[1]);
      const b = Number((tfjs.lines[i] as string).split(',')[1]);
      assert.ok(Math.abs(a - b) <= 1e-5, `line ${i}`);
    }
  });

  test('an unknown engine exits 2', async () => {
    const run = await vigil(
      'predict',
      '--model',
      mlpDir,
      '--data',
      dataPath,
      '--out',
      join(dir, 'x.csv'),
      '--engine',
      'gpu',
    );
    assert.equal(run.code, 2);
    assert.match(run.stderr, /--engine.*gpu.*onnx, tfjs/);
  });
});
