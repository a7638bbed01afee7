import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Random } from '../random.js';
import { assertNoStack, runVigil } from './test-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-cli-'));
after(() => rm(dir, { recursive: true, force: true }));

const vigil = runVigil;

/** A small labelled file with a clear signal, a constant column and an all-missing one. */
function loansCsv(rows: number, seed: number, delimiter = ','): string {
  const rng = new Random(seed);
  const lines = [['loan_id', 'income', 'utilisation', 'region', 'constant', 'empty', 'bad'].join(delimiter)];
  for (let i = 0; i < rows; i++) {
    const income = Math.round(20000 + 80000 * rng.next());
    const utilisation = rng.next();
    const region = ['north', 'south', 'east', 'west'][rng.int(4)] as string;
    const z = -2 + 3 * utilisation - income / 40000 + (region === 'east' ? 0.8 : 0) + rng.normal(0, 0.5);
    const bad = rng.next() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    lines.push([`L${i}`, income, utilisation.toFixed(3), region, 7, '', bad].join(delimiter));
  }
  return `${lines.join('\n')}\n`;
}

const loans = join(dir, 'loans.csv');
const modelDir = join(dir, 'model');

before(async () => {
  await writeFile(loans, loansCsv(1500, 1));
});

describe('train, evaluate, predict on a small file', () => {
  test('train --json prints one JSON object with test metrics, warns about and drops useless columns', async () => {
    const run = await vigil(
      'train',
      '--data',
      loans,
      '--target',
      'bad',
      '--model',
      'logistic',
      '--out',
      modelDir,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    for (const key of ['auc', 'ks', 'gini', 'ap', 'brier', 'logLoss', 'f1', 'precision', 'recall', 'accuracy']) {
      assert.equal(typeof result.metrics[key], 'number', `metrics.${key}`);
    }
    assert.ok(result.metrics.auc > 0.7, `auc ${result.metrics.auc}`);
    assert.equal(result.testRows + result.trainRows, 1500);
    assert.match(run.stderr, /warning: .*constant/);
    assert.match(run.stderr, /warning: .*empty/);
  });

  test('train --threads picks the replicas of a network model and is kept in the bundle; bad values exit 2', async () => {
    const out = join(dir, 'mlp-threads');
    const run = await vigil(
      'train',
      '--data',
      loans,
      '--target',
      'bad',
      '--model',
      'mlp',
      '--epochs',
      '3',
      '--threads',
      '2',
      '--out',
      out,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const manifest = JSON.parse(await readFile(join(out, 'manifest.json'), 'utf8'));
    assert.equal(manifest.model.params.threads, 2);
    for (const bad of ['0', '1.5', 'two']) {
      const refused = await vigil(
        'train',
        '--data',
        loans,
        '--target',
        'bad',
        '--threads',
        bad,
        '--out',
        join(dir, 'x'),
      );
      assert.equal(refused.code, 2, bad);
      assert.match(refused.stderr, /--threads/);
      assertNoStack(refused);
    }
  });

  test('train refuses an --out that exists and is not a bundle, and leaves it alone', async () => {
    const precious = join(dir, 'precious');
    await mkdir(precious, { recursive: true });
    await writeFile(join(precious, 'notes.txt'), 'keep me');
    const run = await vigil('train', '--data', loans, '--target', 'bad', '--model', 'logistic', '--out', precious);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /exists and is not a model bundle/);
    assert.equal(await readFile(join(precious, 'notes.txt'), 'utf8'), 'keep me');
    // A bundle directory may be replaced by a new training run.
    const again = await vigil('train', '--data', loans, '--target', 'bad', '--model', 'logistic', '--out', modelDir);
    assert.equal(again.code, 0, again.stderr);
  });

  test('evaluate reports the same metrics as a table, as JSON, and writes an HTML report', async () => {
    const report = join(dir, 'report.html');
    const run = await vigil('evaluate', '--model', modelDir, '--data', loans, '--report', report, '--json');
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(run.stdout);
    assert.equal(result.nRows, 1500);
    assert.ok(result.metrics.auc > 0.7);
    const html = await readFile(report, 'utf8');
    assert.match(html, /<svg/);
    const text = await vigil('evaluate', '--model', modelDir, '--data', loans);
    assert.match(text.stdout, /auc\s+0\.\d{4}/);
  });

  test('predict streams id, score and decision for every row', async () => {
    const out = join(dir, 'scores.csv');
    const run = await vigil('predict', '--model', modelDir, '--data', loans, '--out', out);
    assert.equal(run.code, 0, run.stderr);
    const lines = (await readFile(out, 'utf8')).trim().split('\n');
    assert.equal(lines[0], 'loan_id,score,decision');
    assert.equal(lines.length, 1501);
    assert.match(lines[1] as string, /^L0,0\.\d{6},[01]$/);
  });

  test('a semicolon-separated file is detected without flags', async () => {
    const semi = join(dir, 'semi.csv');
    await writeFile(semi, loansCsv(600, 2, ';'));
    const run = await vigil(
      'train',
      '--data',
      semi,
      '--target',
      'bad',
      '--model',
      'logistic',
      '--out',
      join(dir, 'm-semi'),
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
  });
});

describe('bad input: non-zero exit, one clear message, no stack trace', () => {
  test('unknown target', async () => {
    const run = await vigil('train', '--data', loans, '--target', 'defaulted', '--out', join(dir, 'x'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /target column "defaulted" is not in the data; columns are: loan_id, income/);
    assertNoStack(run);
  });

  test('a binary target with more than two values', async () => {
    const run = await vigil('train', '--data', loans, '--target', 'region', '--out', join(dir, 'x'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /has 4 distinct values .*binary target needs exactly two/);
    assertNoStack(run);
  });

  test('empty file', async () => {
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, '');
    const run = await vigil('train', '--data', empty, '--target', 'bad', '--out', join(dir, 'x'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /empty/i);
    assertNoStack(run);
  });

  test('wrong delimiter', async () => {
    const semi = join(dir, 'semi2.csv');
    await writeFile(semi, loansCsv(50, 3, ';'));
    const run = await vigil('train', '--data', semi, '--delimiter', ',', '--target', 'bad', '--out', join(dir, 'x'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /delimiter/i);
    assert.match(run.stderr, /use delimiter ';'/);
    assertNoStack(run);
  });

  test('undecodable bytes name the line', async () => {
    const broken = join(dir, 'latin1.csv');
    const text = loansCsv(30, 4);
    const bytes = Buffer.concat([
      Buffer.from(text.slice(0, text.indexOf('\n', 200) + 1)),
      Buffer.from([0x4c, 0xe9, 0xff, 0x2c, 0x31, 0x0a]),
    ]);
    await writeFile(broken, bytes);
    const run = await vigil('train', '--data', broken, '--target', 'bad', '--out', join(dir, 'x'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /UTF-8/i);
    assert.match(run.stderr, /line \d+/);
    assertNoStack(run);
  });

  test('a scoring file missing a required column', async () => {
    const partial = join(dir, 'partial.csv');
    await writeFile(partial, 'loan_id,income,region\nL1,50000,north\n');
    const run = await vigil('predict', '--model', modelDir, '--data', partial, '--out', join(dir, 'p.csv'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /missing.*"utilisation"/);
    assertNoStack(run);
  });

  test('a corrupted bundle', async () => {
    const copy = join(dir, 'model-copy');
    await vigil('train', '--data', loans, '--target', 'bad', '--model', 'logistic', '--out', copy, '--json');
    const weights = join(copy, 'weights.bin');
    const bytes = await readFile(weights);
    bytes[0] = (bytes[0] as number) ^ 0x01;
    await writeFile(weights, bytes);
    const run = await vigil('predict', '--model', copy, '--data', loans, '--out', join(dir, 'p.csv'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /weights\.bin does not match its checksum/);
    assertNoStack(run);
  });

  test('bad flag values exit 2 and name the flag; --verbose adds the stack', async () => {
    const fraction = await vigil(
      'train',
      '--data',
      loans,
      '--target',
      'bad',
      '--test-fraction',
      '1.5',
      '--out',
      join(dir, 'x'),
    );
    assert.equal(fraction.code, 2);
    assert.match(fraction.stderr, /--test-fraction must be a number between 0 and 1/);
    const both = await vigil(
      'train',
      '--data',
      loans,
      '--target',
      'bad',
      '--test-fraction',
      '0.2',
      '--split-column',
      'region',
      '--out',
      join(dir, 'x'),
    );
    assert.equal(both.code, 2);
    assert.match(both.stderr, /choose one split/);
    const unknownFlag = await vigil(
      'train',
      '--data',
      loans,
      '--target',
      'bad',
      '--out',
      join(dir, 'x'),
      '--epoch',
      '5',
    );
    assert.equal(unknownFlag.code, 2);
    assert.match(unknownFlag.stderr, /unknown option '--epoch'/);
    const missing = await vigil('train', '--data', loans, '--out', join(dir, 'x'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /required option '--target <column>' not specified/);
    const verbose = await vigil('train', '--data', loans, '--target', 'nope', '--out', join(dir, 'x'), '--verbose');
    assert.equal(verbose.code, 1);
    assert.match(verbose.stderr, /\n\s+at /);
  });

  test('a missing data file', async () => {
    const run = await vigil('train', '--data', join(dir, 'nope.csv'), '--target', 'bad', '--out', join(dir, 'x'));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /nope\.csv/);
    assertNoStack(run);
  });
});
