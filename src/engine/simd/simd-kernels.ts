import v8 from 'node:v8';
import { gemmModule, PANEL_WIDTH, SCRATCH_BYTES, TILE_ROWS } from './kernel-module.js';

const PAGE_BYTES = 65536;
/** Every allocation starts on a 16-byte boundary and keeps a panel of slack after its end, so a
 * vector load of a partial last panel (a bias, say) never reads past memory. */
const ALIGN_FLOATS = 4;
const SLACK_FLOATS = PANEL_WIDTH;
/** Floats of A per row block (64 KiB): half a typical L2, so A stays cached while B's panels stream. */
const BLOCK_FLOATS = 16384;

interface KernelExports {
  memory: WebAssembly.Memory;
  pack(src: number, stepStride: number, colStride: number, steps: number, cols: number, dst: number): void;
  packA(src: number, rowStride: number, stepStride: number, rows: number, steps: number, dst: number): void;
  gemm(
    a: number,
    aRowStride: number,
    aStepStride: number,
    aTileStride: number,
    b: number,
    c: number,
    cRowStride: number,
    rows: number,
    steps: number,
    cols: number,
    bias: number,
    relu: number,
    accumulate: number,
  ): void;
  reluGrad(dz: number, y: number, n: number): void;
  columnSums(src: number, rows: number, cols: number, dst: number): void;
  sigmoid(x: number, n: number): void;
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lrC1: number,
    c2: number,
    beta1: number,
    beta2: number,
    epsilon: number,
  ): void;
}

/** A as rows and steps in the heap: element (r, s) at `at` + r·rowStride + s·stepStride (floats). */
export interface StridedA {
  at: number;
  rowStride: number;
  stepStride: number;
}

/** A packed by {@link SimdKernels.packA}. */
export interface PackedA {
  packed: number;
}

/** One product C = A·B; every position is a float index into {@link SimdKernels.heap}, strides in floats. */
export interface MatmulArgs {
  /** A[rows × steps]: strided (row-major, or any view) or packed. */
  a: StridedA | PackedA;
  /** B packed by {@link SimdKernels.pack} with `steps` steps and `cols` columns. */
  packedB: number;
  /** C[rows × cols] at `c`, row r starting at c + r·cRowStride. Overwritten. */
  c: number;
  cRowStride: number;
  rows: number;
  steps: number;
  cols: number;
  /** Float index of `cols` bias values added to every row, if any. */
  bias?: number;
  relu?: boolean;
  /** Add the product to C instead of overwriting it (no bias then). */
  accumulate?: boolean;
}

let relaxedSimd: boolean | undefined;

/**
 * Whether this process can compile relaxed SIMD (f32x4.relaxed_madd). Node 20's V8 has it behind
 * a flag that only affects modules compiled afterwards, so it is switched on here, once, before the
 * first kernel module is compiled; Node 22+ has it on by default.
 */
export function relaxedSimdAvailable(): boolean {
  if (relaxedSimd !== undefined) return relaxedSimd;
  const probe = gemmModule(true);
  if (!WebAssembly.validate(probe)) {
    try {
      v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
    } catch {
      // Not V8 or flags locked: the plain SIMD kernels serve.
    }
  }
  relaxedSimd = WebAssembly.validate(probe);
  return relaxedSimd;
}

const compiled = new Map<boolean, WebAssembly.Module>();

/**
 * Vigil's own matrix kernels, for the training paths that call kernels directly (dense, Conv1D and
 * GAN stacks): a packed-panel GEMM with 4×8 register tiles, FMA where the CPU and runtime allow,
 * bias and ReLU fused, transposes expressed as strides instead of copies. On this kind of machine
 * it runs at about twice the GFLOP/s of tfjs-wasm's XNNPACK path, which has no FMA in its wasm
 * build and re-packs its weights on every call with a new buffer.
 *
 * A SimdKernels owns one WebAssembly memory, handed out by a bump allocator: {@link alloc}
 * returns float indices into {@link heap}; {@link release} frees everything above a mark.
 * Not shared between threads: each replica makes its own.
 */
export class SimdKernels {
  readonly fma: boolean;
  private readonly kernels: KernelExports;
  private top = SCRATCH_BYTES / 4;
  private view: Float32Array;

  constructor(options: { fma?: boolean } = {}) {
    // `fma: false` forces the plain SIMD kernels (tests run both); FMA is used only where it compiles.
    this.fma = (options.fma ?? true) && relaxedSimdAvailable();
    let module = compiled.get(this.fma);
    if (module === undefined) {
      module = new WebAssembly.Module(gemmModule(this.fma));
      compiled.set(this.fma, module);
    }
    this.kernels = new WebAssembly.Instance(module).exports as unknown as KernelExports;
    this.view = new Float32Array(this.kernels.memory.buffer);
  }

  /** The memory as floats; take it again after any {@link alloc} (growing replaces the buffer). */
  get heap(): Float32Array {
    if (this.view.buffer !== this.kernels.memory.buffer) this.view = new Float32Array(this.kernels.memory.buffer);
    return this.view;
  }

  /** Bytes of WebAssembly memory this instance holds. */
  get memoryBytes(): number {
    return this.kernels.memory.buffer.byteLength;
  }

  /** The current top of the allocator, for {@link release}. */
  mark(): number {
    return this.top;
  }

