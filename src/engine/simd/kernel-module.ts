import { type FunctionBody, ModuleEmitter } from './wasm-emitter.js';

/** Columns per packed panel of B: two 4-lane vectors. */
export const PANEL_WIDTH = 8;
/** Rows of C per register tile: 4 rows × 8 columns is 8 vector accumulators, well inside 16 registers. */
export const TILE_ROWS = 4;
/** Bytes at address 0 the kernels use as scratch for a partial tile's stores; allocations start above. */
export const SCRATCH_BYTES = 256;

/**
 * The matrix kernels as one WebAssembly module:
 *
 * - `pack(src, stepStride, colStride, steps, cols, dst)` copies a steps × cols matrix, addressed by
 *   byte strides (so a transposed view costs nothing extra), into panels of 8 columns, each panel
 *   `steps` rows of 8 contiguous floats, the last panel zero-padded.
 * - `packA(src, rowStride, stepStride, rows, steps, dst)` copies A into panels of 4 rows.
 * - `gemm(a, aRowStride, aStepStride, aTileStride, b, c, cRowStride, rows, steps, cols, bias, relu)`
 *   computes C[rows × cols] = A[rows × steps] · B, with B packed by `pack` and A addressed by byte
 *   strides: row-major A has rowStride 4·steps, stepStride 4, tileStride 4·rowStride; A packed by
 *   `packA` has rowStride 4, stepStride 16, tileStride 16·steps. With `accumulate` (0/1) the
 *   product is added to C instead of replacing it (gradients summed over passes).
 * - `reluGrad(dz, y, n)` zeroes dz where the ReLU output y is not positive.
 * - `columnSums(src, rows, cols, dst)` adds each column's sum into dst (a bias gradient).
 * - `adam(p, g, m, v, n, lrC1, c2, beta1, beta2, epsilon)` is one Adam step over n parameters.
 * - `sigmoid(x, n)` replaces n values by 1 / (1 + e^−x) (a recurrent layer's gates).
 *   `bias` (a byte address, 0 for none) seeds the accumulators; `relu` (0/1) clamps at zero.
 *
 * With `fma` the inner product uses `f32x4.relaxed_madd`, which V8 compiles to FMA on x86-64
 * with FMA3: the same tile then runs about twice as fast as separate multiply and add.
 */
export function gemmModule(fma: boolean): Uint8Array<ArrayBuffer> {
  const module = new ModuleEmitter(1);
  module.addFunction('pack', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], (f) => emitPack(f));
  module.addFunction('packA', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32'], (f) => emitPackA(f));
  module.addFunction(
    'gemm',
    ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32'],
    (f) => emitGemm(f, fma),
  );
  module.addFunction('reluGrad', ['i32', 'i32', 'i32'], (f) => emitReluGrad(f));
  module.addFunction('columnSums', ['i32', 'i32', 'i32', 'i32'], (f) => emitColumnSums(f));
  module.addFunction('sigmoid', ['i32', 'i32'], (f) => emitSigmoid(f));
  module.addFunction('adam', ['i32', 'i32', 'i32', 'i32', 'i32', 'f32', 'f32', 'f32', 'f32', 'f32'], (f) =>
    emitAdam(f),
  );
  return module.encode();
}

/** `while (cond) body`: cond leaves an i32 on the stack. */
function whileLoop(f: FunctionBody, cond: () => void, body: () => void): void {
  f.block(() =>
    f.loop(() => {
      cond();
      f.i32Eqz().brIf(1);
      body();
      f.br(0);
    }),
  );
}

/** Locals of a copy that walks a source by `stepStride` bytes and a destination by `dstBytes`. */
interface StepWalk {
  s: number;
  steps: number;
  dst: number;
  dstBytes: number;
  sp: number;
  stepStride: number;
}

