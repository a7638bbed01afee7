import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { cardPrecisionAtK } from '../evaluation/index.js';
import { assertNoStack, type CliRun, runVigil as vigil } from './test-cli.js';

const dir = await mkdtemp(join(tmpdir(), 'vigil-cli-fraud-'));
after(() => rm(dir, { recursive: true, force: true }));

const data = join(dir, 'transactions.csv');
const logistic = join(dir, 'logistic');
const TEST_FROM = '2025-02-01';

/** Rows of a CSV as records keyed by header name. */
async function csvRows(path: string): Promise<Record<string, string>[]> {
  const [header, ...lines] = (await readFile(path, 'utf8')).trim().split('\n');
  const names = (header as string).split(',');
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [names[i], v])));
}

function assertUsageError(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, pattern);
  assertNoStack(run);
}

/** Card Precision@k computed directly from predict's scores and the raw file. */
async function directCardPrecision(scoresPath: string, k: number): Promise<number> {
  const raw = await csvRows(data);
  const scores = await csvRows(scoresPath);
  assert.equal(scores.length, raw.length);
  const rows = raw.flatMap((r, i) => ((r.TX_DATETIME as string) >= TEST_FROM ? [i] : []));
  const cell = (i: number, name: string) => (raw[i] as Record<string, string>)[name] as string;
  return cardPrecisionAtK(
    {
      day: rows.map((i) => Math.floor(Date.parse(`${cell(i, 'TX_DATETIME').replace(' ', 'T')}Z`) / 86_400_000)),
      card: rows.map((i) => cell(i, 'CUSTOMER_ID')),
      yTrue: Float32Array.from(rows, (i) => Number(cell(i, 'TX_FRAUD'))),
      score: Float32Array.from(rows, (i) => Number(scores[i]?.score)),
    },
    k,
  ).mean;
}

before(async () => {
  const run = await vigil(
    'simulate',
    '--customers',
    '100',
    '--terminals',
    '200',
    '--days',
    '40',
    '--seed',
    '2',
    '--out',
    data,
  );
  assert.equal(run.code, 0, run.stderr);
  const train = await vigil(
    'train',
    '--data',
    data,
    '--features',
    'fraud-handbook',
    '--target',
    'TX_FRAUD',
    '--model',
    'logistic',
    '--test-from',
    TEST_FROM,
    '--out',
    logistic,
  );
  assert.equal(train.code, 0, train.stderr);
});

