import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Random } from '../../random.js';
import { SimdKernels } from './simd-kernels.js';

/** Values in [−1, 1) from a seed. */
function values(seed: number, n: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: n }, () => 2 * rng.next() - 1);
}

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [3, 5, 7],
  [4, 8, 8],
  [5, 9, 17],
  [7, 1, 13],
  [33, 30, 256],
  // More rows than one cache block, so the row blocking is exercised.
  [300, 70, 9],
];

for (const fma of [true, false]) {
  test(`matmul (${fma ? 'FMA' : 'plain SIMD'}) equals a float64 reference for strided, transposed and packed A, bias, ReLU and accumulation`, () => {
    const k = new SimdKernels({ fma });
    // Node 20 and later compile relaxed SIMD (behind a flag Vigil sets on 20): without this the FMA
    // case would silently test the plain kernel twice.
    assert.equal(k.fma, fma, 'relaxed SIMD did not compile');
    let worst = 0;
    let cases = 0;
    for (const [rows, steps, cols] of SHAPES) {
      for (const layout of ['rows', 'transposed', 'packed'] as const) {
        for (const transposedB of [false, true]) {
          for (const [bias, relu, accumulate] of [
            [false, false, false],
            [true, false, false],
            [true, true, false],
            [false, false, true],
          ] as const) {
            const mark = k.mark();
            const A = values(rows * 31 + steps, rows * steps);
            const B = values(cols * 17 + steps, steps * cols);
            const bv = values(cols, cols);
            const c0 = values(rows + cols, rows * cols);
            const a = k.alloc(rows * steps);
            const b = k.alloc(steps * cols);
            const pb = k.alloc(SimdKernels.packedSize(steps, cols));
            const pa = k.alloc(SimdKernels.packedASize(rows, steps));
            const c = k.alloc(rows * cols);
            const bi = k.alloc(cols);
            const heap = k.heap;
            const stored = layout === 'transposed';
            for (let r = 0; r < rows; r++)
              for (let s = 0; s < steps; s++)
                heap[a + (stored ? s * rows + r : r * steps + s)] = A[r * steps + s] as number;
            for (let s = 0; s < steps; s++)
              for (let j = 0; j < cols; j++)
                heap[b + (transposedB ? j * steps + s : s * cols + j)] = B[s * cols + j] as number;
            heap.set(bv, bi);
            heap.set(c0, c);
            k.pack(b, transposedB ? 1 : cols, transposedB ? steps : 1, steps, cols, pb);
            const rowStride = stored ? 1 : steps;
            const stepStride = stored ? rows : 1;
            if (layout === 'packed') k.packA(a, rowStride, stepStride, rows, steps, pa);
            k.matmul({
              a: layout === 'packed' ? { packed: pa } : { at: a, rowStride, stepStride },
              packedB: pb,
              c,
              cRowStride: cols,
              rows,
              steps,
              cols,
              bias: bias ? bi : undefined,
              relu,
              accumulate,
            });
            for (let r = 0; r < rows; r++)
              for (let j = 0; j < cols; j++) {
                let sum = accumulate ? (c0[r * cols + j] as number) : bias ? (bv[j] as number) : 0;
                for (let s = 0; s < steps; s++) sum += (A[r * steps + s] as number) * (B[s * cols + j] as number);
                if (relu) sum = Math.max(0, sum);
                worst = Math.max(worst, Math.abs(sum - (k.heap[c + r * cols + j] as number)));
              }
            cases++;
            k.release(mark);
          }
        }
      }
    }
    assert.equal(cases, SHAPES.length * 3 * 2 * 4);
    assert.ok(worst < 1e-4, `worst absolute error ${worst}`);
  });
}

test('matmul writes only C: the floats around it are untouched, whatever the column count', () => {
  const k = new SimdKernels();
  for (const cols of [1, 3, 8, 9, 15]) {
    const rows = 6;
    const steps = 4;
    const a = k.alloc(rows * steps);
    const pb = k.alloc(SimdKernels.packedSize(steps, cols));
    // C with guard floats on both sides, inside one allocation.
    const block = k.alloc(rows * cols + 16);
    const c = block + 8;
    k.heap.fill(1, a, a + rows * steps);
    k.heap.fill(7, block, block + rows * cols + 16);
    k.heap.fill(0.5, pb, pb + SimdKernels.packedSize(steps, cols));
    k.matmul({ a: { at: a, rowStride: steps, stepStride: 1 }, packedB: pb, c, cRowStride: cols, rows, steps, cols });
    const heap = k.heap;
    for (let i = 0; i < 8; i++) {
      assert.equal(heap[block + i], 7, `before C, cols ${cols}`);
      assert.equal(heap[c + rows * cols + i], 7, `after C, cols ${cols}`);
    }
    for (let i = 0; i < rows * cols; i++) assert.equal(heap[c + i], 2);
  }
});

