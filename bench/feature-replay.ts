// Speed of the feature step: every transaction of a file through a feature spec (parsing excluded:
// the file is read into columns first), as a replay (replayTransactions, the training path) on
// --threads threads (default: as replayTransactions would choose) and on one, and as online updates
// one event at a time (FeatureExecutor.update, the service path). Prints one JSON object with
// wall-clock and CPU seconds (process.cpuUsage, user + system of every thread, GC included): on a
// shared machine the one-thread CPU time is the steadier figure. The replay threads are started
// before the file is read, as the CLI does, so the rounds time replays, not thread start-up.
//
// For the fraud-handbook spec it also runs the reference, the same 15 features vectorised with numpy
// (bench/handbook-features-numpy.py, through /usr/bin/python3 with numpy and pandas; parsing excluded
// there too), checks that every feature's sum agrees, and prints the ratio of the two times.
//
// Run: npm run bench:features [-- --data FILE --spec fraud-handbook|FILE.json --rounds 3 --threads N --no-reference]
import { spawnSync } from 'node:child_process';
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
    'no-reference': { type: 'boolean', default: false },
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
let lastFeatures: Float64Array<ArrayBufferLike> = new Float64Array(0);
for (let r = 0; r < rounds; r++) {
  let start = performance.now();
  let cpuStart = process.cpuUsage();
  const replay = replayTransactions(spec, tx, { threads });
  replaySeconds.push((performance.now() - start) / 1000);
  replayCpuSeconds.push(cpuSince(cpuStart));
  threadsUsed = Math.max(threadsUsed, replay.threads);
  lastFeatures = replay.features;
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
/** The numpy reference's times and its per-feature sums against the replay's (largest relative difference). */
function numpyReference(features: Float64Array, names: string[]) {
  const script = new URL('./handbook-features-numpy.py', import.meta.url).pathname;
  const run = spawnSync('/usr/bin/python3', [script, values.data, String(rounds)], { encoding: 'utf8' });
  if (run.status !== 0)
    return {
      skipped: `the numpy reference did not run: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}`,
    };
  const reference = JSON.parse(run.stdout) as {
    seconds: number[];
    sums: Record<string, number>;
    numpy: string;
    pandas: string;
  };
  let sumsMaxRelativeDifference = 0;
  names.forEach((name, f) => {
    let sum = 0;
    for (let i = f; i < features.length; i += names.length) sum += features[i] as number;
    const theirs = reference.sums[name] as number;
    sumsMaxRelativeDifference = Math.max(
      sumsMaxRelativeDifference,
      Math.abs(sum - theirs) / Math.max(1, Math.abs(theirs)),
    );
  });
  return { seconds: reference.seconds, numpy: reference.numpy, pandas: reference.pandas, sumsMaxRelativeDifference };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const reference =
  spec.name === 'fraud-handbook' && !values['no-reference']
    ? numpyReference(
        lastFeatures,
        spec.features.map((f) => f.name),
      )
    : undefined;
const referenceFigures =
  reference === undefined
    ? {}
    : 'skipped' in reference
      ? { numpyReference: reference.skipped }
      : {
          numpyReference: `numpy ${reference.numpy}, pandas ${reference.pandas}`,
          numpySeconds: reference.seconds,
          numpyTransactionsPerSec: Math.round(tx.nRows / median(reference.seconds)),
          // Above 1: the replay takes less time than numpy.
          numpySecondsOverReplaySeconds: Number((median(reference.seconds) / median(replaySeconds)).toFixed(2)),
          numpySecondsOverOneThreadSeconds: Number((median(reference.seconds) / median(oneThreadSeconds)).toFixed(2)),
          featureSumsMaxRelativeDifference: reference.sumsMaxRelativeDifference,
        };
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
      ...referenceFigures,
      checksum,
    },
    null,
    2,
  ),
);
