import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, DataError } from '../errors.js';
import { SWEEP_EVERY_EVENTS } from './feature-executor.js';
import {
  builtinFeatureSpec,
  FeatureExecutor,
  OutOfOrderEventError,
  parseFeatureSpec,
  replayTransactions,
  transactionsFromCsv,
} from './index.js';

const DATA = new URL('../../../shared/data/fraud_sim/transactions.csv.gz', import.meta.url).pathname;
const DAY = 86_400;

test('replaying all 1,754,155 handbook transactions gives the handbook features, online and replayed alike, checked row by row against a direct computation', async () => {
  const spec = builtinFeatureSpec('fraud-handbook');
  const tx = await transactionsFromCsv(DATA, spec);
  assert.equal(tx.nRows, 1_754_155);
  const executor = new FeatureExecutor(spec);
  // The replay (the training path, on the reader's dictionary codes) must give every row exactly
  // as the online updates do; the sampled rows are then checked against the handbook's definitions.
  const replay = replayTransactions(spec, tx);
  const width = executor.featureNames.length;
  // Every 997th row, plus the last: about 1,760 rows spread over all 183 days.
  const sampled = new Map<number, Float64Array>();
  for (let i = 0; i < tx.nRows; i++) {
    const row = executor.update(tx.event(i));
    for (let f = 0; f < width; f++)
      if (row[f] !== replay.features[i * width + f])
        assert.fail(`row ${i} ${executor.featureNames[f]}: online ${row[f]}, replay ${replay.features[i * width + f]}`);
    if (i % 997 === 0 || i === tx.nRows - 1) sampled.set(i, row);
  }
  assert.deepEqual(replay.executor.entityCounts(), executor.entityCounts());
  // 4,990 customers occur; the few idle for more than the 90-day retention have been forgotten.
  const held = executor.entityCounts();
  assert.equal(held.terminalId, 10000);
  assert.ok((held.customerId as number) > 4900 && (held.customerId as number) < 4990, `${held.customerId} customers`);

  // The direct computation: each entity's rows, and for a sampled row a scan over them with the
  // handbook's definitions (pandas rolling on the time: (t − w, t], the current row included;
  // terminal windows end 7 days before t). Times from Date.parse, flags from Date's UTC fields.
  const byCustomer = new Map<string, number[]>();
  const byTerminal = new Map<string, number[]>();
  for (let i = 0; i < tx.nRows; i++) {
    for (const [map, key] of [
      [byCustomer, tx.customerIds[i] as string],
      [byTerminal, tx.terminalIds[i] as string],
    ] as const) {
      const rows = map.get(key);
      if (rows) rows.push(i);
      else map.set(key, [i]);
    }
  }
  const labels = tx.labels as Float64Array;
  let riskyRows = 0;
  for (const [i, row] of sampled) {
    const t = tx.timestampSeconds[i] as number;
    const date = new Date(t * 1000);
    const want: Record<string, number> = {
      TX_AMOUNT: tx.amounts[i] as number,
      TX_DURING_WEEKEND: date.getUTCDay() === 0 || date.getUTCDay() === 6 ? 1 : 0,
      TX_DURING_NIGHT: date.getUTCHours() <= 6 ? 1 : 0,
    };
    for (const days of [1, 7, 30]) {
      let count = 0;
      let amount = 0;
      for (const j of byCustomer.get(tx.customerIds[i] as string) as number[]) {
        if (j > i) break;
        if ((tx.timestampSeconds[j] as number) > t - days * DAY) {
          count++;
          amount += tx.amounts[j] as number;
        }
      }
      want[`CUSTOMER_ID_NB_TX_${days}DAY_WINDOW`] = count;
      want[`CUSTOMER_ID_AVG_AMOUNT_${days}DAY_WINDOW`] = amount / count;
      let nTx = 0;
      let nFraud = 0;
      for (const j of byTerminal.get(tx.terminalIds[i] as string) as number[]) {
        const tj = tx.timestampSeconds[j] as number;
        if (tj > t - 7 * DAY) break;
        if (tj > t - (7 + days) * DAY) {
          nTx++;
          nFraud += labels[j] as number;
        }
      }
      want[`TERMINAL_ID_NB_TX_${days}DAY_WINDOW`] = nTx;
      want[`TERMINAL_ID_RISK_${days}DAY_WINDOW`] = nTx > 0 ? nFraud / nTx : 0;
      if (nFraud > 0) riskyRows++;
    }
    for (const [k, name] of executor.featureNames.entries()) {
      const got = row[k] as number;
      const expected = want[name] as number;
      assert.ok(
        Math.abs(got - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
        `row ${i} ${name}: ${got}, want ${expected}`,
      );
    }
  }
  // The check means something: many sampled rows see terminal fraud in their delayed windows.
  assert.ok(riskyRows > 50, `only ${riskyRows} sampled rows with terminal fraud`);
});

test('an entity keeps only what its longest window needs', () => {
  const spec = parseFeatureSpec({
    name: 'one-customer',
    columns: { timestamp: 't', customerId: 'c', terminalId: 'm', amount: 'a' },
    features: [{ name: 'n30', kind: 'window', key: 'customerId', aggregate: 'count', windowDays: 30 }],
  });
  const executor = new FeatureExecutor(spec);
  // One transaction an hour for 400 days: the 30-day window holds 720.
  let last: Float64Array = new Float64Array(1);
  for (let h = 0; h < 400 * 24; h++)
    last = executor.update({ timestampSeconds: h * 3600, customerId: 1, terminalId: h, amount: 1 });
  assert.equal(last[0], 720);
  assert.ok(executor.heldEventCapacity() <= 2048, `room for ${executor.heldEventCapacity()} events`);
});

test("an entity's room comes back down after a burst has left its windows", () => {
  const spec = parseFeatureSpec({
    name: 'terminals',
    columns: { timestamp: 't', customerId: 'c', terminalId: 'm', amount: 'a' },
    features: [{ name: 'n1', kind: 'window', key: 'terminalId', aggregate: 'count', windowDays: 1 }],
  });
  const executor = new FeatureExecutor(spec);
  const room = () => executor.heldEventCapacity();
  let t = 0;
  let last: Float64Array = new Float64Array(1);
  // A busy day at terminal A (5,000 transactions, room for 8,192).
  for (let i = 0; i < 5000; i++)
    executor.update({ timestampSeconds: (t += 10), customerId: i, terminalId: 'A', amount: 1 });
  assert.equal(room(), 8192);
  // Then one every 30 minutes for 70 days: the window holds 48, and when the array is full again
  // the append shrinks it rather than moving 48 events to the front of room for 8,192.
  for (let i = 0; i < 70 * 48; i++)
    last = executor.update({ timestampSeconds: (t += 1800), customerId: i, terminalId: 'A', amount: 1 });
  assert.equal(last[0], 48);
  assert.ok(room() <= 512, `room for ${room()} events at A after 70 steady days`);
  // A busy day at terminal B, which then goes quiet (2 a day) and would not fill its array for
  // years: the sweep every 65,536 events shrinks it, while terminal C's traffic drives the stream.
  for (let i = 0; i < 5000; i++)
    executor.update({ timestampSeconds: (t += 10), customerId: i, terminalId: 'B', amount: 1 });
  const afterBurst = room();
  for (let i = 0; executor.seen <= 2 * SWEEP_EVERY_EVENTS; i++) {
    t += 60;
    executor.update({ timestampSeconds: t, customerId: i, terminalId: i % 720 === 0 ? 'B' : 'C', amount: 1 });
  }
  last = executor.update({ timestampSeconds: (t += 60), customerId: 0, terminalId: 'B', amount: 1 });
  assert.ok(afterBurst >= 8192, `room for ${afterBurst} events after B's busy day`);
  // Terminals A, B and C each hold at most a day's events (C: 1,440, B: 3) in room near what they need.
  assert.ok(room() <= 512 + 16 + 4096, `room for ${room()} events after the sweeps`);
  assert.equal(last[0], 3);
});

test('events must come in time order; a bad spec lists every problem with its path', () => {
  const spec = builtinFeatureSpec('fraud-handbook');
  const executor = new FeatureExecutor(spec);
  executor.update({ timestampSeconds: 1000, customerId: 'a', terminalId: 'b', amount: 5, label: 0 });
  assert.throws(
    () => executor.update({ timestampSeconds: 999, customerId: 'a', terminalId: 'b', amount: 5, label: 0 }),
    (e: unknown) => e instanceof OutOfOrderEventError && e.code === 'out_of_order_event',
  );
  assert.throws(
    () =>
      parseFeatureSpec({
        name: 'bad',
        columns: { timestamp: 'ts', customerId: 'c', amount: 'a', colour: 'x' },
        features: [
          { name: 'w', kind: 'window', key: 'deviceId', aggregate: 'mean', windowDays: 0 },
          { name: 'w', kind: 'night', lastHour: 30 },
          { name: 'r', kind: 'window', key: 'terminalId', aggregate: 'mean', field: 'label', windowDays: 1 },
        ],
      }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      const paths = e.issues.map((i) => i.path.join('.'));
      for (const p of [
        'columns.colour',
        'columns.terminalId',
        'features.0.key',
        'features.0.field',
        'features.0.windowDays',
        'features.1.name',
        'features.1.lastHour',
        'features.2.field',
      ])
        assert.ok(paths.includes(p), `${p} missing from ${paths.join(', ')}`);
      return true;
    },
  );
  assert.throws(
    () => builtinFeatureSpec('nope'),
    (e: unknown) => e instanceof ConfigError && e.code === 'unknown_feature_spec',
  );
});

test('a transaction file with bad cells names each line and column', async () => {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'vigil-tx-'));
  const path = join(dir, 'tx.csv');
  writeFileSync(
    path,
    [
      'TRANSACTION_ID,TX_DATETIME,CUSTOMER_ID,TERMINAL_ID,TX_AMOUNT,TX_FRAUD',
      '0,2018-04-01 00:00:31,1,2,10.5,0',
      '1,2018-04-01 00:01:00,1,2,abc,0',
      '2,yesterday,1,2,3,2',
      '3,2018-03-01 00:00:00,,2,3,0',
    ].join('\n'),
  );
  await assert.rejects(transactionsFromCsv(path, builtinFeatureSpec('fraud-handbook')), (e: unknown) => {
    assert.ok(e instanceof DataError);
    const where = e.issues.map((i) => i.path.join(' '));
    for (const w of [
      'line 3 TX_AMOUNT',
      'line 4 TX_DATETIME',
      'line 4 TX_FRAUD',
      'line 5 CUSTOMER_ID',
      'line 5 TX_DATETIME',
    ])
      assert.ok(where.includes(w), `${w} missing from ${where.join('; ')}`);
    return true;
  });
});