test('reluGrad zeroes the gradient where the output is not positive; columnSums adds column sums', () => {
  const k = new SimdKernels();
  const n = 13;
  const dz = k.alloc(n);
  const y = k.alloc(n);
  const dzValues = values(1, n);
  const yValues = values(2, n);
  k.heap.set(dzValues, dz);
  k.heap.set(yValues, y);
  k.reluGrad(dz, y, n);
  for (let i = 0; i < n; i++)
    assert.equal(k.heap[dz + i], (yValues[i] as number) > 0 ? Math.fround(dzValues[i] as number) : 0);

  const rows = 5;
  const cols = 7;
  const src = k.alloc(rows * cols);
  const dst = k.alloc(cols);
  const m = values(3, rows * cols);
  k.heap.set(m, src);
  k.heap.fill(1, dst, dst + cols);
  k.columnSums(src, rows, cols, dst);
  for (let j = 0; j < cols; j++) {
    let sum = 1;
    for (let r = 0; r < rows; r++) sum += m[r * cols + j] as number;
    assert.ok(Math.abs((k.heap[dst + j] as number) - sum) < 1e-5);
  }
});

test('adam is one tf.train.adam step in float32', () => {
  const k = new SimdKernels();
  const n = 11;
  const [p, g, m, v] = [k.alloc(n), k.alloc(n), k.alloc(n), k.alloc(n)];
  const p0 = values(1, n);
  const g0 = values(2, n);
  const m0 = values(3, n).map((x) => x / 10);
  const v0 = values(4, n).map((x) => Math.abs(x) / 10);
  k.heap.set(p0, p);
  k.heap.set(g0, g);
  k.heap.set(m0, m);
  k.heap.set(v0, v);
  const [lr, beta1, beta2, eps, step] = [0.01, 0.9, 0.999, 1e-7, 3];
  const lrC1 = lr / (1 - beta1 ** step);
  const c2 = 1 / (1 - beta2 ** step);
  k.adam(p, g, m, v, n, lrC1, c2, beta1, beta2, eps);
  for (let i = 0; i < n; i++) {
    const gi = g0[i] as number;
    const mi = beta1 * (m0[i] as number) + (1 - beta1) * gi;
    const vi = beta2 * (v0[i] as number) + (1 - beta2) * gi * gi;
    const pi = (p0[i] as number) - (lrC1 * mi) / (Math.sqrt(vi * c2) + eps);
    assert.ok(Math.abs((k.heap[m + i] as number) - mi) < 1e-6, `m[${i}]`);
    assert.ok(Math.abs((k.heap[v + i] as number) - vi) < 1e-6, `v[${i}]`);
    assert.ok(Math.abs((k.heap[p + i] as number) - pi) < 1e-5, `p[${i}]`);
  }
});

test('allocations are aligned, grow the memory as needed, and are released to a mark', () => {
  const k = new SimdKernels();
  const before = k.memoryBytes;
  const mark = k.mark();
  const a = k.alloc(3);
  const b = k.alloc(1 << 20);
  assert.equal(a % 4, 0);
  assert.equal(b % 4, 0);
  assert.ok(b >= a + 3);
  assert.ok(k.memoryBytes > before);
  assert.equal(k.heap.length * 4, k.memoryBytes);
  k.release(mark);
  assert.equal(k.alloc(3), a);
});

test('sigmoid matches 1 / (1 + e^−x) to float32 precision, saturating cleanly far out', () => {
  const k = new SimdKernels();
  const xs = [-200, -90, -87, -30, -10, -3, -1, -0.5, -1e-3, 0, 1e-3, 0.25, 0.5, 1, 2.5, 7, 15, 30, 88, 200];
  const at = k.alloc(xs.length);
  k.heap.set(xs, at);
  k.sigmoid(at, xs.length);
  for (const [i, x] of xs.entries()) {
    const want = 1 / (1 + Math.exp(-x));
    const got = k.heap[at + i] as number;
    assert.ok(Number.isFinite(got), `sigmoid(${x}) = ${got}`);
    assert.ok(Math.abs(got - want) <= 2e-7 * Math.max(want, 1e-30) + 1e-37, `sigmoid(${x}) = ${got}, want ${want}`);
  }
});
