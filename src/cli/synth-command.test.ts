import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { SHARED_DATA } from '../testing/shared-data.js';
import { assertNoStack, runVigil as vigil } from './test-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-synth-cli-'));
after(() => rm(dir, { recursive: true, force: true }));
const german = join(SHARED_DATA, 'german_credit.csv');
const bundle = join(dir, 'german-copula');

function parseCsv(text: string): { header: string[]; rows: string[][] } {
  // The sampled German file quotes cells with commas; a small reader for the test's checks.
  const lines = text.trimEnd().split('\n');
  const split = (line: string) => {
    const cells: string[] = [];
    let cell = '';
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i] as string;
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') {
          cell += '"';
          i++;
        } else if (ch === '"') quoted = false;
        else cell += ch;
      } else if (ch === '"') quoted = true;
      else if (ch === ',') {
        cells.push(cell);
        cell = '';
      } else cell += ch;
    }
    cells.push(cell);
    return cells;
  };
  return { header: split(lines[0] as string), rows: lines.slice(1).map(split) };
}

describe('vigil synth fit and sample', () => {
  test('fit writes a bundle and prints a summary; identifiers, datetimes and --drop columns are left out', async () => {
    const run = await vigil(
      'synth',
      'fit',
      '--data',
      german,
      '--model',
      'gaussian-copula',
      '--drop',
      '_is_test',
      '--out',
      bundle,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.equal(out.model, 'gaussian-copula');
    assert.equal(out.rows, 1000);
    assert.equal(out.columns.length, 21);
    assert.deepEqual(out.droppedColumns, [{ name: '_is_test', reason: '--drop' }]);
    const manifest = JSON.parse(await readFile(join(bundle, 'manifest.json'), 'utf8'));
    assert.equal(manifest.format, 'vigil-synthesizer-bundle');
    const text = await vigil('synth', 'fit', '--data', german, '--model', 'gaussian-copula', '--out', bundle);
    assert.equal(text.code, 0, 'an existing synthesizer bundle is replaced');
    assert.match(text.stdout, /^Fitted gaussian-copula on 1000 rows, 22 columns in [\d.]+s/);
    assert.match(text.stdout, /Synthesizer bundle written to /);
  });

  test('sample writes the fitted columns; a condition holds on every row; the same seed gives the same file', async () => {
    const out = join(dir, 'bad.csv');
    const run = await vigil(
      'synth',
      'sample',
      '--model',
      bundle,
      '--rows',
      '3000',
      '--condition',
      'target=bad',
      '--seed',
      '5',
      '--out',
      out,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^Sampled 3000 rows from gaussian-copula with target=bad in/);
    const text = await readFile(out, 'utf8');
    const { header, rows } = parseCsv(text);
    assert.equal(header.length, 22);
    assert.equal(header[header.length - 1], '_is_test');
    assert.equal(rows.length, 3000);
    const target = header.indexOf('target');
    assert.ok(
      rows.every((r) => r[target] === 'bad'),
      '100 % carry target=bad',
    );
    // Booleans in the input's spelling (pandas' True/False), numbers as integers where the data has them.
    const isTest = header.indexOf('_is_test');
    assert.ok(rows.every((r) => r[isTest] === 'True' || r[isTest] === 'False'));
    const amount = header.indexOf('credit_amount');
    assert.ok(
      rows.every((r) => /^\d+$/.test(r[amount] as string)),
      'credit amounts are whole numbers',
    );
    const purposes = new Set(rows.map((r) => r[header.indexOf('purpose')]));
    const realPurposes = new Set(parseCsv(await readFile(german, 'utf8')).rows.map((r) => r[3]));
    for (const p of purposes) assert.ok(realPurposes.has(p), `purpose ${p} comes from the data`);
    const again = join(dir, 'bad-again.csv');
    await vigil(
      'synth',
      'sample',
      '--model',
      bundle,
      '--rows',
      '3000',
      '--condition',
      'target=bad',
      '--seed',
      '5',
      '--out',
      again,
    );
    assert.equal(await readFile(again, 'utf8'), text);
  });

  test('sampling streams in chunks: more rows than a chunk, unconditioned, keeps the class mix', async () => {
    const out = join(dir, 'many.csv.gz');
    const run = await vigil('synth', 'sample', '--model', bundle, '--rows', '120000', '--out', out, '--json');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(JSON.parse(run.stdout).rows, 120000);
    const { gunzipSync } = await import('node:zlib');
    const { header, rows } = parseCsv(gunzipSync(await readFile(out)).toString('utf8'));
    assert.equal(rows.length, 120000);
    const bad = rows.filter((r) => r[header.indexOf('target')] === 'bad').length / rows.length;
    assert.ok(Math.abs(bad - 0.3) < 0.01, `bad share ${bad} (0.30 in the data)`);
  });

  test('bad conditions and rows are bad flags (exit 2) naming what is allowed', async () => {
    const out = join(dir, 'x.csv');
    const cases: [string[], RegExp][] = [
      [['--condition', 'nope=1'], /condition column "nope" is not one the synthesizer generates/],
      [['--condition', 'credit_amount=1000'], /"credit_amount" is continuous numeric/],
      [['--condition', 'target=ugly'], /target=ugly: the value never occurs .*allowed: good, bad/],
      [['--condition', 'target'], /--condition must be COL=VALUE/],
      [['--condition', 'target=bad', '--condition', 'purpose=business'], /exactly under one condition/],
    ];
    for (const [flags, message] of cases) {
      const run = await vigil('synth', 'sample', '--model', bundle, '--rows', '10', '--out', out, ...flags);
      assert.equal(run.code, 2, `${flags.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assertNoStack(run);
    }
    for (const rows of ['0', '-5', '1.5', 'many']) {
      const run = await vigil('synth', 'sample', '--model', bundle, '--rows', rows, '--out', out);
      assert.equal(run.code, 2);
      assert.match(run.stderr, /--rows must be an integer/);
    }
    const unknownModel = await vigil('synth', 'fit', '--data', german, '--model', 'gan', '--out', join(dir, 'g'));
    assert.equal(unknownModel.code, 2);
    assert.match(unknownModel.stderr, /gaussian-copula/);
  });

  test('an altered or missing bundle, or a --out that is not a bundle, fails with exit 1 and no output file', async () => {
    const copy = join(dir, 'altered');
    await vigil('synth', 'fit', '--data', german, '--model', 'gaussian-copula', '--out', copy);
    const manifestPath = join(copy, 'manifest.json');
    await writeFile(manifestPath, (await readFile(manifestPath, 'utf8')).replace('"seed": 1', '"seed": 2'));
    const out = join(dir, 'never.csv');
    const altered = await vigil('synth', 'sample', '--model', copy, '--rows', '10', '--out', out);
    assert.equal(altered.code, 1);
    assert.match(altered.stderr, /manifest\.json does not match its checksum/);
    assertNoStack(altered);
    await assert.rejects(readFile(out));
    const missing = await vigil('synth', 'sample', '--model', join(dir, 'none'), '--rows', '10', '--out', out);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no synthesizer bundle at/);
    const noDir = await vigil('synth', 'sample', '--model', bundle, '--rows', '10', '--out', join(dir, 'no', 'x.csv'));
    assert.equal(noDir.code, 1);
    assert.match(noDir.stderr, /cannot write .*no\/x\.csv/);
    assertNoStack(noDir);
    const busy = join(dir, 'busy');
    await mkdir(busy);
    await writeFile(join(busy, 'notes.txt'), 'keep me');
    const refused = await vigil('synth', 'fit', '--data', german, '--model', 'gaussian-copula', '--out', busy);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /exists and is not a synthesizer bundle/);
    assert.equal(await readFile(join(busy, 'notes.txt'), 'utf8'), 'keep me');
    const badDrop = await vigil(
      'synth',
      'fit',
      '--data',
      german,
      '--model',
      'gaussian-copula',
      '--drop',
      'nope',
      '--out',
      join(dir, 'd'),
    );
    assert.equal(badDrop.code, 2);
    assert.match(badDrop.stderr, /--drop: no column "nope"/);
  });

  test('train --augment gaussian-copula --json reports the augmentation; a bad ratio is a bad flag', async () => {
    const run = await vigil(
      'train',
      '--data',
      german,
      '--target',
      'target',
      '--positive',
      'bad',
      '--split-column',
      '_is_test',
      '--model',
      'logistic',
      '--augment',
      'gaussian-copula',
      '--augment-ratio',
      '0.5',
      '--out',
      join(dir, 'aug'),
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const out = JSON.parse(run.stdout);
    assert.equal(out.augmentation.kind, 'gaussian-copula');
    assert.equal(out.augmentation.minorityClass, 'bad');
    assert.equal(out.augmentation.rowsAdded, Math.round(0.5 * out.augmentation.minorityRows));
    const bad = await vigil(
      'train',
      '--data',
      german,
      '--target',
      'target',
      '--augment',
      'smote',
      '--augment-ratio',
      'lots',
      '--out',
      join(dir, 'x'),
    );
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--augment-ratio must be a number/);
    const alone = await vigil(
      'train',
      '--data',
      german,
      '--target',
      'target',
      '--augment-ratio',
      '2',
      '--out',
      join(dir, 'x'),
    );
    assert.equal(alone.code, 2);
  });

  for (const model of ['tvae', 'ctgan'] as const)
    test(`${model}: fit writes a verified bundle with its weights; loaded again it samples the same file for a seed, conditions exact`, async () => {
      const deep = join(dir, `german-${model}`);
      const fit = await vigil(
        'synth',
        'fit',
        '--data',
        german,
        '--model',
        model,
        '--epochs',
        '2',
        '--drop',
        '_is_test',
        '--out',
        deep,
        '--json',
      );
      assert.equal(fit.code, 0, fit.stderr);
      assert.equal(JSON.parse(fit.stdout).model, model);
      const manifest = JSON.parse(await readFile(join(deep, 'manifest.json'), 'utf8'));
      assert.equal(manifest.synthesizer.kind, model);
      const sums = await readFile(join(deep, 'SHA256SUMS'), 'utf8');
      assert.match(sums, /weights\.bin/);
      const files: string[] = [];
      for (const name of ['a', 'b']) {
        const out = join(dir, `${model}-${name}.csv`);
        const run = await vigil(
          'synth',
          'sample',
          '--model',
          deep,
          '--rows',
          '500',
          '--condition',
          'target=bad',
          '--seed',
          '7',
          '--out',
          out,
        );
        assert.equal(run.code, 0, run.stderr);
        files.push(await readFile(out, 'utf8'));
      }
      assert.equal(files[0], files[1]);
      const { header, rows } = parseCsv(files[0] as string);
      assert.equal(rows.length, 500);
      const target = header.indexOf('target');
      assert.ok(rows.every((r) => r[target] === 'bad'));
    });

  test('--help lists the subcommands and flags', async () => {
    const group = await vigil('synth', '--help');
    assert.match(group.stdout, /fit \[options\]/);
    assert.match(group.stdout, /sample \[options\]/);
    const sample = await vigil('synth', 'sample', '--help');
    for (const flag of ['--model <dir>', '--rows <n>', '--condition <col=value>', '--seed <n>', '--out <file>'])
      assert.ok(sample.stdout.includes(flag), flag);
  });
});