test('entityWindowFeatures reads an entity’s window features as of its last event and changes nothing', () => {
  const spec = builtinFeatureSpec('fraud-behaviour');
  const a = new FeatureExecutor(spec);
  const b = new FeatureExecutor(spec);
  const t0 = Date.parse('2026-12-03T00:00:00Z') / 1000;
  const events = Array.from({ length: 300 }, (_, i) => ({
    timestampSeconds: t0 + i * 600,
    customerId: `c${i % 7}`,
    terminalId: `t${i % 3}`,
    amount: 10 + (i % 13) * 7.5,
    ipAddress: `ip${i % 5}`,
    deviceId: `d${i % 4}`,
  }));
  const lastRow = new Map<string, Float64Array>();
  events.forEach((e, i) => {
    lastRow.set(`t:${e.terminalId}`, a.update(e));
    b.update(e);
    // Read between updates: a must keep scoring exactly as b, which is never read.
    if (i % 10 === 0) a.entityWindowFeatures('terminalId', e.terminalId);
  });
  const read = a.entityWindowFeatures('terminalId', 't2');
  assert.ok(read !== undefined);
  const row = lastRow.get('t:t2') as Float64Array;
  assert.equal(read.lastEventSeconds, events.findLast((e) => e.terminalId === 't2')?.timestampSeconds);
  const terminalWindows = spec.features
    .filter((f) => 'key' in f && f.key === 'terminalId' && 'windowDays' in f)
    .map((f) => f.name);
  assert.deepEqual(Object.keys(read.values).sort(), [...terminalWindows].sort());
  for (const name of terminalWindows) assert.equal(read.values[name], row[a.featureNames.indexOf(name)], name);
  assert.equal(a.entityWindowFeatures('ipAddress', 'ip4')?.values.IP_DISTINCT_CUSTOMERS_1DAY, 7);
  assert.equal(a.entityWindowFeatures('terminalId', 'never'), undefined);
  const next = { timestampSeconds: t0 + 300 * 600, customerId: 'c1', terminalId: 't2', amount: 99, ipAddress: 'ip4' };
  assert.deepEqual(a.update(next), b.update(next));
});