/** `while (s < steps) { body; dst += dstBytes; sp += stepStride; s++ }`: the packing loops. */
function stepLoop(f: FunctionBody, w: StepWalk, body: () => void): void {
  whileLoop(
    f,
    () => f.get(w.s).get(w.steps).i32LtU(),
    () => {
      body();
      addTo(f, w.dst, () => f.i32(w.dstBytes));
      addTo(f, w.sp, () => f.get(w.stepStride));
      addTo(f, w.s, () => f.i32(1));
    },
  );
}

/**
 * `for (; pointers[0] < pointers[0] + 4n; every pointer += 16) body`: an element pass over n floats
 * (rounded up to whole vectors) at byte addresses held in the `pointers` params.
 */
function forEachVector(f: FunctionBody, pointers: number[], n: number, body: () => void): void {
  const first = pointers[0] as number;
  const end = f.local('i32');
  f.get(first).get(n).i32(4).i32Mul().i32Add().set(end);
  whileLoop(
    f,
    () => f.get(first).get(end).i32LtU(),
    () => {
      body();
      for (const pointer of pointers) addTo(f, pointer, () => f.i32(16));
    },
  );
}

/** local += value (an i32 local). */
function addTo(f: FunctionBody, local: number, value: () => void): void {
  f.get(local);
  value();
  f.i32Add().set(local);
}

function emitPack(f: FunctionBody): void {
  const [src, stepStride, colStride, steps, cols, dst] = [0, 1, 2, 3, 4, 5];
  const panel = f.local('i32');
  const fullPanels = f.local('i32');
  const s = f.local('i32');
  const sp = f.local('i32');
  const t = f.local('i32');
  const remaining = f.local('i32');
  f.get(cols).i32(3).i32ShrU().set(fullPanels);
  f.get(cols)
    .i32(PANEL_WIDTH - 1)
    .i32And()
    .set(remaining);

  f.i32(0).set(panel);
  whileLoop(
    f,
    () => f.get(panel).get(fullPanels).i32LtU(),
    () => {
      // sp = src + panel·8·colStride
      f.get(src).get(panel).i32(PANEL_WIDTH).i32Mul().get(colStride).i32Mul().i32Add().set(sp);
      f.i32(0).set(s);
      f.get(colStride).i32(4).i32Sub().i32Eqz();
      f.ifThen(() => {
        // Contiguous columns: two vector copies per step.
        stepLoop(f, { s, steps, dst, dstBytes: PANEL_WIDTH * 4, sp, stepStride }, () => {
          f.get(dst).get(sp).v128Load(0).v128Store(0);
          f.get(dst).get(sp).v128Load(16).v128Store(16);
        });
      });
      // Strided columns (a transposed view): eight scalar copies per step.
      stepLoop(f, { s, steps, dst, dstBytes: PANEL_WIDTH * 4, sp, stepStride }, () => {
        for (let k = 0; k < PANEL_WIDTH; k++) {
          f.get(dst)
            .get(sp)
            .get(colStride)
            .i32(k)
            .i32Mul()
            .i32Add()
            .f32Load(0)
            .f32Store(4 * k);
        }
      });
      addTo(f, panel, () => f.i32(1));
    },
  );

  // The last, partial panel: zeros, then the remaining columns.
  f.get(remaining);
  f.ifThen(() => {
    f.get(src).get(fullPanels).i32(PANEL_WIDTH).i32Mul().get(colStride).i32Mul().i32Add().set(sp);
    f.i32(0).set(s);
    stepLoop(f, { s, steps, dst, dstBytes: PANEL_WIDTH * 4, sp, stepStride }, () => {
      f.get(dst).v128Zero().v128Store(0);
      f.get(dst).v128Zero().v128Store(16);
      f.i32(0).set(t);
      whileLoop(
        f,
        () => f.get(t).get(remaining).i32LtU(),
        () => {
          f.get(dst).get(t).i32(4).i32Mul().i32Add();
          f.get(sp).get(t).get(colStride).i32Mul().i32Add().f32Load(0);
          f.f32Store(0);
          addTo(f, t, () => f.i32(1));
        },
      );
    });
  });
}