  /** Reserves `floats` floats and returns the index of the first. Contents are undefined. */
  alloc(floats: number): number {
    const at = Math.ceil(this.top / ALIGN_FLOATS) * ALIGN_FLOATS;
    this.top = at + floats + SLACK_FLOATS;
    const needBytes = this.top * 4;
    const haveBytes = this.kernels.memory.buffer.byteLength;
    if (needBytes > haveBytes) this.kernels.memory.grow(Math.ceil((needBytes - haveBytes) / PAGE_BYTES));
    return at;
  }

  /** Frees every allocation made after `mark` was taken. */
  release(mark: number): void {
    this.top = mark;
  }

  /** Floats a packed copy of a steps × cols matrix takes. */
  static packedSize(steps: number, cols: number): number {
    return Math.ceil(cols / PANEL_WIDTH) * PANEL_WIDTH * steps;
  }

  /**
   * Packs the steps × cols matrix whose (s, j) element is at src + s·stepStride + j·colStride
   * into `dst` (which holds {@link packedSize} floats), ready to be the B of {@link matmul}.
   */
  pack(src: number, stepStride: number, colStride: number, steps: number, cols: number, dst: number): void {
    this.kernels.pack(4 * src, 4 * stepStride, 4 * colStride, steps, cols, 4 * dst);
  }

  /** Floats a packed copy of A with `rows` rows and `steps` steps takes. */
  static packedASize(rows: number, steps: number): number {
    return Math.ceil(rows / TILE_ROWS) * TILE_ROWS * steps;
  }

  /**
   * Packs A[rows × steps], element (r, s) at src + r·rowStride + s·stepStride, into `dst`
   * ({@link packedASize} floats). Worth it when A is read through a transposed view (dW = Xᵀ·dZ),
   * whose power-of-two step stride would otherwise thrash the cache.
   */
  packA(src: number, rowStride: number, stepStride: number, rows: number, steps: number, dst: number): void {
    this.kernels.packA(4 * src, 4 * rowStride, 4 * stepStride, rows, steps, 4 * dst);
  }

  /** C = A·B (+ bias) (ReLU). */
  matmul(args: MatmulArgs): void {
    const { rows, steps, cols } = args;
    if (rows === 0 || cols === 0) return;
    const relu = args.relu ? 1 : 0;
    if (steps === 0) {
      if (args.accumulate) return;
      // An empty product: C is the bias (or zero), through the clamp.
      const heap = this.heap;
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < cols; j++) {
          const v = args.bias === undefined ? 0 : (heap[args.bias + j] as number);
          heap[args.c + r * args.cRowStride + j] = relu ? Math.max(0, v) : v;
        }
      return;
    }
    const a = args.a;
    const [at, rowStride, stepStride, tileStride] =
      'packed' in a
        ? [a.packed, 1, TILE_ROWS, TILE_ROWS * steps]
        : [a.at, a.rowStride, a.stepStride, TILE_ROWS * a.rowStride];
    const bias = args.bias === undefined ? 0 : 4 * args.bias;
    // The kernel sweeps every panel of B for each block of A's rows; a block small enough to stay in
    // cache across that sweep keeps A from being re-read from memory once per panel.
    const blockRows = Math.max(TILE_ROWS, Math.floor(BLOCK_FLOATS / steps / TILE_ROWS) * TILE_ROWS);
    for (let r0 = 0; r0 < rows; r0 += blockRows) {
      this.kernels.gemm(
        4 * (at + (r0 / TILE_ROWS) * tileStride),
        4 * rowStride,
        4 * stepStride,
        4 * tileStride,
        4 * args.packedB,
        4 * (args.c + r0 * args.cRowStride),
        4 * args.cRowStride,
        Math.min(blockRows, rows - r0),
        steps,
        cols,
        bias,
        relu,
        args.accumulate ? 1 : 0,
      );
    }
  }

  /** dz[j] = 0 where y[j] ≤ 0, for n values: the ReLU's backward pass in place. */
  reluGrad(dz: number, y: number, n: number): void {
    this.kernels.reluGrad(4 * dz, 4 * y, n);
  }

  /**
   * One Adam step over n parameters at p with gradients g and moments m, v (all float indices);
   * `lrC1` and `c2` carry the step's bias correction (see the kernel module).
   */
  adam(
    p: number,
    g: number,
    m: number,
    v: number,
    n: number,
    lrC1: number,
    c2: number,
    beta1: number,
    beta2: number,
    epsilon: number,
  ): void {
    this.kernels.adam(4 * p, 4 * g, 4 * m, 4 * v, n, lrC1, c2, beta1, beta2, epsilon);
  }

  /** x ← 1 / (1 + e^−x) for n values in place (relative error about 1e-7). */
  sigmoid(x: number, n: number): void {
    this.kernels.sigmoid(4 * x, n);
  }

  /** dst[j] += Σ_r src[r·cols + j]: a bias gradient from dZ [rows × cols]. */
  columnSums(src: number, rows: number, cols: number, dst: number): void {
    this.kernels.columnSums(4 * src, rows, cols, 4 * dst);
  }
}

let threadKernels: SimdKernels | undefined;

/**
 * One SimdKernels per thread for ops that use kernel memory only for the length of a call (take a
 * {@link SimdKernels.mark} first and release to it before returning), so such ops do not each
 * instantiate a module.
 */
export function sharedKernels(): SimdKernels {
  threadKernels ??= new SimdKernels();
  return threadKernels;
}
