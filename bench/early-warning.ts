// Cost of early warning per decided event: every transaction of a file, in time order, through
// EarlyWarning.observe with its default options over the four entity kinds. The file has customers
// and terminals; each customer gets an IP address shared with three others and a device of its own, so all four kinds are watched. The decision is `decline` for a fraud label
// and `approve` otherwise, the score 0.9 or 0.05: what a model that caught every fraud would send.
//
// The reference, in the same process over the same events: the least any per-entity indicator must
// do, one Map lookup per entity kind and a bucket's five counters bumped (no window, history,
// spike check or eviction). The output gives µs per event of both, their ratio, the entities held
// at the end and the alerts raised.
//
// Run: npm run bench:early-warning [-- --data FILE --rounds 5]
import { parseArgs } from 'node:util';
import { builtinFeatureSpec, transactionsFromCsv } from '../src/features/index.js';
import { EarlyWarning, type ObservedEvent } from '../src/monitoring/early-warning.js';

const { values } = parseArgs({
  options: {
    data: {
      type: 'string',
      default: new URL('../../shared/data/fraud_sim/transactions.csv.gz', import.meta.url).pathname,
    },
    rounds: { type: 'string', default: '5' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a whole number ≥ 1, got ${values.rounds}`);

const tx = await transactionsFromCsv(values.data, builtinFeatureSpec('fraud-handbook'));
const customerIds = new Map<string, number>();
const events: ObservedEvent[] = [];
for (let i = 0; i < tx.nRows; i++) {
  const e = tx.event(i);
  const customerId = String(e.customerId);
  let c = customerIds.get(customerId);
  if (c === undefined) {
    c = customerIds.size;
    customerIds.set(customerId, c);
  }
  const fraud = e.label === 1;
  events.push({
    eventId: e.id ?? `e${i}`,
    timestampSeconds: e.timestampSeconds,
    customerId,
    terminalId: String(e.terminalId),
    ipAddress: `ip-${c >> 2}`,
    deviceId: `device-${c}`,
    decision: fraud ? 'decline' : 'approve',
    score: fraud ? 0.9 : 0.05,
  });
}

/** The reference: one map per kind, a bucket's counters per entity, nothing else (and no allocation per event). */
function bareCounting(stream: readonly ObservedEvent[]): number {
  const maps = [new Map<string, Float64Array>(), new Map(), new Map(), new Map()];
  let check = 0;
  for (const e of stream) {
    const bucket = Math.floor(e.timestampSeconds / 60);
    for (let k = 0; k < 4; k++) {
      const id = k === 0 ? e.customerId : k === 1 ? e.terminalId : k === 2 ? e.ipAddress : e.deviceId;
      if (id === undefined) continue;
      const map = maps[k] as Map<string, Float64Array>;
      let counters = map.get(id);
      if (counters === undefined) {
        counters = new Float64Array(6);
        map.set(id, counters);
      }
      if (counters[0] !== bucket) {
        counters.fill(0);
        counters[0] = bucket;
      }
      counters[1] = (counters[1] as number) + 1;
      counters[2] = (counters[2] as number) + (e.decision === 'approve' ? 0 : 1);
      counters[3] = (counters[3] as number) + (e.decision === 'decline' ? 1 : 0);
      counters[4] = (counters[4] as number) + 1;
      counters[5] = (counters[5] as number) + e.score;
      check += counters[1] as number;
    }
  }
  return check;
}

const usPerEvent = (ms: number) => (ms * 1000) / events.length;
const warningUs: number[] = [];
const referenceUs: number[] = [];
let alerts = 0;
let entitiesHeld: ReturnType<EarlyWarning['entityCounts']> = {};
let checksum = 0;
for (let r = 0; r < rounds; r++) {
  const warning = new EarlyWarning();
  let start = performance.now();
  alerts = 0;
  for (const e of events) alerts += warning.observe(e).length;
  warningUs.push(usPerEvent(performance.now() - start));
  entitiesHeld = warning.entityCounts();
  start = performance.now();
  checksum += bareCounting(events);
  referenceUs.push(usPerEvent(performance.now() - start));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round3 = (x: number) => Number(x.toFixed(3));
console.log(
  JSON.stringify(
    {
      data: values.data,
      events: events.length,
      customers: customerIds.size,
      rounds,
      entitiesHeld,
      alertsRaised: alerts,
      earlyWarningUsPerEvent: { median: round3(median(warningUs)), rounds: warningUs.map(round3) },
      referenceUsPerEvent: { median: round3(median(referenceUs)), rounds: referenceUs.map(round3) },
      overReference: round3(median(warningUs) / median(referenceUs)),
      checksum,
    },
    null,
    2,
  ),
);
