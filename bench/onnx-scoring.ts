// Scoring latency through onnxruntime (CPU, one intra-op thread) against the TF.js runner, in the
// same process, on random weights: one row per call (what a request-time service does) and
// 1,000-row batches. Per-call times are medians over several rounds, each round timing a tight
// loop after a warm-up. Prints one JSON object.
//
// Run: npm run bench:onnx [-- --rounds 5 --seconds 1 --api binding|public]
// (--api public runs onnxruntime-node's public InferenceSession API instead of its native binding.)
import { parseArgs } from 'node:util';
import { createTfjsRunner } from '../src/engine/index.js';
import type { NetworkRunner, NetworkWeight } from '../src/engine/network-runner.js';
import { inputSize, type NetworkSpec, weightSlots } from '../src/engine/network-spec.js';
import { createOnnxRunner } from '../src/onnx/index.js';
import { Random } from '../src/random.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    seconds: { type: 'string', default: '1' },
    api: { type: 'string', default: 'binding' },
  },
});
const api = values.api === 'public' ? 'public' : 'binding';
const rounds = Number(values.rounds);
const secondsPerRound = Number(values.seconds);

const MLP: NetworkSpec = {
  inputShape: [30],
  layers: [
    { type: 'dense', units: 256, activation: 'relu' },
    { type: 'dense', units: 128, activation: 'relu' },
    { type: 'dense', units: 1 },
  ],
};
const LSTM: NetworkSpec = {
  inputShape: [10, 15],
  layers: [
    { type: 'lstm', units: 64 },
    { type: 'dense', units: 1 },
  ],
};

function randomWeights(spec: NetworkSpec, rng: Random): NetworkWeight[] {
  return weightSlots(spec).map((slot) => ({
    name: slot.name,
    shape: slot.shape,
    values: Float32Array.from({ length: slot.shape.reduce((a, b) => a * b, 1) }, () => rng.normal(0, 0.1)),
  }));
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;

/** Median over rounds of the mean time per `run(x, nRows)` call, in microseconds. */
async function microsPerCall(runner: NetworkRunner, x: Float32Array, nRows: number): Promise<number> {
  const warmUntil = performance.now() + 300;
  while (performance.now() < warmUntil) await runner.run(x, nRows);
  const perRound: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let calls = 0;
    const started = performance.now();
    const until = started + secondsPerRound * 1000;
    while (performance.now() < until) {
      for (let i = 0; i < 20; i++) await runner.run(x, nRows);
      calls += 20;
    }
    perRound.push(((performance.now() - started) * 1000) / calls);
  }
  return median(perRound);
}

const rng = new Random(1);
const results: Record<string, unknown> = {};
for (const [label, spec] of [
  ['mlp_30_256_128_1', MLP],
  ['lstm64_10x15', LSTM],
] as const) {
  const weights = randomWeights(spec, rng);
  const onnx = await createOnnxRunner(spec, weights, { api });
  const tfjs = await createTfjsRunner(spec, weights);
  const one = Float32Array.from({ length: inputSize(spec) }, () => rng.normal());
  const batch = Float32Array.from({ length: 1000 * inputSize(spec) }, () => rng.normal());
  const onnxOne = await microsPerCall(onnx, one, 1);
  const tfjsOne = await microsPerCall(tfjs, one, 1);
  const onnxBatch = await microsPerCall(onnx, batch, 1000);
  const tfjsBatch = await microsPerCall(tfjs, batch, 1000);
  results[label] = {
    onnxSingleRowMicros: Number(onnxOne.toFixed(1)),
    tfjsSingleRowMicros: Number(tfjsOne.toFixed(1)),
    onnx1000RowsMs: Number((onnxBatch / 1000).toFixed(3)),
    tfjs1000RowsMs: Number((tfjsBatch / 1000).toFixed(3)),
    singleRowSpeedup: Number((tfjsOne / onnxOne).toFixed(1)),
  };
  onnx.dispose();
  tfjs.dispose();
}

console.log(
  JSON.stringify(
    {
      bench: 'onnx-scoring',
      node: process.version,
      onnxruntimeNode: (await import('onnxruntime-node/package.json', { with: { type: 'json' } })).default.version,
      onnxruntimeApi: api,
      intraOpNumThreads: 1,
      rounds,
      secondsPerRound,
      targets: { mlpSingleRowMicros: 30, lstmSingleRowMicros: 70, mlp1000RowsMs: 1.5 },
      results,
    },
    null,
    2,
  ),
);
