import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../random.js';
import {
  builtinFeatureSpec,
  FeatureExecutor,
  type FeatureSpec,
  parseFeatureSpec,
  replayTransactions,
  restoreFeatureState,
  snapshotFeatureState,
  type TransactionColumns,
  type TransactionEvent,
} from './index.js';
import { runOnThread, startReplayThreads, stopReplayThreads, TASK_CANCELLED, TASK_QUEUED } from './replay-threads.js';

const DAY = 86_400;

/** A small stream with every optional field: online and located events, shared devices and IPs, missing values. */
function stream(nRows: number, seed: number): TransactionColumns {
  const random = new Random(seed);
  const events: TransactionEvent[] = [];
  let t = Date.UTC(2025, 0, 1) / 1000;
  for (let i = 0; i < nRows; i++) {
    // Bursts (same second, seconds apart) and gaps of days, so windows fill and empty.
    const r = random.next();
    t += r < 0.05 ? 0 : r < 0.5 ? Math.floor(random.next() * 600) : Math.floor(random.next() * 6 * 3600);
    const customer = Math.floor(random.next() ** 2 * 40);
    const online = random.next() < 0.4;
    events.push({
      id: `tx${i}`,
      timestampSeconds: t,
      customerId: `c${customer}`,
      terminalId: `t${Math.floor(random.next() * 25)}`,
      amount: Math.round(random.next() * 30000) / 100 + 0.01,
      label: random.next() < 0.05 ? 1 : 0,
      channel: online ? 'online' : 'pos',
      ...(online
        ? {
            ipAddress: `10.0.${customer % 7}.${Math.floor(random.next() * 4)}`,
            deviceId: random.next() < 0.9 ? `d${customer}-${Math.floor(random.next() * 2)}` : undefined,
          }
        : random.next() < 0.9
          ? { latitude: 48 + random.next() * 2, longitude: 2 + random.next() * 3 }
          : {}),
    });
  }
  const column = <K extends keyof TransactionEvent>(k: K) => events.map((e) => e[k]);
  return {
    nRows,
    ids: column('id') as string[],
    timestampSeconds: Float64Array.from(events, (e) => e.timestampSeconds),
    customerIds: column('customerId') as string[],
    terminalIds: column('terminalId') as string[],
    amounts: Float64Array.from(events, (e) => e.amount),
    labels: Float64Array.from(events, (e) => e.label as number),
    text: {
      channel: column('channel') as string[],
      ipAddress: column('ipAddress') as (string | undefined)[],
      deviceId: column('deviceId') as (string | undefined)[],
    },
    latitudes: Float64Array.from(events, (e) => e.latitude ?? Number.NaN),
    longitudes: Float64Array.from(events, (e) => e.longitude ?? Number.NaN),
    event: (i) => events[i] as TransactionEvent,
  };
}

/** The behaviour spec with a short retention, so forgetting idle entities happens inside the test stream. */
function behaviourSpec(retentionDays?: number): FeatureSpec {
  const spec = builtinFeatureSpec('fraud-behaviour');
  return parseFeatureSpec({ ...spec, ...(retentionDays === undefined ? {} : { retentionDays }) });
}

test('replay and online updates give identical features, sequences and final state on a stream with every field', () => {
  for (const retentionDays of [undefined, 37]) {
    const spec = behaviourSpec(retentionDays);
    // Long enough to pass several sweeps of idle entities (one every 65,536 events).
    const tx = stream(200_000, 7);
    const replay = replayTransactions(spec, tx);
    const online = new FeatureExecutor(spec);
    const width = online.featureNames.length;
    const row = new Float64Array(width);
    const sequence = new Float64Array(online.sequenceWidth);
    let compared = 0;
    for (let i = 0; i < tx.nRows; i++) {
      online.update(tx.event(i), row, sequence);
      for (let f = 0; f < width; f++)
        if (row[f] !== replay.features[i * width + f])
          assert.fail(`row ${i} ${online.featureNames[f]}: online ${row[f]}, replay ${replay.features[i * width + f]}`);
      for (let s = 0; s < sequence.length; s++)
        if (Math.fround(sequence[s] as number) !== replay.sequences?.[i * online.sequenceWidth + s])
          assert.fail(`row ${i} sequence value ${s} differs`);
      compared++;
    }
    assert.equal(compared, 200_000);
    assert.deepEqual(replay.executor.entityCounts(), online.entityCounts());
    // The replayed entities keep what their windows need, not their whole history.
    assert.ok(
      replay.executor.heldEventCapacity() <= 2 * online.heldEventCapacity(),
      `replay holds room for ${replay.executor.heldEventCapacity()} events, online ${online.heldEventCapacity()}`,
    );
    // Both continue identically from their final states, and so does a snapshot of the replay's.
    const restored = restoreFeatureState(spec, JSON.parse(JSON.stringify(snapshotFeatureState(replay.executor))));
    const more = stream(5_000, 8);
    const shift = tx.timestampSeconds[tx.nRows - 1] as number;
    const a = new Float64Array(width);
    const b = new Float64Array(width);
    const c = new Float64Array(width);
    for (let i = 0; i < more.nRows; i++) {
      const event = {
        ...more.event(i),
        timestampSeconds: (more.timestampSeconds[i] as number) - (more.timestampSeconds[0] as number) + shift,
      };
      online.update(event, a);
      replay.executor.update(event, b);
      restored.update(event, c);
      assert.deepEqual(a, b);
      assert.deepEqual(c, b);
    }
  }
});

