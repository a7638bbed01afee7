import type { Tensor, Tensor1D, Tensor2D, Tensor3D } from '@tensorflow/tfjs-core';
import { fastSigmoid, fastTanh } from './fast-math.js';
import type { tf as tfNamespace } from './runtime.js';
import { SimdKernels, sharedKernels } from './simd/index.js';

type Tf = typeof tfNamespace;

/*
 * Fused recurrent layers. A tfjs-layers LSTM runs about 115 kernels per time step forward and
 * backward; here each LSTM step is a few calls of Vigil's SIMD kernels plus JS passes over the gates
 * (see lstmOp), and the GRU's step is one product (h·U, and dz·Uᵀ going back) plus one JS pass,
 * with its input projection for all steps a single product before the loop (its gradients a
 * single product after it). dx is skipped with `inputGrad: false`, for a first layer reading
 * data. The cell maths match Keras 2+ and PyTorch: sigmoid gates, tanh cell activation.
 *
 * Layout: x is [batch, steps, features]. The GRU's flattened [batch·T, ·] matrices are batch-major
 * (row `b·T + t`); the LSTM keeps its state time-major (row `t·batch + b`).
 */

function recurrentProduct(tf: Tf, h: Float32Array, nRows: number, u: Tensor2D, transposeB: boolean): Float32Array {
  const ht = tf.tensor2d(h, [nRows, h.length / nRows]);
  const out = tf.matMul(ht, u, false, transposeB);
  const values = out.dataSync() as Float32Array;
  ht.dispose();
  out.dispose();
  return values;
}

/** x·W + b for every step at once: [batch·T, gates]. */
function inputProjection(tf: Tf, x: Tensor3D, kernel: Tensor2D, bias: Tensor1D): Float32Array {
  const [b, T, f] = x.shape;
  return tf.tidy(() => tf.fused.matMul({ a: tf.reshape(x, [b * T, f]), b: kernel, bias })).dataSync() as Float32Array;
}

/** The GRU's weight gradients over all steps: dW = Xᵀ·DZx, dx = DZx·Wᵀ, dU = Hprevᵀ·DZh. */
function projectionGrads(
  tf: Tf,
  x: Tensor3D,
  kernel: Tensor2D,
  dzInput: Float32Array,
  dzRecurrent: Float32Array,
  hPrev: Float32Array,
  units: number,
  inputGrad: boolean,
): { dx: Tensor; dKernel: Tensor; dRecurrent: Tensor; dzIn: Tensor2D; dzRec: Tensor2D } {
  const [b, T, f] = x.shape;
  const gates = kernel.shape[1];
  const dzIn = tf.tensor2d(dzInput, [b * T, gates]);
  const dzRec = tf.tensor2d(dzRecurrent, [b * T, gates]);
  const x2 = tf.reshape(x, [b * T, f]) as Tensor2D;
  const hp = tf.tensor2d(hPrev, [b * T, units]);
  const dKernel = tf.matMul(x2, dzIn, true, false);
  const dx = inputGrad ? tf.reshape(tf.matMul(dzIn, kernel, false, true), [b, T, f]) : tf.zerosLike(x);
  const dRecurrent = tf.matMul(hp, dzRec, true, false);
  hp.dispose();
  return { dx, dKernel, dRecurrent, dzIn, dzRec };
}

/*
 * The per-step loops live in top-level functions over typed arrays: V8 optimises these far better
 * than the same loops inside the customGrad closures (whose captured, reassigned variables it
 * keeps in heap contexts).
 */

/** Column scale that doubles the cell-gate block of an [·, 4u] matrix: then σ gives tanh as 2σ(2z) − 1. */
function cellGateScale(n: number): Float32Array {
  const scale = new Float32Array(4 * n).fill(1);
  scale.fill(2, 2 * n, 3 * n);
  return scale;
}

/** Time-major rows [xₜ, 0, 1] for every step (the state slots are filled step by step). */
function fillStepInputs(x: Float32Array, rows: Float32Array, b: number, T: number, f: number, n: number): void {
  const width = f + n + 1;
  for (let t = 0; t < T; t++) {
    for (let r = 0; r < b; r++) {
      let o = (t * b + r) * width;
      let i = (r * T + t) * f;
      for (let k = 0; k < f; k++) rows[o++] = x[i++] as number;
      rows[o + n] = 1;
    }
  }
}

