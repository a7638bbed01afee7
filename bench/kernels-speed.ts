// Per-kernel speed of Vigil's wasm kernel replacements against stock tfjs-wasm, in one process on
// the shapes training produces (batch 512), alternating stock and Vigil each round so machine drift
// hits both alike. Each sample times `calls` kernel runs through the engine, as training calls them.
// Conv2DBackpropFilter has no stock wasm kernel: its row compares with the cpu backend instead.
// Prints one JSON object: per kernel the median ms per call and stock/Vigil (speedup).
//
// Run: npm run bench:kernels [-- --rounds 7 --target-ms 40]
import { parseArgs } from 'node:util';
import type { NamedAttrMap, NamedTensorMap, Tensor } from '@tensorflow/tfjs-core';
import { initRuntime, setFastKernels } from '../src/engine/index.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    'target-ms': { type: 'string', default: '40' },
  },
});
const rounds = Number(values.rounds);
const targetMs = Number(values['target-ms']);

const tf = await initRuntime();

interface Case {
  kernel: string;
  shapes: string;
  /** Builds the inputs once; they are disposed after the case. */
  inputs(): NamedTensorMap;
  attrs?: NamedAttrMap;
  /** Measure on the cpu backend in place of stock wasm (wasm has no such kernel). */
  stockOnCpu?: boolean;
  /**
   * Give every call its own copy of the inputs, as training does: tfjs-wasm's BatchMatMul caches
   * the packed right operand per buffer, so reusing one input would time a cache hit.
   */
  fresh?: boolean;
}

const normal = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

const cases: Case[] = [
  {
    kernel: 'Transpose',
    shapes: '[512,256] → [256,512]',
    inputs: () => ({ x: normal([512, 256], 1) }),
    attrs: { perm: [1, 0] },
  },
  {
    kernel: 'Transpose',
    shapes: '[4,256,128] perm [0,2,1]',
    inputs: () => ({ x: normal([4, 256, 128], 2) }),
    attrs: { perm: [0, 2, 1] },
  },
  {
    kernel: 'BatchMatMul',
    shapes: 'dW = xᵀ·dy: [512,128]ᵀ·[512,256]',
    inputs: () => ({ a: normal([1, 512, 128], 3), b: normal([1, 512, 256], 4) }),
    attrs: { transposeA: true, transposeB: false },
    fresh: true,
  },
  {
    kernel: 'BatchMatMul',
    shapes: 'dx = dy·Wᵀ: [512,256]·[128,256]ᵀ',
    inputs: () => ({ a: normal([1, 512, 256], 5), b: normal([1, 128, 256], 6) }),
    attrs: { transposeA: false, transposeB: true },
    fresh: true,
  },
  {
    kernel: 'Sum',
    shapes: '[512,256] over axis 0 (bias gradient)',
    inputs: () => ({ x: normal([512, 256], 7) }),
    attrs: { axis: [0], keepDims: false },
    fresh: true,
  },
  {
    kernel: 'Conv2DBackpropFilter',
    shapes: 'conv1d x [512,10,15], 32 filters, k=2, valid',
    inputs: () => ({ x: normal([512, 1, 10, 15], 8), dy: normal([512, 1, 9, 32], 9) }),
    attrs: { strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', filterShape: [1, 2, 15, 32] },
    stockOnCpu: true,
    fresh: true,
  },
  {
    kernel: 'Equal',
    shapes: '[512,10,32] == [512,1,32] (max-pool gradient)',
    inputs: () => {
      const x = normal([512, 10, 32], 10);
      return { a: x, b: tf.max(x, 1, true) };
    },
  },
  {
    kernel: 'Tile',
    shapes: '[1,256] × [512,1]',
    inputs: () => ({ x: normal([1, 256], 11) }),
    attrs: { reps: [512, 1] },
  },
  {
    kernel: 'Tile',
    shapes: '[512,1] × [1,256]',
    inputs: () => ({ x: normal([512, 1], 12) }),
    attrs: { reps: [1, 256] },
  },
  { kernel: 'Identity', shapes: '[512,256]', inputs: () => ({ x: normal([512, 256], 13) }) },
  { kernel: 'Tanh', shapes: '[512,256]', inputs: () => ({ x: normal([512, 256], 14) }) },
];

function runOnce(c: Case, inputs: NamedTensorMap): void {
  const out = tf.engine().runKernel(c.kernel, inputs, c.attrs ?? {}) as Tensor;
  out.dispose();
}

/** Most calls per sample for `fresh` cases, whose input copies are all made before the clock starts. */
const MAX_FRESH_CALLS = 60;

/** ms per call: times `calls` back-to-back runs. */
function sample(c: Case, inputs: NamedTensorMap, calls: number): number {
  const sets: NamedTensorMap[] = [];
  for (let i = 0; i < calls; i++) {
    if (!c.fresh) sets.push(inputs);
    else sets.push(Object.fromEntries(Object.entries(inputs).map(([name, t]) => [name, tf.add(t, 0)])));
  }
  const started = performance.now();
  for (const set of sets) runOnce(c, set);
  const ms = (performance.now() - started) / calls;
  if (c.fresh) for (const set of sets) tf.dispose(set);
  return ms;
}

/** Calls per sample so that one sample takes about targetMs. */
function calibrate(c: Case, inputs: NamedTensorMap): number {
  for (let i = 0; i < 3; i++) sample(c, inputs, 2); // JIT, wasm pages, XNNPACK operators
  const perCall = sample(c, inputs, 5);
  const calls = Math.max(3, Math.round(targetMs / Math.max(perCall, 1e-3)));
  return c.fresh ? Math.min(calls, MAX_FRESH_CALLS) : calls;
}

const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)] as number;
const round3 = (ms: number) => Number(ms.toPrecision(3));

