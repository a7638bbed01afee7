// Cost of evaluating a compiled rule set per event: 50 rules of three conditions each (an amount
// above a threshold, the terminal in a list of 100, a customer's transactions in the last day at
// least some count), over the transactions of a file with their fraud-handbook online features
// (replayed first, not timed). The rules' thresholds spread from the amount's median upwards, so
// some events hit a few rules and most hit none, and conditions are read to different depths.
//
// The reference, in the same process over the same contexts: the same 50 rules as one plain
// JavaScript function, `if (e.amount > 61.2 && blocked.has(e.terminalId) && f.X >= 3) hits.push(…)`
// for each, made with `new Function` so the engine sees straight-line code. The output gives ns per
// rule of both, their ratio, and the hits of both (which must agree).
//
// Run: npm run bench:rules [-- --data FILE --events 200000 --rounds 5]
import { parseArgs } from 'node:util';
import { builtinFeatureSpec, replayTransactions, transactionsFromCsv } from '../src/features/index.js';
import { compileRuleSet, type RuleContext } from '../src/rules/index.js';

const { values } = parseArgs({
  options: {
    data: {
      type: 'string',
      default: new URL('../../shared/data/fraud_sim/transactions.csv.gz', import.meta.url).pathname,
    },
    events: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '5' },
  },
});
const rounds = Number(values.rounds);
const maxEvents = Number(values.events);
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(`--rounds must be a whole number ≥ 1, got ${values.rounds}`);
if (!Number.isInteger(maxEvents) || maxEvents < 1)
  throw new Error(`--events must be a whole number ≥ 1, got ${values.events}`);

const RULES = 50;
const COUNT_FEATURE = 'CUSTOMER_ID_NB_TX_1DAY_WINDOW';
const spec = builtinFeatureSpec('fraud-handbook');
const tx = await transactionsFromCsv(values.data, spec);
const { features, featureNames } = replayTransactions(spec, tx);
const n = Math.min(tx.nRows, maxEvents);
const width = featureNames.length;
const contexts: RuleContext[] = [];
const terminals: string[] = [];
for (let i = 0; i < n; i++) {
  const e = tx.event(i);
  const byName: Record<string, number> = {};
  featureNames.forEach((name, f) => {
    byName[name] = features[i * width + f] as number;
  });
  const event = {
    kind: 'transaction',
    id: e.id,
    customerId: String(e.customerId),
    terminalId: String(e.terminalId),
    amount: e.amount,
  };
  contexts.push({ event, features: byName, score: Number.NaN });
  terminals.push(event.terminalId);
}
const amounts = contexts.map((c) => (c.event as { amount: number }).amount).sort((a, b) => a - b);
const quantile = (q: number) => amounts[Math.min(amounts.length - 1, Math.floor(q * amounts.length))] as number;
// 100 terminals of the file, the most frequent ones, so the list condition is often true.
const terminalCounts = new Map<string, number>();
for (const t of terminals) terminalCounts.set(t, (terminalCounts.get(t) ?? 0) + 1);
const blocked = [...terminalCounts.entries()]
  .sort((a, b) => b[1] - a[1])
  .slice(0, 100)
  .map(([t]) => t);
const rules = Array.from({ length: RULES }, (_, r) => ({
  id: `r${r}`,
  action: 'review' as const,
  reason: `rule ${r}`,
  amountAbove: quantile(0.5 + (0.5 * r) / RULES),
  countAtLeast: 1 + (r % 5),
}));

const compiled = compileRuleSet(
  {
    version: 'bench',
    lists: { blocked },
    rules: rules.map((r) => ({
      id: r.id,
      action: r.action,
      reason: r.reason,
      when: {
        all: [
          { field: 'event.amount', op: '>', value: r.amountAbove },
          { field: 'event.terminalId', op: 'in', list: 'blocked' },
          { field: `features.${COUNT_FEATURE}`, op: '>=', value: r.countAtLeast },
        ],
      },
    })),
  },
  { featureNames },
);

const hitObjects = rules.map((r) => ({ id: r.id, action: r.action, reason: r.reason }));
const handWritten = new Function(
  'blocked',
  'hitObjects',
  `return (context) => {
    const e = context.event, f = context.features, hits = [];
    ${rules
      .map(
        (r, k) =>
          `if (e.amount > ${r.amountAbove} && blocked.has(e.terminalId) && f.${COUNT_FEATURE} >= ${r.countAtLeast}) hits.push(hitObjects[${k}]);`,
      )
      .join('\n    ')}
    return hits;
  };`,
)(new Set(blocked), hitObjects) as (context: RuleContext) => unknown[];

function time(evaluate: (context: RuleContext) => unknown[]): {
  nsPerRule: number;
  hits: number;
  eventsWithAHit: number;
} {
  let hits = 0;
  let eventsWithAHit = 0;
  const start = process.hrtime.bigint();
  for (const context of contexts) {
    const n = evaluate(context).length;
    hits += n;
    if (n > 0) eventsWithAHit++;
  }
  return { nsPerRule: Number(process.hrtime.bigint() - start) / contexts.length / RULES, hits, eventsWithAHit };
}
const compiledNs: number[] = [];
const referenceNs: number[] = [];
let compiledHits = 0;
let eventsWithAHit = 0;
let referenceHits = 0;
for (let r = 0; r < rounds; r++) {
  const a = time((c) => compiled.evaluate(c));
  const b = time(handWritten);
  compiledNs.push(a.nsPerRule);
  referenceNs.push(b.nsPerRule);
  compiledHits = a.hits;
  eventsWithAHit = a.eventsWithAHit;
  referenceHits = b.hits;
}
if (compiledHits !== referenceHits)
  throw new Error(`the compiled rules hit ${compiledHits} times, the hand-written ones ${referenceHits}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const round1 = (x: number) => Number(x.toFixed(1));
console.log(
  JSON.stringify(
    {
      data: values.data,
      events: contexts.length,
      rules: RULES,
      hits: compiledHits,
      eventsWithAHit,
      compiledNsPerRule: { median: round1(median(compiledNs)), rounds: compiledNs.map(round1) },
      referenceNsPerRule: { median: round1(median(referenceNs)), rounds: referenceNs.map(round1) },
      overReference: Number((median(compiledNs) / median(referenceNs)).toFixed(2)),
    },
    null,
    2,
  ),
);
