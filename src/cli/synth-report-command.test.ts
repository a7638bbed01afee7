import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Random } from '../random.js';
import { assertNoStack, runVigil } from './test-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-synth-report-'));
after(() => rm(dir, { recursive: true, force: true }));

const HEADER = ['app_id', 'income', 'utilisation', 'region', 'owner', 'bad'];

/** Loan rows with a signal: `bad` follows utilisation and region; income and utilisation correlate. */
function loanRows(n: number, seed: number, firstId = 0): string[][] {
  const rng = new Random(seed);
  const rows: string[][] = [];
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    const income = Math.round(40000 * Math.exp(0.4 * z));
    const utilisation = Math.min(1, Math.max(0, 0.5 - 0.2 * z + 0.1 * rng.normal()));
    const region = ['north', 'south', 'east', 'west'][rng.int(4)] as string;
    const logit = -2 + 3 * utilisation + (region === 'east' ? 0.8 : 0);
    const bad = rng.next() < 1 / (1 + Math.exp(-logit)) ? 1 : 0;
    rows.push([
      `A${firstId + i}`,
      String(income),
      utilisation.toFixed(3),
      region,
      rng.next() < 0.5 ? 'yes' : 'no',
      String(bad),
    ]);
  }
  return rows;
}

function csv(header: string[], rows: string[][]): string {
  return `${[header, ...rows].map((r) => r.join(',')).join('\n')}\n`;
}

/** Each column permuted on its own: a poor synthesizer's output. */
function shuffled(rows: string[][], seed: number): string[][] {
  const rng = new Random(seed);
  const cols = HEADER.map((_, c) => rng.shuffle(rows.map((r) => r[c] as string)));
  return rows.map((_, i) => cols.map((col) => col[i] as string));
}

const realRows = loanRows(800, 1);
const paths = {
  real: join(dir, 'real.csv'),
  holdout: join(dir, 'holdout.csv'),
  synthetic: join(dir, 'synthetic.csv'),
  copies: join(dir, 'copies.csv'),
  extraColumn: join(dir, 'extra-column.csv'),
  badNumber: join(dir, 'bad-number.csv'),
  newRegion: join(dir, 'new-region.csv'),
};

before(async () => {
  await writeFile(paths.real, csv(HEADER, realRows));
  await writeFile(paths.holdout, csv(HEADER, loanRows(300, 2, 10_000)));
  await writeFile(paths.synthetic, csv(HEADER, shuffled(realRows, 3)));
  // 50 real rows copied (ids renamed: identifiers are not compared), the rest drawn anew.
  const copies = [...realRows.slice(0, 50).map((r) => [`S${r[0]}`, ...r.slice(1)]), ...loanRows(550, 4, 20_000)];
  await writeFile(paths.copies, csv(HEADER, copies));
  await writeFile(
    paths.extraColumn,
    csv(
      ['app_id', 'income', 'region', 'owner', 'bad', 'score'],
      realRows.map((r) => [r[0], r[1], r[3], r[4], r[5], '0.5'] as string[]),
    ),
  );
  await writeFile(
    paths.badNumber,
    csv(
      HEADER,
      realRows.map((r, i) => (i === 3 ? [r[0], 'lots', ...r.slice(2)] : r) as string[]),
    ),
  );
  await writeFile(
    paths.newRegion,
    csv(
      HEADER,
      realRows.map((r, i) => (i % 10 === 0 ? [r[0], r[1], r[2], 'atlantis', r[4], r[5]] : r) as string[]),
    ),
  );
});

const fast = ['--utility-model', 'logistic', '--detection-model', 'logistic'];