async function measure(c: Case) {
  const stock: number[] = [];
  const vigil: number[] = [];
  if (c.stockOnCpu) {
    await tf.setBackend('cpu');
    const cpuInputs = c.inputs();
    const calls = calibrate(c, cpuInputs);
    for (let r = 0; r < rounds; r++) stock.push(sample(c, cpuInputs, calls));
    tf.dispose(cpuInputs);
    await tf.setBackend('wasm');
    setFastKernels(true);
    const inputs = c.inputs();
    const vigilCalls = calibrate(c, inputs);
    for (let r = 0; r < rounds; r++) vigil.push(sample(c, inputs, vigilCalls));
    tf.dispose(inputs);
  } else {
    const inputs = c.inputs();
    setFastKernels(false);
    const calls = calibrate(c, inputs);
    setFastKernels(true);
    calibrate(c, inputs);
    for (let r = 0; r < rounds; r++) {
      // Alternate which goes first so that a drift within a round does not favour one side.
      const order = r % 2 === 0 ? [false, true] : [true, false];
      for (const fast of order) {
        setFastKernels(fast);
        (fast ? vigil : stock).push(sample(c, inputs, calls));
      }
    }
    setFastKernels(true);
    tf.dispose(inputs);
  }
  const stockMs = median(stock);
  const vigilMs = median(vigil);
  return {
    kernel: c.kernel,
    shapes: c.shapes,
    stock: c.stockOnCpu ? 'cpu backend (tfjs-wasm has no such kernel)' : 'tfjs-wasm',
    stockMs: round3(stockMs),
    vigilMs: round3(vigilMs),
    speedup: Number((stockMs / vigilMs).toFixed(2)),
  };
}

const results = [];
for (const c of cases) results.push(await measure(c));
console.log(
  JSON.stringify(
    {
      bench: 'kernels-speed',
      node: process.versions.node,
      tfjs: tf.version_core,
      simd: tf.env().getBool('WASM_HAS_SIMD_SUPPORT'),
      rounds,
      kernels: results,
    },
    null,
    2,
  ),
);