describe('vigil train --features, predict and evaluate on raw events', () => {
  test('train prints the spec it replayed and Card Precision@100 with the test metrics', async () => {
    const out = join(dir, 'mlp');
    const run = await vigil(
      'train',
      '--data',
      data,
      '--features',
      'fraud-handbook',
      '--target',
      'TX_FRAUD',
      '--model',
      'mlp',
      '--epochs',
      '2',
      '--threads',
      '1',
      '--test-from',
      TEST_FROM,
      '--out',
      out,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /15 features of 'fraud-handbook'/);
    assert.match(run.stdout, /cp@100 /);
    const json = await vigil(
      'train',
      ...['--data', data, '--features', 'fraud-handbook', '--target', 'TX_FRAUD', '--model', 'cnn'],
      ...[
        '--epochs',
        '1',
        '--threads',
        '1',
        '--test-from',
        TEST_FROM,
        '--sequence-length',
        '2',
        '--out',
        out,
        '--json',
      ],
    );
    assert.equal(json.code, 0, json.stderr);
    const result = JSON.parse(json.stdout);
    assert.equal(result.model, 'cnn');
    assert.deepEqual(result.features.sequence.steps, 3);
    assert.equal(result.features.input, 'sequences');
    assert.equal(typeof result.metrics.cpAtK, 'number');
  });

  test('predict writes the spec id column, and evaluate --card-column gives the CP@k of those scores', async () => {
    const scores = join(dir, 'scores.csv');
    const run = await vigil('predict', '--model', logistic, '--data', data, '--out', scores);
    assert.equal(run.code, 0, run.stderr);
    const rows = await csvRows(scores);
    assert.deepEqual(Object.keys(rows[0] as object), ['TRANSACTION_ID', 'score', 'decision']);

    const evaluate = await vigil(
      ...['evaluate', '--model', logistic, '--data', data, '--test-from', TEST_FROM],
      ...['--card-column', 'CUSTOMER_ID', '--k', '20', '--json'],
    );
    assert.equal(evaluate.code, 0, evaluate.stderr);
    const { metrics, nRows } = JSON.parse(evaluate.stdout);
    assert.equal(metrics.k, 20);
    assert.equal(nRows, metrics.nRows);
    assert.equal(metrics.cpPerDay.length, 9, 'one figure per day from 2025-02-01 to 02-09');
    assert.equal(metrics.cpPerDay[0].day, '2025-02-01');
    // predict's scores are rounded to 6 decimals, which can only reorder exact near-ties.
    assert.ok(Math.abs(metrics.cpAtK - (await directCardPrecision(scores, 20))) < 1e-12);
    assert.ok(metrics.cpAtK > 0, 'some compromised card is found');

    const table = await vigil(
      ...['evaluate', '--model', logistic, '--data', data, '--test-from', TEST_FROM, '--card-column', 'CUSTOMER_ID'],
    );
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /cp@100 +0\.\d{4}/);
    assert.match(table.stdout, /^ap +0\.\d{4}/m);
  });

  test('a table bundle takes the days of Card Precision@k from --time-column, and says so when it is missing', async () => {
    const tableModel = join(dir, 'table-logistic');
    const train = await vigil(
      ...['train', '--data', data, '--target', 'TX_FRAUD', '--model', 'logistic', '--out', tableModel],
      ...['--time-column', 'TX_DATETIME', '--test-from', TEST_FROM],
    );
    assert.equal(train.code, 0, train.stderr);
    const missing = await vigil('evaluate', '--model', tableModel, '--data', data, '--card-column', 'CUSTOMER_ID');
    assertUsageError(missing, /--card-column CUSTOMER_ID: .*no feature spec with a timestamp: pass --time-column COL/);
    const scores = join(dir, 'table-scores.csv');
    assert.equal((await vigil('predict', '--model', tableModel, '--data', data, '--out', scores)).code, 0);
    const run = await vigil(
      ...['evaluate', '--model', tableModel, '--data', data, '--time-column', 'TX_DATETIME', '--test-from', TEST_FROM],
      ...['--card-column', 'CUSTOMER_ID', '--k', '10', '--json'],
    );
    assert.equal(run.code, 0, run.stderr);
    const { metrics } = JSON.parse(run.stdout);
    assert.ok(Math.abs(metrics.cpAtK - (await directCardPrecision(scores, 10))) < 1e-12);
  });

  test('predict without the label column: refused when features read past labels, fine when none do', async () => {
    const raw = (await readFile(data, 'utf8')).trim().split('\n');
    const unlabelled = join(dir, 'unlabelled.csv');
    await writeFile(unlabelled, `${raw.map((line) => line.split(',').slice(0, 10).join(',')).join('\n')}\n`);
    const refused = await vigil('predict', '--model', logistic, '--data', unlabelled, '--out', join(dir, 'x.csv'));
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /computes TERMINAL_ID_RISK_1DAY_WINDOW.* from past labels, so the file needs its label column TX_FRAUD/,
    );
    assertNoStack(refused);

    const spec = JSON.parse(await readFile(new URL('../features/specs/fraud-handbook.json', import.meta.url), 'utf8'));
    spec.name = 'customer-only';
    spec.features = spec.features.filter((f: { key?: string }) => f.key !== 'terminalId');
    const specPath = join(dir, 'customer-only.json');
    await writeFile(specPath, JSON.stringify(spec));
    const model = join(dir, 'customer-only');
    const train = await vigil(
      ...['train', '--data', data, '--features', specPath, '--target', 'TX_FRAUD', '--model', 'logistic'],
      ...['--test-from', TEST_FROM, '--out', model],
    );
    assert.equal(train.code, 0, train.stderr);
    const labelled = join(dir, 'labelled-scores.csv');
    const blind = join(dir, 'blind-scores.csv');
    assert.equal((await vigil('predict', '--model', model, '--data', data, '--out', labelled)).code, 0);
    const run = await vigil(
      'predict',
      '--model',
      model,
      '--data',
      unlabelled,
      '--out',
      blind,
      '--score-from',
      TEST_FROM,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /after \d+ rows of history/);
    const byId = new Map((await csvRows(labelled)).map((r) => [r.TRANSACTION_ID, r.score]));
    const scored = await csvRows(blind);
    assert.ok(scored.length > 500);
    for (const r of scored) assert.equal(r.score, byId.get(r.TRANSACTION_ID));
  });
});

