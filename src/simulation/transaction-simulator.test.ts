import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { builtinFeatureSpec, FeatureExecutor, replayTransactions, transactionsFromCsv } from '../features/index.js';
import { FRAUD_SCENARIOS, simulateTransactions, writeTransactionsCsv } from './index.js';

const OPTIONS = { customers: 1000, terminals: 2000, days: 40, seed: 5 };

test('the simulator is deterministic, in time order, and every scenario means what it says', () => {
  const days = [...simulateTransactions(OPTIONS)];
  const again = [...simulateTransactions(OPTIONS)];
  assert.deepEqual(again, days);
  assert.notDeepEqual([...simulateTransactions({ ...OPTIONS, seed: 6 })][0], days[0]);
  const rows = days.flat();
  for (let i = 1; i < rows.length; i++)
    assert.ok((rows[i]?.timestampSeconds as number) >= (rows[i - 1]?.timestampSeconds as number));
  const counts = [0, 0, 0, 0, 0];
  for (const tx of rows) {
    counts[tx.scenario] = (counts[tx.scenario] as number) + 1;
    assert.equal(tx.fraud, tx.scenario === 0 ? 0 : 1);
    assert.ok(tx.amount > 0);
    if (tx.amount > 220) assert.notEqual(tx.scenario, 0, 'large amounts are fraud');
    if (tx.channel === 'online') assert.ok(tx.ipAddress && tx.deviceId && tx.latitude === undefined);
    else assert.ok(tx.latitude !== undefined && tx.ipAddress === undefined);
    if (tx.scenario === FRAUD_SCENARIOS.accountTakeover) {
      assert.equal(tx.channel, 'online');
      // The burst's device is new to the customer, unless an earlier transaction of the same burst used it.
      const earlier = rows.filter(
        (r) => r.customerId === tx.customerId && r.timestampSeconds < tx.timestampSeconds - 3 * 3600,
      );
      assert.ok(!earlier.some((r) => r.deviceId === tx.deviceId), 'a takeover device seen hours before the burst');
    }
  }
  const frauds = rows.length - (counts[0] as number);
  assert.ok(frauds / rows.length > 0.003 && frauds / rows.length < 0.02, `${frauds} frauds in ${rows.length}`);
  for (const s of [1, 2, 3, 4]) assert.ok((counts[s] as number) > 0, `scenario ${s} missing: ${counts}`);
});

test("online and replayed features agree exactly on the simulator's output, novelty and geo-speed included", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vigil-sim-'));
  const path = join(dir, 'tx.csv');
  const summary = await writeTransactionsCsv(OPTIONS, path, { labelsPath: join(dir, 'labels.csv') });
  assert.ok(summary.rows > 40_000);
  const labels = (await readFile(join(dir, 'labels.csv'), 'utf8')).trim().split('\n');
  assert.equal(labels[0], 'TRANSACTION_ID,LABEL_DATETIME,TX_FRAUD');
  assert.equal(labels.length - 1, summary.labels);
  const spec = builtinFeatureSpec('fraud-behaviour');
  const tx = await transactionsFromCsv(path, spec);
  assert.equal(tx.nRows, summary.rows);
  const replay = replayTransactions(spec, tx);
  const online = new FeatureExecutor(spec);
  const width = online.featureNames.length;
  const row = new Float64Array(width);
  const sequence = new Float64Array(online.sequenceWidth);
  const column = (name: string) => online.featureNames.indexOf(name);
  const newDevice = column('CUSTOMER_NEW_DEVICE');
  const speed = column('CUSTOMER_SPEED_KMH');
  const scenario = (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => Number(line.slice(line.lastIndexOf(',') + 1)));
  let takeovers = 0;
  let takeoversOnNewDevice = 0;
  let fastMoves = 0;
  for (let i = 0; i < tx.nRows; i++) {
    online.update(tx.event(i), row, sequence);
    for (let f = 0; f < width; f++)
      if (row[f] !== replay.features[i * width + f])
        assert.fail(`row ${i} ${online.featureNames[f]}: online ${row[f]}, replay ${replay.features[i * width + f]}`);
    for (let s = 0; s < sequence.length; s++)
      if (Math.fround(sequence[s] as number) !== replay.sequences?.[i * online.sequenceWidth + s])
        assert.fail(`row ${i}: sequence differs`);
    if (scenario[i] === FRAUD_SCENARIOS.accountTakeover) {
      takeovers++;
      if (row[newDevice] === 1) takeoversOnNewDevice++;
    }
    if ((row[speed] as number) > 300) fastMoves++;
  }
  // Each takeover burst starts on a device the customer never used; later ones in the burst reuse it.
  assert.ok(
    takeovers > 0 && takeoversOnNewDevice > 0 && takeoversOnNewDevice < takeovers,
    `${takeoversOnNewDevice}/${takeovers}`,
  );
  assert.ok(fastMoves > 0, 'stolen cards used far away give implausible speeds');
});
