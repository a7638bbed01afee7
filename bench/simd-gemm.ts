// Matrix products of a training step on Vigil's SIMD kernels (with FMA where it compiles, and
// without), against tfjs-wasm's matmul with Vigil's kernels installed (what the graph path runs),
// in one process on one thread, alternating so machine drift hits all alike. Each tfjs call gets a
// fresh right operand, as every training step does (tfjs-wasm caches its packing per buffer); each
// Vigil call packs its operands, as the training stacks do.
// Prints one JSON object: per product the median GFLOP/s of each and Vigil (FMA) / tfjs.
//
// Run: npm run bench:gemm [-- --rounds 5 --target-ms 40]
import { parseArgs } from 'node:util';
import { initRuntime } from '../src/engine/index.js';
import { SimdKernels } from '../src/engine/simd/index.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    'target-ms': { type: 'string', default: '40' },
  },
});
const rounds = Number(values.rounds);
const targetMs = Number(values['target-ms']);
const tf = await initRuntime();

/** One product C[rows × cols] = A[rows × steps]·B, A read as stored or transposed (dW = Xᵀ·dZ). */
interface Product {
  name: string;
  rows: number;
  steps: number;
  cols: number;
  transposedA: boolean;
}

// The MLP benchmark's layer 30→256→128 at 512 rows (forward, dW, dx) and an LSTM step's product.
const products: Product[] = [
  { name: 'forward x·W [512×256]·[256×128]', rows: 512, steps: 256, cols: 128, transposedA: false },
  { name: 'forward x·W [512×30]·[30×256]', rows: 512, steps: 30, cols: 256, transposedA: false },
  { name: 'dW = xᵀ·dZ [256×512]·[512×128]', rows: 256, steps: 512, cols: 128, transposedA: true },
  { name: 'dx = dZ·Wᵀ [512×128]·[128×256]', rows: 512, steps: 128, cols: 256, transposedA: false },
  { name: 'LSTM step [512×80]·[80×256]', rows: 512, steps: 80, cols: 256, transposedA: false },
];

function timeLoop(run: () => void): number {
  run();
  let calls = 1;
  for (;;) {
    const start = performance.now();
    for (let i = 0; i < calls; i++) run();
    const ms = performance.now() - start;
    if (ms >= targetMs) return ms / calls;
    calls *= 2;
  }
}

function simdRunner(p: Product, fma: boolean): () => void {
  const k = new SimdKernels({ fma });
  const a = k.alloc(p.rows * p.steps);
  const b = k.alloc(p.steps * p.cols);
  const packedA = k.alloc(SimdKernels.packedASize(p.rows, p.steps));
  const packedB = k.alloc(SimdKernels.packedSize(p.steps, p.cols));
  const c = k.alloc(p.rows * p.cols);
  k.heap.fill(0.5, a, b + p.steps * p.cols);
  return () => {
    k.pack(b, p.cols, 1, p.steps, p.cols, packedB);
    if (p.transposedA) k.packA(a, 1, p.rows, p.rows, p.steps, packedA);
    k.matmul({
      a: p.transposedA ? { packed: packedA } : { at: a, rowStride: p.steps, stepStride: 1 },
      packedB,
      c,
      cRowStride: p.cols,
      rows: p.rows,
      steps: p.steps,
      cols: p.cols,
    });
  };
}

function tfjsRunner(p: Product): () => void {
  const a = p.transposedA ? tf.fill([p.steps, p.rows], 0.5) : tf.fill([p.rows, p.steps], 0.5);
  const bValues = new Float32Array(p.steps * p.cols).fill(0.5);
  return () => {
    const b = tf.tensor2d(bValues, [p.steps, p.cols]);
    const c = tf.matMul(a, b, p.transposedA, false);
    c.dataSync();
    tf.dispose([b, c]);
  };
}

const median = (v: number[]) => [...v].sort((x, y) => x - y)[Math.floor(v.length / 2)] as number;
const results: Record<string, unknown> = {};
for (const p of products) {
  const flops = 2 * p.rows * p.steps * p.cols;
  const runners = { fma: simdRunner(p, true), plain: simdRunner(p, false), tfjs: tfjsRunner(p) };
  const gflops: Record<keyof typeof runners, number[]> = { fma: [], plain: [], tfjs: [] };
  for (let r = 0; r < rounds; r++) {
    for (const key of Object.keys(runners) as (keyof typeof runners)[]) {
      gflops[key].push(flops / timeLoop(runners[key]) / 1e6);
    }
  }
  const fma = median(gflops.fma);
  const tfjsRate = median(gflops.tfjs);
  results[p.name] = {
    vigilFmaGflops: Number(fma.toFixed(1)),
    vigilPlainSimdGflops: Number(median(gflops.plain).toFixed(1)),
    tfjsGflops: Number(tfjsRate.toFixed(1)),
    vigilToTfjs: Number((fma / tfjsRate).toFixed(2)),
  };
}
console.log(JSON.stringify({ fmaAvailable: new SimdKernels().fma, rounds, targetMs, products: results }, null, 2));