function emitGemm(f: FunctionBody, fma: boolean): void {
  const [a, aRowStride, aStepStride, aTileStride, b, c, cRowStride, rows, steps, cols, bias, relu, accumulate] = [
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
  ];
  const col0 = f.local('i32');
  const panelBase = f.local('i32');
  const panelBytes = f.local('i32');
  const i = f.local('i32');
  const tileBase = f.local('i32');
  const validRows = f.local('i32');
  const k = f.local('i32');
  const ap = f.local('i32');
  const bp = f.local('i32');
  const cp = f.local('i32');
  const n = f.local('i32');
  // Byte offsets of the tile's rows 1..3 from row 0; in a partial last tile the missing rows
  // repeat the last real one, so every load stays inside A and the tile code has no branches.
  const rowOffsets = [f.local('i32'), f.local('i32'), f.local('i32')];
  const b0 = f.local('v128');
  const b1 = f.local('v128');
  const splat = f.local('v128');
  const acc = Array.from({ length: TILE_ROWS }, () => [f.local('v128'), f.local('v128')] as const);

  f.get(steps)
    .i32(PANEL_WIDTH * 4)
    .i32Mul()
    .set(panelBytes);

  const tile = () => {
    // validRows = min(4, rows - i)
    f.get(rows).get(i).i32Sub().set(validRows);
    f.get(validRows).i32(TILE_ROWS).i32LtU().i32Eqz();
    f.ifThen(() => f.i32(TILE_ROWS).set(validRows));
    for (let r = 1; r < TILE_ROWS; r++) {
      const offset = rowOffsets[r - 1] as number;
      f.get(aRowStride).i32(r).i32Mul().set(offset);
      f.i32(r).get(validRows).i32LtU().i32Eqz();
      f.ifThen(() => f.get(aRowStride).get(validRows).i32(1).i32Sub().i32Mul().set(offset));
    }
    // Accumulators start at C (accumulate), else at the bias, else at zero. Reading a partial
    // panel of C or bias reads past its last column, into the next row or the allocation's slack.
    for (let r = 0; r < TILE_ROWS; r++) {
      const [lo, hi] = acc[r] as readonly [number, number];
      f.v128Zero().set(lo);
      f.v128Zero().set(hi);
      f.get(bias);
      f.ifThen(() => {
        f.get(bias).get(col0).i32(4).i32Mul().i32Add().v128Load(0).set(lo);
        f.get(bias).get(col0).i32(4).i32Mul().i32Add().v128Load(16).set(hi);
      });
      f.get(accumulate).i32(r).get(validRows).i32LtU().i32And();
      f.ifThen(() => {
        f.get(c).get(i).i32(r).i32Add().get(cRowStride).i32Mul().i32Add().get(col0).i32(4).i32Mul().i32Add().set(cp);
        f.get(cp).v128Load(0).set(lo);
        f.get(cp).v128Load(16).set(hi);
      });
    }
    f.get(tileBase).set(ap);
    f.get(panelBase).set(bp);
    // steps ≥ 1 (the caller handles empty products), so the loop tests at its end: one branch per step.
    f.i32(0).set(k);
    f.loop(() => {
      f.get(bp).v128Load(0).set(b0);
      f.get(bp).v128Load(16).set(b1);
      for (let r = 0; r < TILE_ROWS; r++) {
        const [lo, hi] = acc[r] as readonly [number, number];
        f.get(ap);
        if (r > 0) f.get(rowOffsets[r - 1] as number).i32Add();
        f.v128Load32Splat(0).set(splat);
        for (const [target, vec] of [
          [lo, b0],
          [hi, b1],
        ] as const) {
          if (fma) f.get(splat).get(vec).get(target).f32x4RelaxedMadd();
          else f.get(target).get(splat).get(vec).f32x4Mul().f32x4Add();
          f.set(target);
        }
      }
      addTo(f, ap, () => f.get(aStepStride));
      addTo(f, bp, () => f.i32(PANEL_WIDTH * 4));
      f.get(k).i32(1).i32Add().tee(k).get(steps).i32LtU().brIf(0);
    });
    for (let r = 0; r < TILE_ROWS; r++) {
      const [lo, hi] = acc[r] as readonly [number, number];
      f.i32(r).get(validRows).i32LtU();
      f.ifThen(() => {
        f.get(relu);
        f.ifThen(() => {
          f.get(lo).v128Zero().f32x4Max().set(lo);
          f.get(hi).v128Zero().f32x4Max().set(hi);
        });
        // cp = c + (i + r)·cRowStride + 4·col0
        f.get(c).get(i).i32(r).i32Add().get(cRowStride).i32Mul().i32Add().get(col0).i32(4).i32Mul().i32Add().set(cp);
        f.get(col0).i32(PANEL_WIDTH).i32Add().get(cols).i32LeU();
        f.ifThen(() => {
          f.get(cp).get(lo).v128Store(0);
          f.get(cp).get(hi).v128Store(16);
        });
        f.get(col0).i32(PANEL_WIDTH).i32Add().get(cols).i32LeU().i32Eqz();
        f.ifThen(() => {
          // A partial panel: through the scratch, then only the columns that exist.
          f.i32(0).get(lo).v128Store(0);
          f.i32(0).get(hi).v128Store(16);
          f.i32(0).set(n);
          whileLoop(
            f,
            () => f.get(n).get(col0).i32Add().get(cols).i32LtU(),
            () => {
              f.get(cp).get(n).i32(4).i32Mul().i32Add();
              f.get(n).i32(4).i32Mul().f32Load(0);
              f.f32Store(0);
              addTo(f, n, () => f.i32(1));
            },
          );
        });
      });
    }
  };

  f.i32(0).set(col0);
  f.get(b).set(panelBase);
  whileLoop(
    f,
    () => f.get(col0).get(cols).i32LtU(),
    () => {
      f.i32(0).set(i);
      f.get(a).set(tileBase);
      whileLoop(
        f,
        () => f.get(i).get(rows).i32LtU(),
        () => {
          tile();
          addTo(f, i, () => f.i32(TILE_ROWS));
          addTo(f, tileBase, () => f.get(aTileStride));
        },
      );
      addTo(f, col0, () => f.i32(PANEL_WIDTH));
      addTo(f, panelBase, () => f.get(panelBytes));
    },
  );
}