test('a replay on two threads gives the same features, sequences and final state as on one', async () => {
  await startReplayThreads(2);
  for (const retentionDays of [undefined, 37]) {
    const spec = behaviourSpec(retentionDays);
    const tx = stream(200_000, 7);
    const one = replayTransactions(spec, tx, { threads: 1 });
    const two = replayTransactions(spec, tx, { threads: 2 });
    assert.equal(one.threads, 1);
    assert.equal(two.threads, 2, 'the second thread replayed its groups');
    assert.ok(two.features.buffer instanceof SharedArrayBuffer);
    assert.equal(two.features.length, one.features.length);
    for (let i = 0; i < one.features.length; i++)
      if (!Object.is(one.features[i], two.features[i]))
        assert.fail(`value ${i}: one thread ${one.features[i]}, two ${two.features[i]}`);
    assert.deepEqual(two.sequences, one.sequences);
    // The entities the thread replayed come back whole: the snapshots (every entity of every key) match.
    assert.deepEqual(snapshotFeatureState(two.executor), snapshotFeatureState(one.executor));
    assert.ok(Object.values(two.executor.entityCounts()).every((c) => (c as number) > 0));
  }
  // A small replay stays on the caller's thread.
  assert.equal(replayTransactions(behaviourSpec(), stream(1_000, 3), { threads: 2 }).threads, 1);
});

test('a task a thread has not taken is cancelled, and the thread then leaves it alone', async () => {
  await stopReplayThreads();
  const state = new Int32Array(new SharedArrayBuffer(4));
  Atomics.store(state, 0, TASK_QUEUED);
  const features = new Float64Array(new SharedArrayBuffer(8));
  // A thread just spawned is still loading its code (a few hundred ms): it cannot have taken the task.
  const running = runOnThread(0, { spec: behaviourSpec(), groups: [], columns: [], features, nFeatures: 1, state });
  assert.equal(running.finish(10_000), undefined);
  assert.equal(Atomics.load(state, 0), TASK_CANCELLED);
  await startReplayThreads(2);
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(Atomics.load(state, 0), TASK_CANCELLED);
  await stopReplayThreads();
});

test('the new feature kinds give the values their definitions say', () => {
  const spec = parseFeatureSpec({
    name: 'kinds',
    columns: {
      timestamp: 't',
      customerId: 'c',
      terminalId: 'm',
      amount: 'a',
      ipAddress: 'ip',
      deviceId: 'd',
      latitude: 'lat',
      longitude: 'lon',
    },
    features: [
      { name: 'max1d', kind: 'window', key: 'customerId', aggregate: 'max', field: 'amount', windowDays: 1 },
      {
        name: 'devices1h',
        kind: 'window',
        key: 'customerId',
        aggregate: 'distinct',
        field: 'deviceId',
        windowHours: 1,
      },
      {
        name: 'ipCustomers',
        kind: 'window',
        key: 'ipAddress',
        aggregate: 'distinct',
        field: 'customerId',
        windowMinutes: 30,
      },
      { name: 'toMean', kind: 'amountToMean', windowDays: 7 },
      { name: 'since', kind: 'secondsSincePrevious', capSeconds: 3600 },
      { name: 'newDevice', kind: 'firstUse', field: 'deviceId', memory: 2 },
      { name: 'km', kind: 'distanceKm' },
      { name: 'kmh', kind: 'speedKmh' },
      { name: 'hour', kind: 'hourOfDay' },
    ],
  });
  const x = new FeatureExecutor(spec);
  const t0 = Date.UTC(2025, 5, 2, 10, 0, 0) / 1000;
  const names = x.featureNames;
  const at = (row: Float64Array) => Object.fromEntries(names.map((n, i) => [n, row[i]]));
  // Paris, then Lyon (392 km) 2 hours later: about 196 km/h.
  const r1 = at(
    x.update({
      timestampSeconds: t0,
      customerId: 'a',
      terminalId: 'm',
      amount: 10,
      deviceId: 'd1',
      ipAddress: 'ip1',
      latitude: 48.8566,
      longitude: 2.3522,
    }),
  );
  assert.deepEqual(
    { ...r1 },
    { max1d: 10, devices1h: 1, ipCustomers: 1, toMean: 1, since: 3600, newDevice: 1, km: 0, kmh: 0, hour: 10 },
  );
  const r2 = at(
    x.update({ timestampSeconds: t0 + 1799, customerId: 'b', terminalId: 'm', amount: 5, ipAddress: 'ip1' }),
  );
  assert.equal(r2.ipCustomers, 2, 'a (29:59 ago) and b');
  assert.equal(r2.newDevice, 0, 'no device: not a first use');
  const r3 = at(
    x.update({
      timestampSeconds: t0 + 7200,
      customerId: 'a',
      terminalId: 'm',
      amount: 30,
      deviceId: 'd2',
      ipAddress: 'ip1',
      latitude: 45.764,
      longitude: 4.8357,
    }),
  );
  assert.equal(r3.max1d, 30);
  assert.equal(r3.devices1h, 1, 'd1 left the hour');
  assert.equal(r3.ipCustomers, 1, 'a and b left the 30 minutes: a again alone');
  assert.equal(r3.toMean, 3);
  assert.equal(r3.since, 3600, 'capped');
  assert.equal(r3.newDevice, 1);
  assert.ok(Math.abs((r3.km as number) - 391.5) < 1.5, `${r3.km} km`);
  assert.ok(Math.abs((r3.kmh as number) - (r3.km as number) / 2) < 1e-9);
  assert.equal(r3.hour, 12);
  const r4 = at(
    x.update({ timestampSeconds: t0 + 7300, customerId: 'a', terminalId: 'm', amount: 20, deviceId: 'd1' }),
  );
  assert.equal(r4.newDevice, 0, 'd1 is still among the last 2 devices');
  assert.equal(r4.since, 100);
  assert.equal(r4.km, 0, 'no location: no distance');
  assert.equal(r4.devices1h, 2);
  x.update({ timestampSeconds: t0 + 7400, customerId: 'a', terminalId: 'm', amount: 20, deviceId: 'd3' });
  x.update({ timestampSeconds: t0 + 7500, customerId: 'a', terminalId: 'm', amount: 20, deviceId: 'd4' });
  const r7 = at(
    x.update({ timestampSeconds: t0 + 7600, customerId: 'a', terminalId: 'm', amount: 20, deviceId: 'd1' }),
  );
  assert.equal(r7.newDevice, 1, 'a memory of 2 devices has forgotten d1');
});