describe('bad flag combinations name the flag and exit 2', () => {
  const train = (...extra: string[]) =>
    vigil('train', '--data', data, '--target', 'TX_FRAUD', '--out', join(dir, 'never'), ...extra);

  test('train', async () => {
    assertUsageError(await train('--model', 'lstm'), /--model lstm reads sequences .*give --features SPEC/);
    assertUsageError(await train('--sequence-length', '3'), /--sequence-length needs --features SPEC/);
    assertUsageError(
      await train('--features', 'fraud-handbook', '--model', 'mlp', '--sequence-key', 'CUSTOMER_ID'),
      /--sequence-key applies to the sequence models/,
    );
    assertUsageError(
      await train('--features', 'fraud-handbook', '--model', 'lstm', '--sequence-length', '0'),
      /--sequence-length must be an integer from 1 to 256, got "0"/,
    );
    assertUsageError(
      await train('--features', 'fraud-handbook', '--model', 'lstm', '--sequence-key', 'DEVICE_ID'),
      /--sequence-key "DEVICE_ID" is not an entity of the feature spec 'fraud-handbook': use one of customerId \(CUSTOMER_ID\), terminalId \(TERMINAL_ID\)/,
    );
    assertUsageError(
      await train('--features', 'handbook'),
      /--features: 'handbook' is neither a built-in feature spec/,
    );
    assertUsageError(
      await train('--features', 'fraud-handbook', '--time-column', 'TX_FRAUD', '--test-from', TEST_FROM),
      /--time-column TX_FRAUD: with --features the time is the spec's timestamp column TX_DATETIME/,
    );
    assertUsageError(await train('--features', 'fraud-handbook', '--task', 'multiclass'), /--task multiclass/);
  });

  test('evaluate and predict', async () => {
    assertUsageError(
      await vigil('evaluate', '--model', logistic, '--data', data, '--k', '5'),
      /--k goes with --card-column/,
    );
    assertUsageError(
      await vigil('evaluate', '--model', logistic, '--data', data, '--card-column', 'CUSTOMER_ID', '--k', '0'),
      /--k must be an integer ≥ 1, got "0"/,
    );
    assertUsageError(
      await vigil('evaluate', '--model', logistic, '--data', data, '--time-column', 'TX_DATETIME'),
      /--time-column goes with --test-from .* or --card-column/,
    );
    assertUsageError(
      await vigil(
        'evaluate',
        '--model',
        logistic,
        '--data',
        data,
        '--card-column',
        'CUSTOMER_ID',
        '--time-column',
        'X',
      ),
      /--time-column X: the days of a bundle with a feature spec are those of its timestamp column TX_DATETIME/,
    );
    assertUsageError(
      await vigil('predict', '--model', logistic, '--data', data, '--out', join(dir, 'y.csv'), '--score-from', 'soon'),
      /--score-from must be a date like 2018-08-08, got "soon"/,
    );
  });

  test('--help lists the new flags', async () => {
    const help = await vigil('train', '--help');
    for (const flag of ['--features <spec>', '--sequence-key <key>', '--sequence-length <n>'])
      assert.ok(help.stdout.includes(flag), flag);
    const evaluate = await vigil('evaluate', '--help');
    for (const flag of ['--card-column <column>', '--k <n>']) assert.ok(evaluate.stdout.includes(flag), flag);
    assert.ok((await vigil('predict', '--help')).stdout.includes('--score-from <date>'));
  });
});