/**
 * `packA(src, rowStride, stepStride, rows, steps, dst)`: A[rows × steps] (byte strides) into
 * panels of 4 rows, each `steps` groups of 4 contiguous floats, the last panel zero-padded.
 * A matrix read through a transposed view (dW = Xᵀ·dZ) otherwise walks memory with a
 * power-of-two stride that maps every row onto the same few cache sets.
 */
function emitPackA(f: FunctionBody): void {
  const [src, rowStride, stepStride, rows, steps, dst] = [0, 1, 2, 3, 4, 5];
  const i = f.local('i32');
  const s = f.local('i32');
  const sp = f.local('i32');
  const r = f.local('i32');
  const validRows = f.local('i32');
  f.i32(0).set(i);
  whileLoop(
    f,
    () => f.get(i).get(rows).i32LtU(),
    () => {
      f.get(rows).get(i).i32Sub().set(validRows);
      f.get(src).get(i).get(rowStride).i32Mul().i32Add().set(sp);
      f.i32(0).set(s);
      // Four whole rows whose elements sit side by side: one vector copy per step.
      f.get(rowStride).i32(4).i32Sub().i32Eqz().get(validRows).i32(TILE_ROWS).i32LtU().i32Eqz().i32And();
      f.ifThen(() =>
        stepLoop(f, { s, steps, dst, dstBytes: TILE_ROWS * 4, sp, stepStride }, () => {
          f.get(dst).get(sp).v128Load(0).v128Store(0);
        }),
      );
      stepLoop(f, { s, steps, dst, dstBytes: TILE_ROWS * 4, sp, stepStride }, () => {
        f.get(dst).v128Zero().v128Store(0);
        f.i32(0).set(r);
        whileLoop(
          f,
          () => f.get(r).get(validRows).i32LtU().get(r).i32(TILE_ROWS).i32LtU().i32And(),
          () => {
            f.get(dst).get(r).i32(4).i32Mul().i32Add();
            f.get(sp).get(r).get(rowStride).i32Mul().i32Add().f32Load(0);
            f.f32Store(0);
            addTo(f, r, () => f.i32(1));
          },
        );
      });
      addTo(f, i, () => f.i32(TILE_ROWS));
    },
  );
}

