// The contract every engine in the benchmark implements (stock tfjs-layers, Vigil's engine) and
// the timing loops they share, so that "rows/s" and "µs per row" mean the same on each side.
import type { BenchData, ModelName, ModelShape } from './shapes.js';

/** What an engine is given to build one benchmark model. */
export interface EngineBenchInput {
  name: ModelName;
  shape: ModelShape;
  data: BenchData;
}

/**
 * One model of the engine benchmark on one engine. Implementations train on `data` in fixed
 * batches of `shape.batchSize` rows, in order, cycling (no shuffling: the benchmark times the
 * training step, not data handling), and may throw when the engine cannot run the model: the
 * driver records the message instead of a figure.
 *
 * @example
 * const model = createStockModel({ name: 'mlp', shape, data });
 * const rowsPerSec = await model.trainRowsPerSec({ seconds: 5, threads: 1 });
 * const micros = await model.scoreMicrosPerRow({ rows: 1000, seconds: 1, threads: 1 });
 * model.dispose();
 */
export interface EngineBenchModel {
  readonly name: ModelName;
  /**
   * Runs a few warm-up steps, then whole training steps for at least `seconds`, and returns
   * training rows per second (for a GAN, real rows: `batchSize` per step). `threads` is the
   * number of threads the engine may use; single-threaded engines ignore it.
   */
  trainRowsPerSec(opts: { seconds: number; threads: number }): Promise<number>;
  /**
   * Scores the first `rows` rows of `data` in one call, repeatedly for about `seconds`, and returns
   * the median microseconds per row. A call starts from a `Float32Array` and ends with the raw
   * outputs in a `Float32Array` (the `NetworkRunner.run` contract), so input and output copies
   * count. Uses the weights as trained so far (fresh ones if training failed).
   */
  scoreMicrosPerRow(opts: { rows: number; seconds: number; threads: number }): Promise<number>;
  /** Frees tensors, wasm memory or native sessions; the model cannot be used afterwards. */
  dispose(): void;
}

/** Builds one engine's version of a benchmark model. */
export type EngineBenchFactory = (input: EngineBenchInput) => EngineBenchModel;

/**
 * Untimed warm-up before every training measurement: at least `steps` steps and `share` of the
 * timed seconds, at most `maxSeconds`. JIT tiers, wasm memory growth and optimiser slots happen
 * here: stock tfjs trains the autoencoder about 3× slower in its first second than after 1.5 s.
 */
export const WARMUP = { steps: 3, share: 0.3, maxSeconds: 1.5 } as const;

/**
 * Times a training step: the warm-up untimed, then whole steps until `seconds` have passed.
 * Returns rows per second.
 */
export async function timeTraining(step: () => unknown, rowsPerStep: number, seconds: number): Promise<number> {
  const warmupMs = Math.min(WARMUP.maxSeconds, seconds * WARMUP.share) * 1000;
  const warmupStarted = performance.now();
  for (let i = 0; i < WARMUP.steps || performance.now() - warmupStarted < warmupMs; i++) await step();
  const started = performance.now();
  let steps = 0;
  let elapsedMs = 0;
  do {
    await step();
    steps++;
    elapsedMs = performance.now() - started;
  } while (elapsedMs < seconds * 1000);
  return (steps * rowsPerStep) / (elapsedMs / 1000);
}

/**
 * Times a scoring call of `rows` rows: a few untimed calls, then calls until `seconds` have passed
 * and at least `minCalls` were made. Returns the median microseconds per row; the median, because
 * one garbage collection or a neighbour's burst on a shared machine should not move the figure.
 */
export async function timeScoring(call: () => unknown, rows: number, seconds: number, minCalls = 15): Promise<number> {
  for (let i = 0; i < 5; i++) await call();
  const callMs: number[] = [];
  const started = performance.now();
  while (callMs.length < minCalls || performance.now() - started < seconds * 1000) {
    const t0 = performance.now();
    await call();
    callMs.push(performance.now() - t0);
  }
  return (median(callMs) * 1000) / rows;
}

/** The middle value (upper middle for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;
}