/** Writes hₜ₋₁ into the state slots of one step's rows. */
function placeState(block: Float32Array, h: Float32Array, b: number, f: number, n: number): void {
  const width = f + n + 1;
  for (let r = 0; r < b; r++) {
    let o = r * width + f;
    let i = r * n;
    for (let k = 0; k < n; k++) block[o++] = h[i++] as number;
  }
}

/**
 * Gate maths of one step, from the sigmoid of all four (scaled) pre-activations of that step:
 * the new cell state, and 2·c into `twoC` so that one more wasm sigmoid gives tanh(c).
 * Arrays are time-major: step t of example r is row t·b + r.
 */
function lstmCellStep(
  s: Float32Array,
  c: Float32Array,
  twoC: Float32Array,
  gates: Float32Array,
  cells: Float32Array,
  b: number,
  t: number,
  n: number,
): void {
  const g4 = 4 * n;
  const gateBase = t * b * g4;
  const stateBase = t * b * n;
  for (let r = 0; r < b; r++) {
    const zBase = r * g4;
    for (let j = 0; j < n; j++) {
      const k = zBase + j;
      const ig = s[k] as number;
      const fg = s[k + n] as number;
      const gg = 2 * (s[k + 2 * n] as number) - 1;
      const q = gateBase + k;
      gates[q] = ig;
      gates[q + n] = fg;
      gates[q + 2 * n] = gg;
      gates[q + 3 * n] = s[k + 3 * n] as number;
      const at = r * n + j;
      const cNew = fg * (c[at] as number) + ig * gg;
      c[at] = cNew;
      twoC[at] = 2 * cNew;
      cells[stateBase + at] = cNew;
    }
  }
}

/** h = o·tanh(c) from σ(2c), for one step. */
function lstmOutputStep(
  sigmoidTwoC: Float32Array,
  next: Float32Array,
  gates: Float32Array,
  tanhCells: Float32Array,
  hs: Float32Array,
  b: number,
  t: number,
  n: number,
): void {
  const g4 = 4 * n;
  const gateBase = t * b * g4;
  const stateBase = t * b * n;
  for (let r = 0; r < b; r++) {
    for (let j = 0; j < n; j++) {
      const at = r * n + j;
      const tc = 2 * (sigmoidTwoC[at] as number) - 1;
      const hNew = (gates[gateBase + r * g4 + 3 * n + j] as number) * tc;
      next[at] = hNew;
      tanhCells[stateBase + at] = tc;
      hs[stateBase + at] = hNew;
    }
  }
}

/** Gradients of one step's gate pre-activations into `dz` (time-major), carrying dc back a step. */
function lstmBackwardStep(
  dOut: Float32Array,
  returnSequences: boolean,
  dh: Float32Array,
  dc: Float32Array,
  gates: Float32Array,
  cells: Float32Array,
  tanhCells: Float32Array,
  dz: Float32Array,
  b: number,
  T: number,
  t: number,
  n: number,
): void {
  const g4 = 4 * n;
  const last = t === T - 1;
  const gateBase = t * b * g4;
  const stateBase = t * b * n;
  for (let r = 0; r < b; r++) {
    for (let j = 0; j < n; j++) {
      const at = r * n + j;
      const o = stateBase + at;
      let dhv = dh[at] as number;
      if (returnSequences) dhv += dOut[o] as number;
      else if (last) dhv += dOut[at] as number;
      const k = gateBase + r * g4 + j;
      const ig = gates[k] as number;
      const fg = gates[k + n] as number;
      const gg = gates[k + 2 * n] as number;
      const og = gates[k + 3 * n] as number;
      const tc = tanhCells[o] as number;
      const cPrev = t > 0 ? (cells[o - b * n] as number) : 0;
      const dcv = (dc[at] as number) + dhv * og * (1 - tc * tc);
      dc[at] = dcv * fg;
      dz[k] = dcv * gg * ig * (1 - ig);
      dz[k + n] = dcv * cPrev * fg * (1 - fg);
      dz[k + 2 * n] = dcv * ig * (1 - gg * gg);
      dz[k + 3 * n] = dhv * tc * og * (1 - og);
    }
  }
}

/**
 * A whole LSTM layer over a sequence as one differentiable op. Returns [batch, T, units] when
 * `returnSequences`, else the last state [batch, units]. Weights as in Keras: gate order i, f, c, o.
 *
 * Each step is one product [xₜ, hₜ₋₁, 1]·[W; U; b] and one sigmoid over all four gates on Vigil's
 * SIMD kernels (the matrix packed once per call); a JS pass then does the cell update. Going
 * back, each step is one JS pass and one product dz·Uᵀ; the weight gradients are one product over
 * all steps at the end. State is kept time-major so each step's rows are contiguous.
 */
