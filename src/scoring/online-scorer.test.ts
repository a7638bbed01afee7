import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConfigError, DataError } from '../errors.js';
import { builtinFeatureSpec, type TransactionColumns, transactionsFromCsv } from '../features/index.js';
import { writeTransactionsCsv } from '../simulation/index.js';
import { runTrainJob } from '../training/index.js';
import { OnlineScorer } from './online-scorer.js';
import { runPredictJob } from './predict-job.js';
import { decide, decisionBands } from './spec-model.js';
import { trainTestBundle, writeTestApplications } from './test-bundles.js';

const root = await mkdtemp(join(tmpdir(), 'vigil-online-scorer-'));
after(() => rm(root, { recursive: true, force: true }));

let dataPath = '';
before(async () => {
  dataPath = join(root, 'transactions.csv');
  await writeTransactionsCsv({ customers: 80, terminals: 160, days: 40, seed: 5 }, dataPath);
});

async function trainSpecBundle(name: string, model: 'logistic' | 'lstm', spec: string): Promise<string> {
  const { bundleDir } = await runTrainJob({
    dataPath,
    target: 'TX_FRAUD',
    model,
    split: { kind: 'time', column: 'TX_DATETIME', testFrom: '2025-02-01' },
    seed: 1,
    epochs: 1,
    threads: 1,
    outDir: join(root, name),
    features: { spec: builtinFeatureSpec(spec) },
  });
  return bundleDir;
}

/** `vigil predict`'s scores, by transaction id. */
async function batchScores(modelDir: string): Promise<Map<string, number>> {
  const outPath = join(modelDir, '..', `${modelDir.split('/').pop()}-scores.csv`);
  await runPredictJob({ modelDir, dataPath, outPath });
  const lines = (await readFile(outPath, 'utf8')).trim().split('\n').slice(1);
  return new Map(lines.map((l) => [l.split(',')[0] as string, Number(l.split(',')[1])]));
}

/** Scores every transaction of the file one event at a time, its label arriving just after it. */
async function onlineScores(scorer: OnlineScorer, tx: TransactionColumns): Promise<Map<string, number>> {
  const scores = new Map<string, number>();
  for (let i = 0; i < tx.nRows; i++) {
    const { label: _label, ...event } = tx.event(i);
    const result = await scorer.scoreEvent(event);
    scores.set(tx.ids[i] as string, result.score);
    scorer.applyLabel(
      { ordinal: result.ordinal, timestampSeconds: event.timestampSeconds, ...keysOf(event) },
      (tx.labels as Float64Array)[i] as number,
    );
  }
  return scores;
}

function keysOf(e: ReturnType<TransactionColumns['event']>) {
  return {
    customerId: e.customerId,
    terminalId: e.terminalId,
    ...(e.ipAddress === undefined ? {} : { ipAddress: e.ipAddress }),
    ...(e.deviceId === undefined ? {} : { deviceId: e.deviceId }),
  };
}

function assertSameScores(online: Map<string, number>, batch: Map<string, number>): void {
  assert.equal(online.size, batch.size);
  let worst = 0;
  for (const [id, score] of online) {
    const expected = batch.get(id);
    assert.ok(expected !== undefined, `predict has no score for ${id}`);
    worst = Math.max(worst, Math.abs(score - expected));
  }
  // predict writes 6 decimals: half a unit of the last place, plus float32 noise.
  assert.ok(worst <= 5e-7 + 1e-6, `largest difference ${worst}`);
}