test('a restored snapshot continues exactly like the executor it was taken from; another spec is refused', () => {
  const spec = behaviourSpec();
  const tx = stream(20_000, 3);
  const original = new FeatureExecutor(spec);
  for (let i = 0; i < 10_000; i++) original.update(tx.event(i));
  const saved = JSON.parse(JSON.stringify(snapshotFeatureState(original)));
  const restored = restoreFeatureState(spec, saved);
  const a = new Float64Array(original.featureNames.length);
  const b = new Float64Array(original.featureNames.length);
  const sa = new Float64Array(original.sequenceWidth);
  const sb = new Float64Array(original.sequenceWidth);
  for (let i = 10_000; i < 20_000; i++) {
    original.update(tx.event(i), a, sa);
    restored.update(tx.event(i), b, sb);
    assert.deepEqual(b, a, `row ${i}`);
    assert.deepEqual(sb, sa, `sequence of row ${i}`);
  }
  assert.throws(
    () => restoreFeatureState(builtinFeatureSpec('fraud-handbook'), saved),
    (e: unknown) => (e as { code?: string }).code === 'feature_state_mismatch',
  );
  assert.throws(
    () => restoreFeatureState(spec, { ...saved, format: 'other' }),
    (e: unknown) => (e as { code?: string }).code === 'bad_feature_state',
  );
});

test('a label that arrives late reaches the delayed windows holding its event', () => {
  const spec = parseFeatureSpec({
    name: 'late',
    columns: { timestamp: 't', customerId: 'c', terminalId: 'm', amount: 'a', label: 'y' },
    features: [
      {
        name: 'frauds',
        kind: 'window',
        key: 'terminalId',
        aggregate: 'sum',
        field: 'label',
        windowDays: 7,
        delayDays: 1,
      },
    ],
  });
  const x = new FeatureExecutor(spec);
  x.update({ timestampSeconds: 0, customerId: 'a', terminalId: 'm', amount: 1 });
  const first = x.lastOrdinal;
  x.update({ timestampSeconds: 10, customerId: 'b', terminalId: 'm', amount: 1 });
  assert.equal(x.update({ timestampSeconds: 2 * DAY, customerId: 'c', terminalId: 'm', amount: 1 })[0], 0);
  assert.equal(x.applyLabel({ ordinal: first, timestampSeconds: 0, customerId: 'a', terminalId: 'm' }, 1), true);
  assert.equal(x.update({ timestampSeconds: 2 * DAY + 1, customerId: 'd', terminalId: 'm', amount: 1 })[0], 1);
  // A label for an event inside the delay is kept and counted once the event passes the delay.
  x.applyLabel({ ordinal: x.lastOrdinal, timestampSeconds: 2 * DAY + 1, customerId: 'd', terminalId: 'm' }, 1);
  assert.equal(x.update({ timestampSeconds: 3 * DAY + 2, customerId: 'e', terminalId: 'm', amount: 1 })[0], 2);
  assert.equal(x.applyLabel({ ordinal: 999, timestampSeconds: 5, customerId: 'a', terminalId: 'm' }, 1), false);
});