export function lstmOp(
  tf: Tf,
  x: Tensor3D,
  kernel: Tensor2D,
  recurrentKernel: Tensor2D,
  bias: Tensor1D,
  returnSequences: boolean,
  inputGrad = true,
): Tensor {
  const op = tf.customGrad(((xs: Tensor3D, w: Tensor2D, u: Tensor2D, bvec: Tensor1D, save: (t: Tensor[]) => void) => {
    const [b, T, f] = xs.shape;
    const n = u.shape[0];
    const g4 = 4 * n;
    const width = f + n + 1;
    const scale = cellGateScale(n);
    // One matrix M = [W; U; bias] with the cell-gate columns doubled, so each step is a single
    // product [xₜ, hₜ₋₁, 1]·M followed by one sigmoid over all four gates, M packed once for all steps.
    const wValues = w.dataSync() as Float32Array;
    const uValues = u.dataSync() as Float32Array;
    const bValues = bvec.dataSync() as Float32Array;
    const stacked = new Float32Array(width * g4);
    stacked.set(wValues, 0);
    stacked.set(uValues, f * g4);
    stacked.set(bValues, (f + n) * g4);
    for (let i = 0; i < stacked.length; i++) stacked[i] = (stacked[i] as number) * (scale[i % g4] as number);
    // Every step's rows [xₜ, hₜ₋₁, 1], time-major; kept for the weight gradient.
    const rowsAll = new Float32Array(T * b * width);
    fillStepInputs(xs.dataSync() as Float32Array, rowsAll, b, T, f, n);
    const gates = new Float32Array(T * b * g4);
    const cells = new Float32Array(T * b * n);
    const tanhCells = new Float32Array(T * b * n);
    const hs = new Float32Array(T * b * n);
    const c = new Float32Array(b * n);
    const twoC = new Float32Array(b * n);
    let h = new Float32Array(b * n);
    const k = sharedKernels();
    const mark = k.mark();
    try {
      const mAt = k.alloc(width * g4);
      const packedM = k.alloc(SimdKernels.packedSize(width, g4));
      const stepRows = k.alloc(b * width);
      const preActivations = k.alloc(b * g4);
      const cellsAt = k.alloc(b * n);
      k.heap.set(stacked, mAt);
      k.pack(mAt, g4, 1, width, g4, packedM);
      for (let t = 0; t < T; t++) {
        const block = rowsAll.subarray(t * b * width, (t + 1) * b * width);
        if (t > 0) placeState(block, h, b, f, n);
        const heap = k.heap;
        heap.set(block, stepRows);
        k.matmul({
          a: { at: stepRows, rowStride: width, stepStride: 1 },
          packedB: packedM,
          c: preActivations,
          cRowStride: g4,
          rows: b,
          steps: width,
          cols: g4,
        });
        k.sigmoid(preActivations, b * g4);
        lstmCellStep(heap.subarray(preActivations, preActivations + b * g4), c, twoC, gates, cells, b, t, n);
        heap.set(twoC, cellsAt);
        k.sigmoid(cellsAt, b * n);
        const next = new Float32Array(b * n);
        lstmOutputStep(heap.subarray(cellsAt, cellsAt + b * n), next, gates, tanhCells, hs, b, t, n);
        h = next;
      }
    } finally {
      k.release(mark);
    }
    const value = returnSequences
      ? tf.tidy(() => tf.transpose(tf.tensor3d(hs, [T, b, n]), [1, 0, 2]))
      : tf.tensor2d(h, [b, n]);
    save([xs]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs2] = saved as [Tensor3D];
        let dOut: Float32Array;
        if (returnSequences) {
          const timeMajor = tf.transpose(dy, [1, 0, 2]);
          dOut = timeMajor.dataSync() as Float32Array;
          timeMajor.dispose();
        } else {
          dOut = dy.dataSync() as Float32Array;
        }
        const dz = new Float32Array(T * b * g4);
        let dh = new Float32Array(b * n);
        const dc = new Float32Array(b * n);
        const mark2 = k.mark();
        try {
          // The unscaled [W; U; bias]: dz is the gradient of the unscaled pre-activations.
          const weightsAt = k.alloc(width * g4);
          const packedUT = k.alloc(SimdKernels.packedSize(g4, n));
          const stepGrad = k.alloc(b * g4);
          const stateGrad = k.alloc(b * n);
          const uAt = weightsAt + f * g4;
          k.heap.set(wValues, weightsAt);
          k.heap.set(uValues, uAt);
          // Uᵀ as B: step g, column j is U[j][g].
          k.pack(uAt, 1, g4, g4, n, packedUT);
          for (let t = T - 1; t >= 0; t--) {
            lstmBackwardStep(dOut, returnSequences, dh, dc, gates, cells, tanhCells, dz, b, T, t, n);
            if (t > 0) {
              const heap = k.heap;
              heap.set(dz.subarray(t * b * g4, (t + 1) * b * g4), stepGrad);
              k.matmul({
                a: { at: stepGrad, rowStride: g4, stepStride: 1 },
                packedB: packedUT,
                c: stateGrad,
                cRowStride: n,
                rows: b,
                steps: g4,
                cols: n,
              });
              dh = heap.slice(stateGrad, stateGrad + b * n);
            }
          }
          // [Xₜ, Hₜ₋₁, 1]ᵀ·DZ gives the kernel, recurrent kernel and bias gradients in one product.
          const all = T * b;
          const rowsAt = k.alloc(all * width);
          const dzAt = k.alloc(all * g4);
          const packedRows = k.alloc(SimdKernels.packedASize(width, all));
          const packedDz = k.alloc(SimdKernels.packedSize(all, g4));
          const dStacked = k.alloc(width * g4);
          const heap = k.heap;
          heap.set(rowsAll, rowsAt);
          heap.set(dz, dzAt);
          k.packA(rowsAt, 1, width, width, all, packedRows);
          k.pack(dzAt, g4, 1, all, g4, packedDz);
          k.matmul({
            a: { packed: packedRows },
            packedB: packedDz,
            c: dStacked,
            cRowStride: g4,
            rows: width,
            steps: all,
            cols: g4,
          });
          const dKernel = tf.tensor2d(heap.slice(dStacked, dStacked + f * g4), [f, g4]);
          const dRecurrent = tf.tensor2d(heap.slice(dStacked + f * g4, dStacked + (f + n) * g4), [n, g4]);
          const dBias = tf.tensor1d(heap.slice(dStacked + (f + n) * g4, dStacked + width * g4));
          let dx: Tensor;
          if (inputGrad) {
            // dX = DZ·Wᵀ, time-major, then back to [batch, T, f].
            const packedWT = k.alloc(SimdKernels.packedSize(g4, f));
            const dxAt = k.alloc(all * f);
            k.pack(weightsAt, 1, g4, g4, f, packedWT);
            k.matmul({
              a: { at: dzAt, rowStride: g4, stepStride: 1 },
              packedB: packedWT,
              c: dxAt,
              cRowStride: f,
              rows: all,
              steps: g4,
              cols: f,
            });
            const timeMajor = k.heap.slice(dxAt, dxAt + all * f);
            dx = tf.tidy(() => tf.transpose(tf.tensor3d(timeMajor, [T, b, f]), [1, 0, 2]));
          } else {
            dx = tf.zerosLike(xs2);
          }
          return [dx, dKernel, dRecurrent, dBias];
        } finally {
          k.release(mark2);
        }
      },
    };
  }) as never) as (xs: Tensor3D, w: Tensor2D, u: Tensor2D, bvec: Tensor1D) => Tensor;
  return op(x, kernel, recurrentKernel, bias);
}

