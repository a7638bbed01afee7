/**
 * Decision records for the store's tests: decision i has event id `e{i}`, ordinal i, customer
 * `c{i % 50}`, terminal `t{i % 7}`, features `{ A: i, B: NaN }` (NaN is kept as null in JSON and
 * read back as NaN); `event(i)` changes or adds event fields.
 */
import type { DecisionRecord, StoredEvent } from './decision-log.js';

export function testDecisions(
  from: number,
  n: number,
  event: (i: number) => Partial<StoredEvent> = () => ({}),
): DecisionRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    return {
      eventId: `e${i}`,
      receivedAtMs: 1_700_000_000_000 + i,
      event: {
        kind: 'transaction',
        id: `e${i}`,
        timestamp: '2026-12-03T08:00:00Z',
        customerId: `c${i % 50}`,
        terminalId: `t${i % 7}`,
        amount: i,
        ...event(i),
      },
      features: { A: i, B: Number.NaN },
      modelVersion: 'mlp-000000000000',
      score: 0.1,
      decision: 'approve',
      reasons: [],
      rulesHit: [],
      latencyMs: 0.2,
      ordinal: i,
      runId: 'run',
    };
  });
}