/** `reluGrad(dz, y, n)`: dz[j] = y[j] > 0 ? dz[j] : 0 for n values (rounded up to whole vectors). */
function emitReluGrad(f: FunctionBody): void {
  const [dz, y, n] = [0, 1, 2];
  forEachVector(f, [dz, y], n, () => {
    f.get(dz);
    f.get(dz).v128Load(0);
    f.get(y).v128Load(0).v128Zero().f32x4Gt();
    f.v128And().v128Store(0);
  });
}

/**
 * `columnSums(src, rows, cols, dst)`: dst[j] += Σ_r src[r·cols + j] (a bias gradient). Whole vectors
 * of columns: the lanes past `cols` land in dst's slack and are never read.
 */
function emitColumnSums(f: FunctionBody): void {
  const [src, rows, cols, dst] = [0, 1, 2, 3];
  const r = f.local('i32');
  const j = f.local('i32');
  f.i32(0).set(r);
  whileLoop(
    f,
    () => f.get(r).get(rows).i32LtU(),
    () => {
      f.i32(0).set(j);
      whileLoop(
        f,
        () => f.get(j).get(cols).i32LtU(),
        () => {
          f.get(dst).get(j).i32(4).i32Mul().i32Add();
          f.get(dst).get(j).i32(4).i32Mul().i32Add().v128Load(0);
          f.get(src).get(j).i32(4).i32Mul().i32Add().v128Load(0);
          f.f32x4Add().v128Store(0);
          addTo(f, j, () => f.i32(4));
        },
      );
      addTo(f, src, () => f.get(cols).i32(4).i32Mul());
      addTo(f, r, () => f.i32(1));
    },
  );
}

/**
 * `adam(p, g, m, v, n, lrC1, c2, beta1, beta2, epsilon)`: m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
 * p ← p − lrC1·m / (√(v·c2) + ε), where lrC1 = lr / (1 − β1^t) and c2 = 1 / (1 − β2^t) carry the bias
 * correction (tf.train.adam's maths, ε outside the root). n is rounded up to whole vectors.
 */