describe('OnlineScorer: one event at a time gives the batch path scores', () => {
  test('logistic on fraud-handbook (label windows fed by late labels) scores as vigil predict', async () => {
    const dir = await trainSpecBundle('logistic', 'logistic', 'fraud-handbook');
    const scorer = await OnlineScorer.load(dir);
    try {
      const tx = await transactionsFromCsv(dataPath, scorer.record.spec);
      assert.ok(tx.nRows > 1000, `${tx.nRows} transactions`);
      assertSameScores(await onlineScores(scorer, tx), await batchScores(dir));
      assert.match(scorer.modelVersion, /^logistic-[0-9a-f]{12}$/);
    } finally {
      scorer.dispose();
    }
  });

  test('lstm on fraud-behaviour (sequence ring, device and IP features) scores as vigil predict', async () => {
    const dir = await trainSpecBundle('lstm', 'lstm', 'fraud-behaviour');
    const scorer = await OnlineScorer.load(dir);
    try {
      const tx = await transactionsFromCsv(dataPath, scorer.record.spec);
      assertSameScores(await onlineScores(scorer, tx), await batchScores(dir));
    } finally {
      scorer.dispose();
    }
  });

  test('a batch of events scores as the same events one by one; a bad batch changes nothing', async () => {
    const dir = join(root, 'logistic');
    const one = await OnlineScorer.load(dir);
    const many = await OnlineScorer.load(dir);
    try {
      const tx = await transactionsFromCsv(dataPath, one.record.spec);
      const events = Array.from({ length: 300 }, (_, i) => {
        const { label: _label, ...e } = tx.event(i);
        return e;
      });
      const singles = [];
      for (const e of events) singles.push(await one.scoreEvent(e));
      const late = events[299] as (typeof events)[number];
      const bad = [
        { ...late, amount: Number.NaN },
        { ...late, timestampSeconds: late.timestampSeconds - 86_400 * 400 },
      ];
      await many.scoreEvents(events.slice(0, 299));
      await assert.rejects(
        () => many.scoreEvents([late, ...bad]),
        (e: unknown) =>
          e instanceof DataError &&
          e.issues.map((i) => i.code).join() === 'invalid_amount,out_of_order' &&
          e.issues[1]?.path.join() === '2,timestamp',
      );
      const [last] = await many.scoreEvents([late]);
      assert.deepEqual(last, singles[299]);
      const result = singles[0];
      assert.ok(result);
      assert.deepEqual(Object.keys(result.features), one.featureNames);
      assert.equal(result.decision, decide(result.score, one.bands));
    } finally {
      one.dispose();
      many.dispose();
    }
  });

  test('events scored concurrently share one model call and get the scores they get one by one (lstm: sequences)', async () => {
    const dir = join(root, 'lstm');
    const one = await OnlineScorer.load(dir);
    const together = await OnlineScorer.load(dir);
    try {
      const tx = await transactionsFromCsv(dataPath, one.record.spec);
      const events = Array.from({ length: 200 }, (_, i) => {
        const { label: _label, ...e } = tx.event(i);
        return e;
      });
      const singles: Awaited<ReturnType<OnlineScorer['scoreEvent']>>[] = [];
      for (const e of events) singles.push(await one.scoreEvent(e));
      // Count the model calls of the scorer that takes them concurrently.
      const estimator = (
        together as unknown as { current: { model: { estimator: { predictProba: (x: unknown) => Promise<unknown> } } } }
      ).current.model.estimator;
      const predict = estimator.predictProba.bind(estimator);
      let calls = 0;
      let predictMs = 0;
      estimator.predictProba = async (x: unknown) => {
        calls++;
        const started = performance.now();
        const proba = await predict(x);
        predictMs += performance.now() - started;
        return proba;
      };
      // Requests in one turn of the event loop: 1, 3 and 2 events, then 194 one by one at once.
      const timings = [0, 1, 2].map(() => ({ featuresMs: 0, modelMs: 0, modelCallMs: 0 }));
      const concurrent = await Promise.all([
        together.scoreEvents(events.slice(0, 1), [], timings[0]),
        together.scoreEvents(events.slice(1, 4), [], timings[1]),
        together.scoreEvents(events.slice(4, 6), [], timings[2]),
        ...events.slice(6).map((e) => together.scoreEvents([e])),
      ]);
      assert.equal(calls, 1);
      // Each request's share of the one call is in proportion to its events, and is part of its model time.
      const [t1, t3, t2] = timings;
      assert.ok(t1 !== undefined && t3 !== undefined && t2 !== undefined);
      assert.ok(t1.modelCallMs > 0 && t1.modelCallMs <= t1.modelMs);
      assert.ok(Math.abs(t3.modelCallMs - 3 * t1.modelCallMs) < 1e-9 * t3.modelCallMs + 1e-12);
      assert.ok(Math.abs(t2.modelCallMs - 2 * t1.modelCallMs) < 1e-9 * t2.modelCallMs + 1e-12);
      // The shares of all 200 rows cover the call (and the preprocessing before it).
      assert.ok(200 * t1.modelCallMs >= predictMs, `${200 * t1.modelCallMs} ms against ${predictMs} ms`);
      const flat = concurrent.flat();
      assert.equal(flat.length, 200);
      for (let i = 0; i < 200; i++) {
        const a = flat[i];
        const b = singles[i];
        assert.ok(a !== undefined && b !== undefined);
        assert.equal(a.ordinal, b.ordinal);
        assert.deepEqual(a.features, b.features);
        assert.ok(Math.abs(a.score - b.score) < 1e-6, `event ${i}: ${a.score} against ${b.score}`);
      }
    } finally {
      one.dispose();
      together.dispose();
    }
  });

  test('a late event within maxLatenessSeconds is taken as of the latest time, later ones are refused', async () => {
    const dir = join(root, 'logistic');
    const tolerant = await OnlineScorer.load(dir, { maxLatenessSeconds: 60 });
    const strict = await OnlineScorer.load(dir);
    try {
      const tx = await transactionsFromCsv(dataPath, tolerant.record.spec);
      const events = Array.from({ length: 200 }, (_, i) => {
        const { label: _label, ...e } = tx.event(i);
        return e;
      });
      for (const e of events) {
        await tolerant.scoreEvents([e]);
        await strict.scoreEvents([e]);
      }
      const latest = (events[199] as (typeof events)[number]).timestampSeconds;
      const late = { ...(events[0] as (typeof events)[number]), id: 'late', timestampSeconds: latest - 30 };
      // The strict scorer refuses it; taken at the latest time, it scores as the strict one scores it with that time.
      await assert.rejects(() => strict.scoreEvents([late]), { code: 'invalid_events' });
      const [taken] = await tolerant.scoreEvents([late]);
      const [asOfLatest] = await strict.scoreEvents([{ ...late, timestampSeconds: latest }]);
      assert.ok(taken && asOfLatest);
      assert.equal(taken.processedAtSeconds, latest);
      assert.deepEqual(taken.features, asOfLatest.features);
      assert.equal(taken.score, asOfLatest.score);
      // Its label finds it by ordinal, though its own time is earlier than the time it was taken at.
      assert.equal(tolerant.applyLabel({ ordinal: taken.ordinal, ...keysOf(late) }, 1), true);
      const tooLate = { ...late, id: 'too-late', timestampSeconds: latest - 61 };
      await assert.rejects(
        () => tolerant.scoreEvents([tooLate]),
        (e: unknown) =>
          e instanceof DataError && e.issues[0]?.code === 'out_of_order' && /up to 60 s late/.test(e.issues[0].message),
      );
      await assert.rejects(() => OnlineScorer.load(dir, { maxLatenessSeconds: -1 }), { code: 'invalid_option' });
    } finally {
      tolerant.dispose();
      strict.dispose();
    }
  });

  test('decision bands: decline from the threshold, review from half of it by default', () => {
    const bands = decisionBands(0.4);
    assert.deepEqual(bands, { declineFrom: 0.4, reviewFrom: 0.2 });
    assert.equal(decide(0.4, bands), 'decline');
    assert.equal(decide(0.2, bands), 'review');
    assert.equal(decide(0.19, bands), 'approve');
    assert.equal(decide(Number.NaN, bands), 'review', 'no score is never an approve');
    assert.throws(() => decisionBands(0.4, 0.5), ConfigError);
  });

  test('a bundle trained on table columns is refused', async () => {
    const apps = await writeTestApplications(root, 600);
    const dir = await trainTestBundle(apps, root, 'table', { model: 'logistic' });
    await assert.rejects(() => OnlineScorer.load(dir), { code: 'no_feature_spec' });
  });
});
