// The recovery benchmarks' log: a simulated stream (fraud-behaviour, `customers` customers over
// `days` days) scored into an audit store in this process as the service writes it
// (pseudonymised events, one decision each, committed in groups of 1,000), with the tests' small
// logistic bundle (the replay computes features only; the model does not matter to it).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { builtinFeatureSpec, transactionsFromCsv } from '../src/features/index.js';
import { OnlineScorer } from '../src/scoring/index.js';
import { createPseudonymiser } from '../src/server/index.js';
import { trainTestStream } from '../src/server/test-service.js';
import { writeTransactionsCsv } from '../src/simulation/index.js';
import { AuditStore, type DecisionRecord, type StoredEvent, transactionOfStoredEvent } from '../src/store/index.js';

export const BENCH_PSEUDONYM_KEY = 'bench-key-'.repeat(4);

/** The stream's events as stored (pseudonymised), in time order. */
export async function benchStream(
  dir: string,
  customers: number,
  days: number,
): Promise<{ bundleDir: string; events: StoredEvent[] }> {
  const spec = builtinFeatureSpec('fraud-behaviour');
  await mkdir(join(dir, 'small'), { recursive: true });
  const { bundleDir } = await trainTestStream(join(dir, 'small'));
  const dataPath = join(dir, 'stream.csv');
  await writeTransactionsCsv({ customers, terminals: customers * 2, days, seed: 7 }, dataPath);
  const tx = await transactionsFromCsv(dataPath, spec);
  const { pseudonymise } = createPseudonymiser(BENCH_PSEUDONYM_KEY);
  const events: StoredEvent[] = [];
  for (let i = 0; i < tx.nRows; i++) {
    const e = tx.event(i);
    events.push({
      kind: 'transaction',
      id: tx.ids[i] as string,
      timestamp: new Date(e.timestampSeconds * 1000).toISOString(),
      customerId: pseudonymise('customerId', String(e.customerId)),
      terminalId: String(e.terminalId),
      amount: e.amount,
      ...(e.channel === undefined ? {} : { channel: e.channel }),
      ...(e.latitude === undefined || Number.isNaN(e.latitude) ? {} : { latitude: e.latitude }),
      ...(e.longitude === undefined || Number.isNaN(e.longitude) ? {} : { longitude: e.longitude }),
      ...(e.ipAddress === undefined ? {} : { ipAddress: pseudonymise('ipAddress', e.ipAddress) }),
      ...(e.deviceId === undefined ? {} : { deviceId: pseudonymise('deviceId', e.deviceId) }),
    });
  }
  return { bundleDir, events };
}

/** The records of scored events, as the service commits them. */
export function decisionRecords(
  events: StoredEvent[],
  scores: Awaited<ReturnType<OnlineScorer['scoreEvents']>>,
): DecisionRecord[] {
  return scores.map((s, k) => ({
    eventId: (events[k] as StoredEvent).id,
    receivedAtMs: Date.now(),
    event: events[k] as StoredEvent,
    features: s.features,
    modelVersion: s.modelVersion,
    score: s.score,
    decision: s.decision,
    reasons: s.reasons,
    rulesHit: [],
    latencyMs: 0,
    ordinal: s.ordinal,
    runId: 'bench',
  }));
}

/** Scores `events` with a fresh scorer into a new audit store at `dbPath`, in groups of 1,000; returns the seconds it took. */
export async function writeScoredLog(bundleDir: string, events: StoredEvent[], dbPath: string): Promise<number> {
  const { keyFingerprint } = createPseudonymiser(BENCH_PSEUDONYM_KEY);
  const store = AuditStore.open(dbPath, { keyFingerprint });
  const scorer = await OnlineScorer.load(bundleDir);
  const started = performance.now();
  for (let from = 0; from < events.length; from += 1000) {
    const group = events.slice(from, from + 1000);
    await store.append(decisionRecords(group, await scorer.scoreEvents(group.map(transactionOfStoredEvent))));
  }
  scorer.dispose();
  store.close();
  return (performance.now() - started) / 1000;
}