function emitAdam(f: FunctionBody): void {
  const [p, g, m, v, n, lrC1, c2, beta1, beta2, epsilon] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  // Each scalar hyper-parameter splatted once into a vector local.
  const splat = (param: number): number => {
    const local = f.local('v128');
    f.get(param).f32x4Splat().set(local);
    return local;
  };
  const [vLr, vC2, vB1, vB2, vEps] = [lrC1, c2, beta1, beta2, epsilon].map(splat) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const vOneMinusB1 = f.local('v128');
  const vOneMinusB2 = f.local('v128');
  f.f32(1).f32x4Splat().get(vB1).f32x4Sub().set(vOneMinusB1);
  f.f32(1).f32x4Splat().get(vB2).f32x4Sub().set(vOneMinusB2);
  const gi = f.local('v128');
  const mi = f.local('v128');
  const vi = f.local('v128');
  forEachVector(f, [p, g, m, v], n, () => {
    f.get(g).v128Load(0).set(gi);
    f.get(vB1).get(m).v128Load(0).f32x4Mul();
    f.get(vOneMinusB1).get(gi).f32x4Mul().f32x4Add().set(mi);
    f.get(vB2).get(v).v128Load(0).f32x4Mul();
    f.get(vOneMinusB2).get(gi).f32x4Mul().get(gi).f32x4Mul().f32x4Add().set(vi);
    f.get(m).get(mi).v128Store(0);
    f.get(v).get(vi).v128Store(0);
    f.get(p);
    f.get(p).v128Load(0);
    f.get(vLr).get(mi).f32x4Mul();
    f.get(vi).get(vC2).f32x4Mul().f32x4Sqrt().get(vEps).f32x4Add();
    f.f32x4Div().f32x4Sub().v128Store(0);
  });
}

/** e^r for |r| ≤ ln2 / 2: the degree-6 Taylor polynomial's coefficients 1/i!, i = 1..6. */
const EXP_COEFFICIENTS = [1, 2, 3, 4, 5, 6].map((k) => {
  let c = 1;
  for (let i = 1; i <= k; i++) c /= i;
  return c;
});
/** ln 2 split in two (Cody and Waite) so that k·ln2 is subtracted without rounding error. */
const LN2_HIGH = 0.693359375;
const LN2_LOW = -2.1219444e-4;

/**
 * `sigmoid(x, n)`: x ← 1 / (1 + e^−x) in place, n rounded up to whole vectors. The exponential is
 * computed per lane (relative error near 1e-7): e^v = 2^k·e^r with k = round(v·log2 e) built in the
 * exponent bits and r = v − k·ln 2 (taken in two parts) through a polynomial. −x is clamped to
 * ±87 so 2^k stays a normal float; the sigmoid is 0 or 1 to float32 precision there.
 */
function emitSigmoid(f: FunctionBody): void {
  const [x, n] = [0, 1];
  const v = f.local('v128');
  const k = f.local('v128');
  const r = f.local('v128');
  const poly = f.local('v128');
  forEachVector(f, [x], n, () => {
    // v = clamp(−x, −87, 87); k = round(v·log2 e); r = v − k·ln2
    f.f32(0).f32x4Splat().get(x).v128Load(0).f32x4Sub();
    f.f32(87).f32x4Splat().f32x4Min().f32(-87).f32x4Splat().f32x4Max().set(v);
    f.get(v).f32(Math.LOG2E).f32x4Splat().f32x4Mul().f32x4Nearest().set(k);
    f.get(v).get(k).f32(LN2_HIGH).f32x4Splat().f32x4Mul().f32x4Sub();
    f.get(k).f32(LN2_LOW).f32x4Splat().f32x4Mul().f32x4Sub().set(r);
    // Horner: poly = 1 + r·(c1 + r·(c2 + …))
    f.f32(EXP_COEFFICIENTS[5] as number)
      .f32x4Splat()
      .set(poly);
    for (let i = 4; i >= 0; i--) {
      f.get(poly)
        .get(r)
        .f32x4Mul()
        .f32(EXP_COEFFICIENTS[i] as number)
        .f32x4Splat()
        .f32x4Add()
        .set(poly);
    }
    f.get(poly).get(r).f32x4Mul().f32(1).f32x4Splat().f32x4Add().set(poly);
    // 2^k from its exponent bits, times the polynomial, gives e^−x; then 1 / (1 + e^−x).
    f.get(x);
    f.f32(1).f32x4Splat();
    f.f32(1).f32x4Splat();
    f.get(k).i32x4TruncSatF32x4S().i32(127).i32x4Splat().i32x4Add().i32(23).i32x4Shl();
    f.get(poly).f32x4Mul().f32x4Add();
    f.f32x4Div().v128Store(0);
  });
}
