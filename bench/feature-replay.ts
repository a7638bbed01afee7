// Speed of the feature step: every transaction of a file through a feature spec (parsing excluded:
// the file is read into columns first), as a replay (replayTransactions, the training path) on
// --threads threads (default: as replayTransactions would choose) and on one, and as online updates
// one event at a time (FeatureExecutor.update, the service path). Prints one JSON object with
// wall-clock and CPU seconds (process.cpuUsage, user + system of every thread, GC included): on a
// shared machine the one-thread CPU time is the steadier figure. The replay threads are started
// before the file is read, as the CLI does, so the rounds time replays, not thread start-up.
//
// Run: npm run bench:features [-- --data FILE --spec fraud-handbook|FILE.json --rounds 3 --threads N]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  builtinFeatureSpec,
  FeatureExecutor,
  parseFeatureSpec,
  replayTransactions,
  startReplayThreads,
  transactionsFromCsv,
} from '../src/features/index.js';

const { values } = parseArgs({
  options: {
    data: {
      type: 'string',
      default: new URL('../../shared/data/fraud_sim/transactions.csv.gz', import.meta.url).pathname,
    },
    spec: { type: 'string', default: 'fraud-handbook' },
    rounds: { type: 'string', default: '3' },
    threads: { type: 'string' },
  },
});
const threads = values.threads === undefined ? undefined : Number(values.threads);
await startReplayThreads(threads);
const spec = values.spec.endsWith('.json')
  ? parseFeatureSpec(JSON.parse(readFileSync(values.spec, 'utf8')))
  : builtinFeatureSpec(values.spec);
const parseStart = performance.now();
const tx = await transactionsFromCsv(values.data, spec);
const parseSeconds = (performance.now() - parseStart) / 1000;
const rounds = Number(values.rounds);
const replaySeconds: number[] = [];
const replayCpuSeconds: number[] = [];
const oneThreadSeconds: number[] = [];
const oneThreadCpuSeconds: number[] = [];
let threadsUsed = 1;
const onlineSeconds: number[] = [];
const onlineCpuSeconds: number[] = [];
const cpuSince = (start: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
};
let checksum = 0;
for (let r = 0; r < rounds; r++) {
  let start = performance.now();
  let cpuStart = process.cpuUsage();
  const replay = replayTransactions(spec, tx, { threads });
  replaySeconds.push((performance.now() - start) / 1000);
  replayCpuSeconds.push(cpuSince(cpuStart));
  threadsUsed = Math.max(threadsUsed, replay.threads);
  checksum += replay.features[replay.features.length - 1] as number;
  start = performance.now();
  cpuStart = process.cpuUsage();
  const alone = replayTransactions(spec, tx, { threads: 1 });
  oneThreadSeconds.push((performance.now() - start) / 1000);
  oneThreadCpuSeconds.push(cpuSince(cpuStart));
  checksum += alone.features[alone.features.length - 1] as number;
  const executor = new FeatureExecutor(spec);
  const out = new Float64Array(executor.featureNames.length);
  start = performance.now();
  cpuStart = process.cpuUsage();
  for (let i = 0; i < tx.nRows; i++) {
    executor.update(tx.event(i), out);
    checksum += out[out.length - 1] as number;
  }
  onlineSeconds.push((performance.now() - start) / 1000);
  onlineCpuSeconds.push(cpuSince(cpuStart));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(
  JSON.stringify(
    {
      data: values.data,
      spec: spec.name,
      features: spec.features.length,
      transactions: tx.nRows,
      parseSeconds: Number(parseSeconds.toFixed(2)),
      replayThreads: threadsUsed,
      replaySeconds: replaySeconds.map((s) => Number(s.toFixed(3))),
      replayTransactionsPerSec: Math.round(tx.nRows / median(replaySeconds)),
      replayCpuSeconds: replayCpuSeconds.map((s) => Number(s.toFixed(3))),
      oneThreadSeconds: oneThreadSeconds.map((s) => Number(s.toFixed(3))),
      oneThreadTransactionsPerSec: Math.round(tx.nRows / median(oneThreadSeconds)),
      oneThreadCpuSeconds: oneThreadCpuSeconds.map((s) => Number(s.toFixed(3))),
      oneThreadTransactionsPerCpuSec: Math.round(tx.nRows / median(oneThreadCpuSeconds)),
      onlineSeconds: onlineSeconds.map((s) => Number(s.toFixed(3))),
      onlineTransactionsPerSec: Math.round(tx.nRows / median(onlineSeconds)),
      onlineCpuSeconds: onlineCpuSeconds.map((s) => Number(s.toFixed(3))),
      onlineTransactionsPerCpuSec: Math.round(tx.nRows / median(onlineCpuSeconds)),
      checksum,
    },
    null,
    2,
  ),
);