/**
 * A whole GRU layer as one differentiable op, Keras `reset_after: true` (PyTorch's GRU):
 * z = σ(x·Wz + h·Uz + b), r = σ(x·Wr + h·Ur + b), ĥ = tanh(x·Wh + bₓ + r ⊙ (h·Uh + bₕ)),
 * h' = z ⊙ h + (1 − z) ⊙ ĥ. `bias` is [2, 3u]: input bias then recurrent bias.
 */
export function gruOp(
  tf: Tf,
  x: Tensor3D,
  kernel: Tensor2D,
  recurrentKernel: Tensor2D,
  bias: Tensor2D,
  returnSequences: boolean,
  inputGrad = true,
): Tensor {
  const op = tf.customGrad(((xs: Tensor3D, w: Tensor2D, u: Tensor2D, b2: Tensor2D, save: (t: Tensor[]) => void) => {
    const [b, T] = xs.shape;
    const n = u.shape[0];
    const g3 = 3 * n;
    const biasValues = b2.dataSync() as Float32Array;
    const inBias = tf.tensor1d(biasValues.subarray(0, g3));
    const xp = inputProjection(tf, xs, w, inBias);
    inBias.dispose();
    const recBias = biasValues.slice(g3, 2 * g3);
    const gates = new Float32Array(b * T * g3); // z, r, ĥ (activated)
    const recH = new Float32Array(b * T * n); // h·Uh + bₕ, needed for dr
    const hs = new Float32Array(b * T * n);
    let h: Float32Array = new Float32Array(b * n);
    for (let t = 0; t < T; t++) {
      const hz = t === 0 ? undefined : recurrentProduct(tf, h, b, u, false);
      const next = new Float32Array(b * n);
      for (let r = 0; r < b; r++) {
        const row = r * T + t;
        const k0 = row * g3;
        const hzBase = r * g3;
        for (let j = 0; j < n; j++) {
          const k = k0 + j;
          const rz = (hz ? (hz[hzBase + j] as number) : 0) + (recBias[j] as number);
          const rr = (hz ? (hz[hzBase + n + j] as number) : 0) + (recBias[n + j] as number);
          const rh = (hz ? (hz[hzBase + 2 * n + j] as number) : 0) + (recBias[2 * n + j] as number);
          const zg = fastSigmoid((xp[k] as number) + rz);
          const rg = fastSigmoid((xp[k + n] as number) + rr);
          const hh = fastTanh((xp[k + 2 * n] as number) + rg * rh);
          gates[k] = zg;
          gates[k + n] = rg;
          gates[k + 2 * n] = hh;
          const s = r * n + j;
          const o = row * n + j;
          recH[o] = rh;
          const hNew = zg * (h[s] as number) + (1 - zg) * hh;
          next[s] = hNew;
          hs[o] = hNew;
        }
      }
      h = next;
    }
    const value = returnSequences ? tf.tensor3d(hs, [b, T, n]) : tf.tensor2d(h, [b, n]);
    save([xs, w, u]);
    return {
      value,
      gradFunc: (dy: Tensor, saved: Tensor[]) => {
        const [xs2, w2, u2] = saved as [Tensor3D, Tensor2D, Tensor2D];
        const dOut = dy.dataSync() as Float32Array;
        const dzIn = new Float32Array(b * T * g3);
        const dzRec = new Float32Array(b * T * g3);
        const hPrev = new Float32Array(b * T * n);
        const dzStep = new Float32Array(b * g3);
        let dh: Float32Array = new Float32Array(b * n);
        for (let t = T - 1; t >= 0; t--) {
          for (let r = 0; r < b; r++) {
            const row = r * T + t;
            const k0 = row * g3;
            for (let j = 0; j < n; j++) {
              const s = r * n + j;
              const o = row * n + j;
              let dhv = dh[s] as number;
              if (returnSequences) dhv += dOut[o] as number;
              else if (t === T - 1) dhv += dOut[s] as number;
              const k = k0 + j;
              const zg = gates[k] as number;
              const rg = gates[k + n] as number;
              const hh = gates[k + 2 * n] as number;
              const hp = t > 0 ? (hs[o - n] as number) : 0;
              if (t > 0) hPrev[o] = hp;
              const dzz = dhv * (hp - hh) * zg * (1 - zg);
              const dhh = dhv * (1 - zg) * (1 - hh * hh);
              const drr = dhh * (recH[o] as number) * rg * (1 - rg);
              dzIn[k] = dzz;
              dzIn[k + n] = drr;
              dzIn[k + 2 * n] = dhh;
              dzRec[k] = dzz;
              dzRec[k + n] = drr;
              dzRec[k + 2 * n] = dhh * rg;
              const q = r * g3 + j;
              dzStep[q] = dzz;
              dzStep[q + n] = drr;
              dzStep[q + 2 * n] = dhh * rg;
              // The direct path h → h' through z.
              dh[s] = dhv * zg;
            }
          }
          if (t > 0) {
            const back = recurrentProduct(tf, dzStep, b, u2, true);
            for (let i = 0; i < back.length; i++) back[i] = (back[i] as number) + (dh[i] as number);
            dh = back;
          }
        }
        const g = projectionGrads(tf, xs2, w2, dzIn, dzRec, hPrev, n, inputGrad);
        const dBias = tf.stack([tf.sum(g.dzIn, 0), tf.sum(g.dzRec, 0)]);
        g.dzIn.dispose();
        g.dzRec.dispose();
        return [g.dx, g.dKernel, g.dRecurrent, dBias];
      },
    };
  }) as never) as (xs: Tensor3D, w: Tensor2D, u: Tensor2D, b2: Tensor2D) => Tensor;
  return op(x, kernel, recurrentKernel, bias);
}