describe('vigil synth report', () => {
  test('--json prints one object with the headline numbers; the HTML report is written', async () => {
    const out = join(dir, 'report.html');
    const run = await runVigil(
      'synth',
      'report',
      '--real',
      paths.real,
      '--synthetic',
      paths.copies,
      '--holdout',
      paths.holdout,
      '--target',
      'bad',
      '--out',
      out,
      '--json',
    );
    assert.equal(run.code, 0, run.stderr);
    const r = JSON.parse(run.stdout);
    assert.equal(typeof r.columnShapes.score, 'number');
    assert.deepEqual(Object.keys(r.columnShapes.columns[0]).slice(0, 4), ['name', 'kind', 'metric', 'statistic']);
    assert.deepEqual(
      r.columnShapes.columns.map((c: { name: string; metric: string }) => `${c.name}:${c.metric}`),
      ['income:ks', 'utilisation:ks', 'region:tvd', 'owner:tvd', 'bad:ks'],
    );
    assert.equal(typeof r.pairTrends.score, 'number');
    assert.equal(r.pairTrends.pairs.length, 10);
    for (const key of ['detectionAuc', 'tstrAuc', 'trtrAuc', 'dcrRatio']) assert.equal(typeof r[key], 'number', key);
    assert.equal(r.exactCopies, 50);
    assert.equal(r.holdoutSource, 'file');
    assert.equal(r.utility.testedOn, 'holdout');
    assert.equal(r.utility.testRows, 300);
    assert.equal(r.settings.utilityModel, 'mlp');
    assert.deepEqual(r.excludedColumns, [
      { name: 'app_id', reason: 'identifier: names rows rather than describing them' },
    ]);
    assert.equal(r.report, out);
    assert.deepEqual(Object.keys(r.timingsMs), [
      'aligning tables',
      'column shapes',
      'pair trends',
      'privacy',
      'detection',
      'utility',
    ]);
    const html = await readFile(out, 'utf8');
    assert.match(html, /^<!doctype html>/);
    assert.ok((html.match(/<svg /g) ?? []).length >= 8, 'charts in the page');
    assert.ok(html.includes('Exact copies'));
  });

  test('without --json a short table is printed; without --holdout a quarter of the real file is held out', async () => {
    const out = join(dir, 'table.html');
    const run = await runVigil(
      'synth',
      'report',
      '--real',
      paths.real,
      '--synthetic',
      paths.synthetic,
      '--target',
      'bad',
      '--out',
      out,
      ...fast,
    );
    assert.equal(run.code, 0, run.stderr);
    for (const word of ['column shapes', 'pair trends', 'detection auc', 'tstr auc', 'dcr ratio', 'exact copies'])
      assert.ok(run.stdout.includes(word), `table lacks ${word}`);
    assert.match(run.stdout, /Report written to .*table\.html/);
    assert.match(run.stderr, /warning: .*flatters TSTR/);
  });

  test('categorical values the real data never has are counted, not refused', async () => {
    const run = await runVigil(
      'synth',
      'report',
      '--real',
      paths.real,
      '--synthetic',
      paths.newRegion,
      '--out',
      join(dir, 'new-region.html'),
      '--json',
      ...fast,
    );
    assert.equal(run.code, 0, run.stderr);
    const region = JSON.parse(run.stdout).columnShapes.columns.find((c: { name: string }) => c.name === 'region');
    assert.equal(region.unseenRows, 80);
    assert.deepEqual(region.unseenValues, ['atlantis']);
    assert.match(run.stderr, /region: 80 synthetic row\(s\) hold values the real data never has \(atlantis\)/);
    assert.equal(JSON.parse(run.stdout).tstrAuc, null, 'no --target, no utility');
  });

  test('--schema sets kinds on the real file, and they apply to the synthetic file too', async () => {
    const schema = join(dir, 'schema.json');
    await writeFile(schema, JSON.stringify({ columns: { bad: 'categorical', owner: 'categorical' } }));
    const run = await runVigil(
      'synth',
      'report',
      '--real',
      paths.real,
      '--synthetic',
      paths.synthetic,
      '--schema',
      schema,
      '--target',
      'bad',
      '--out',
      join(dir, 'schema.html'),
      '--json',
      ...fast,
    );
    assert.equal(run.code, 0, run.stderr);
    const r = JSON.parse(run.stdout);
    const kinds = Object.fromEntries(
      r.columnShapes.columns.map((c: { name: string; kind: string; metric: string }) => [
        c.name,
        `${c.kind}:${c.metric}`,
      ]),
    );
    assert.deepEqual(kinds, {
      income: 'numeric:ks',
      utilisation: 'numeric:ks',
      region: 'categorical:tvd',
      owner: 'categorical:tvd',
      bad: 'categorical:tvd',
    });
    assert.equal(r.utility.positive, '1');
  });

  test('bad data exits 1 with one clear message: a missing file, mismatched columns, a bad cell, an unknown target', async () => {
    const base = ['synth', 'report', '--real', paths.real, '--out', join(dir, 'x.html'), ...fast];
    const missing = await runVigil(...base, '--synthetic', join(dir, 'nope.csv'));
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.csv: no such file/);
    assertNoStack(missing);

    const columns = await runVigil(...base, '--synthetic', paths.extraColumn);
    assert.equal(columns.code, 1);
    assert.match(columns.stderr, /only in the real data: utilisation; only in the synthetic data: score/);

    // Columns set aside (the identifier, an --exclude column) may be missing from the synthetic file,
    // as in the output of vigil synth fit --drop.
    const lean = join(dir, 'lean.csv');
    const keep = [1, 3, 4, 5];
    await writeFile(
      lean,
      csv(
        keep.map((c) => HEADER[c] as string),
        shuffled(realRows, 4).map((r) => keep.map((c) => r[c] as string)),
      ),
    );
    const setAside = await runVigil(...base, '--synthetic', lean, '--exclude', 'utilisation', '--json');
    assert.equal(setAside.code, 0, setAside.stderr);
    assert.ok(
      !JSON.parse(setAside.stdout).columnShapes.columns.some((c: { name: string }) => c.name === 'utilisation'),
    );

    const holdoutColumns = await runVigil(...base, '--synthetic', paths.synthetic, '--holdout', paths.extraColumn);
    assert.equal(holdoutColumns.code, 1);
    assert.match(holdoutColumns.stderr, /only in the holdout data: score/);

    const cell = await runVigil(...base, '--synthetic', paths.badNumber);
    assert.equal(cell.code, 1);
    assert.match(cell.stderr, /lots/);

    const target = await runVigil(...base, '--synthetic', paths.synthetic, '--target', 'default_flag');
    assert.equal(target.code, 1);
    assert.match(target.stderr, /target column "default_flag" is not among the compared columns; columns are: income/);
    const idTarget = await runVigil(...base, '--synthetic', paths.synthetic, '--target', 'app_id');
    assert.equal(idTarget.code, 1);
    assert.match(idTarget.stderr, /identifier/);
    const notBinary = await runVigil(...base, '--synthetic', paths.synthetic, '--target', 'region');
    assert.equal(notBinary.code, 1);
    assert.match(notBinary.stderr, /exactly two/);
  });

  test('bad flags exit 2 before any work', async () => {
    const base = ['synth', 'report', '--real', paths.real, '--synthetic', paths.synthetic];
    const cases: [string[], RegExp][] = [
      [['--out', join(dir, 'no-such-dir', 'r.html')], /--out: the directory .*no-such-dir does not exist/],
      [['--out', join(dir, 'r.txt')], /--out must name an \.html file/],
      [['--out', join(dir, 'r.html'), '--seed', 'abc'], /--seed must be an integer/],
      [['--out', join(dir, 'r.html'), '--utility-model', 'xgboost'], /argument 'xgboost' is invalid/],
      [['--out', join(dir, 'r.html'), '--positive', 'bad'], /--positive goes with --target/],
      [['--out', join(dir, 'r.html'), '--no-such-flag'], /unknown option '--no-such-flag'/],
      [[], /required option '--out <file.html>' not specified/],
    ];
    for (const [flags, message] of cases) {
      const run = await runVigil(...base, ...flags);
      assert.equal(run.code, 2, `${flags.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assertNoStack(run);
    }
    const unknownExclude = await runVigil(...base, '--out', join(dir, 'r.html'), '--exclude', 'nope', ...fast);
    assert.equal(unknownExclude.code, 1);
    assert.match(unknownExclude.stderr, /excluded column\(s\) not in the data: nope/);
  });
});
