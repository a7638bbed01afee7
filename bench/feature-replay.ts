// Speed of the feature step: every transaction of a file through a feature spec (parsing excluded:
// the file is read into columns first), as a replay (replayTransactions, the training path) and as
// online updates one event at a time (FeatureExecutor.update, the service path). Prints one JSON object
// with wall-clock and CPU seconds (process.cpuUsage, user + system, GC threads included): on a shared
// machine the CPU time is the steadier figure.
//
// Run: npm run bench:features [-- --data FILE --spec fraud-handbook|FILE.json --rounds 3]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  builtinFeatureSpec,
  FeatureExecutor,
  parseFeatureSpec,
  replayTransactions,
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
  },
});
const spec = values.spec.endsWith('.json')
  ? parseFeatureSpec(JSON.parse(readFileSync(values.spec, 'utf8')))
  : builtinFeatureSpec(values.spec);
const parseStart = performance.now();
const tx = await transactionsFromCsv(values.data, spec);
const parseSeconds = (performance.now() - parseStart) / 1000;
const rounds = Number(values.rounds);
const replaySeconds: number[] = [];
const replayCpuSeconds: number[] = [];
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
  const { features } = replayTransactions(spec, tx);
  replaySeconds.push((performance.now() - start) / 1000);
  replayCpuSeconds.push(cpuSince(cpuStart));
  checksum += features[features.length - 1] as number;
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
      replaySeconds: replaySeconds.map((s) => Number(s.toFixed(3))),
      replayTransactionsPerSec: Math.round(tx.nRows / median(replaySeconds)),
      replayCpuSeconds: replayCpuSeconds.map((s) => Number(s.toFixed(3))),
      replayTransactionsPerCpuSec: Math.round(tx.nRows / median(replayCpuSeconds)),
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
