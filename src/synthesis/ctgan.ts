import type { Table } from '../data/table.js';
import { DenseStack } from '../engine/dense-stack.js';
import { initRuntime, type tf as tfNamespace } from '../engine/index.js';
import { BundleError, ConfigError, NotFittedError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import { Random } from '../random.js';
import { ConditionSampler } from './condition-sampler.js';
import { checkSchema, DataTransformer, type DataTransformerState, type Span } from './data-transformer.js';
import { generateRows } from './output-sampling.js';
import type { SampleOptions, SynthEpochLogs, Synthesizer, SynthesizerState, SynthFitOptions } from './synthesizer.js';

type Tf = typeof tfNamespace;
type Tensor = tfNamespace.Tensor;
type Tensor2D = tfNamespace.Tensor2D;
type Variable = tfNamespace.Variable;

/** Hyper-parameters of {@link CtganSynthesizer}, kept as given. */
export interface CtganParams {
  /** Passes over the data (default 60). */
  epochs?: number;
  /** Rows per step, a multiple of `pac` (default 500). */
  batchSize?: number;
  /** Generator residual layers (default [128, 128]: at this machine's budget more epochs of a smaller network beat the paper's 256; docs/synthesis-models.md). */
  generatorDims?: number[];
  /** Critic hidden layers (default [128, 128]). */
  criticDims?: number[];
  /** Noise size (default 128). */
  embeddingDim?: number;
  /** Adam learning rate of both networks (default 2e-4, β = (0.5, 0.9)). */
  learningRate?: number;
  /** Rows the critic judges together (PacGAN; default 10). */
  pac?: number;
  /** Critic steps per generator step (default 1). */
  criticSteps?: number;
  /** Gradient-penalty weight λ (default 10). */
  gradientPenalty?: number;
  /** Critic dropout (default 0.5). */
  criticDropout?: number;
  /** Gumbel-softmax temperature of the one-hot outputs in training (default 0.2). */
  temperature?: number;
  /** Mixture modes per numeric column (default 10). */
  maxModes?: number;
  seed: number;
}

type Resolved = Required<CtganParams>;

const BN_EPSILON = 1e-5;
const BN_MOMENTUM = 0.1;
const LEAKY_SLOPE = 0.2;
/** TF.js variable names are process-wide: each fit's get a fresh prefix. */
let fitCount = 0;

function resolve(params: CtganParams): Resolved {
  const r: Resolved = {
    epochs: params.epochs ?? 60,
    batchSize: params.batchSize ?? 500,
    generatorDims: params.generatorDims ?? [128, 128],
    criticDims: params.criticDims ?? [128, 128],
    embeddingDim: params.embeddingDim ?? 128,
    learningRate: params.learningRate ?? 2e-4,
    pac: params.pac ?? 10,
    criticSteps: params.criticSteps ?? 1,
    gradientPenalty: params.gradientPenalty ?? 10,
    criticDropout: params.criticDropout ?? 0.5,
    temperature: params.temperature ?? 0.2,
    maxModes: params.maxModes ?? 10,
    seed: params.seed,
  };
  const bad: string[] = [];
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) bad.push(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('epochs', r.epochs);
  positiveInt('batchSize', r.batchSize);
  positiveInt('embeddingDim', r.embeddingDim);
  positiveInt('pac', r.pac);
  positiveInt('criticSteps', r.criticSteps);
  positiveInt('maxModes', r.maxModes);
  for (const d of [...r.generatorDims, ...r.criticDims]) positiveInt('hidden units', d);
  if (Number.isInteger(r.batchSize) && Number.isInteger(r.pac) && r.batchSize % r.pac !== 0)
    bad.push(`batchSize (${r.batchSize}) must be a multiple of pac (${r.pac})`);
  if (!(r.learningRate > 0)) bad.push(`learningRate must be > 0, got ${r.learningRate}`);
  if (!(r.gradientPenalty >= 0)) bad.push(`gradientPenalty must be ≥ 0, got ${r.gradientPenalty}`);
  if (!(r.criticDropout >= 0 && r.criticDropout < 1))
    bad.push(`criticDropout must be in [0, 1), got ${r.criticDropout}`);
  if (!(r.temperature > 0)) bad.push(`temperature must be > 0, got ${r.temperature}`);
  if (!Number.isInteger(r.seed)) bad.push(`seed must be an integer, got ${r.seed}`);
  if (bad.length > 0)
    throw new ConfigError('invalid_params', `invalid ctgan parameters: ${bad.join('; ')}`, {
      issues: bad.map((message) => ({ code: 'invalid_params', path: [], message })),
    });
  return r;
}

/** The generator's shape: residual blocks (dense → batch norm → ReLU, concatenated with the block's input), then a dense output. */
export interface GeneratorSpec {
  input: number;
  dims: number[];
  output: number;
}

/** The critic's shape: `pac` rows of `rowWidth` side by side → leaky-ReLU dense layers with dropout → one score. */
export interface CriticSpec {
  rowWidth: number;
  pac: number;
  dims: number[];
}

/** Named weights of the generator, in order (PyTorch-like names). */
function generatorSlots(spec: GeneratorSpec): { name: string; shape: number[]; trainable: boolean }[] {
  const slots: { name: string; shape: number[]; trainable: boolean }[] = [];
  let width = spec.input;
  for (const [i, d] of spec.dims.entries()) {
    slots.push({ name: `residual${i}/kernel`, shape: [width, d], trainable: true });
    slots.push({ name: `residual${i}/bias`, shape: [d], trainable: true });
    slots.push({ name: `residual${i}/gamma`, shape: [d], trainable: true });
    slots.push({ name: `residual${i}/beta`, shape: [d], trainable: true });
    slots.push({ name: `residual${i}/moving_mean`, shape: [d], trainable: false });
    slots.push({ name: `residual${i}/moving_variance`, shape: [d], trainable: false });
    width += d;
  }
  slots.push({ name: 'output/kernel', shape: [width, spec.output], trainable: true });
  slots.push({ name: 'output/bias', shape: [spec.output], trainable: true });
  return slots;
}

function criticSlots(spec: CriticSpec): { name: string; shape: number[] }[] {
  const slots: { name: string; shape: number[] }[] = [];
  let width = spec.rowWidth * spec.pac;
  for (const [i, d] of spec.dims.entries()) {
    slots.push({ name: `dense${i}/kernel`, shape: [width, d] });
    slots.push({ name: `dense${i}/bias`, shape: [d] });
    width = d;
  }
  slots.push({ name: 'output/kernel', shape: [width, 1] });
  slots.push({ name: 'output/bias', shape: [1] });
  return slots;
}

/** PyTorch's default Linear initialisation: U(±1/√fanIn) for kernel and bias; batch norm as identity. */
function initialValues(slots: { name: string; shape: number[] }[], rng: Random): Float32Array[] {
  let fanIn = 1;
  return slots.map((slot) => {
    const size = slot.shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    const kind = slot.name.split('/')[1];
    if (kind === 'kernel') fanIn = slot.shape[0] as number;
    if (kind === 'kernel' || kind === 'bias') {
      const bound = 1 / Math.sqrt(fanIn);
      for (let i = 0; i < size; i++) values[i] = (rng.next() * 2 - 1) * bound;
    } else if (kind === 'gamma' || kind === 'moving_variance') {
      values.fill(1);
    }
    return values;
  });
}

interface Fitted {
  transformer: DataTransformer;
  sampler: ConditionSampler;
  generatorSpec: GeneratorSpec;
  criticSpec: CriticSpec;
  /** Generator values in {@link generatorSlots} order (running statistics included). */
  generator: Float32Array[];
  critic: Float32Array[];
  /** The generator for sampling, built on first use (see {@link FoldedGenerator}). */
  folded?: FoldedGenerator;
}

/**
 * The generator as it samples, on the engine's SIMD dense stacks instead of the TF.js graph:
 * with the running statistics fixed, each block's batch norm is an affine map and folds into
 * its dense layer (W·γ/σ, (b − μ)·γ/σ + β), leaving dense + ReLU per block, the concatenation
 * with the block's input, and the dense output. 100,000 rows are then a few products.
 */
export class FoldedGenerator {
  private readonly blocks: DenseStack[] = [];
  private readonly output: DenseStack;

  constructor(
    private readonly spec: GeneratorSpec,
    values: Float32Array[],
  ) {
    let width = spec.input;
    let at = 0;
    for (const d of spec.dims) {
      const [kernel, bias, gamma, beta, mean, variance] = values.slice(at, at + 6) as Float32Array[];
      at += 6;
      const folded = new Float32Array(width * d);
      const foldedBias = new Float32Array(d);
      for (let j = 0; j < d; j++) {
        const scale = (gamma?.[j] as number) / Math.sqrt((variance?.[j] as number) + BN_EPSILON);
        foldedBias[j] = ((bias?.[j] as number) - (mean?.[j] as number)) * scale + (beta?.[j] as number);
        for (let k = 0; k < width; k++) folded[k * d + j] = (kernel?.[k * d + j] as number) * scale;
      }
      const stack = new DenseStack([{ units: d, activation: 'relu', useBias: true, dropout: 0, kernelSlot: 0 }], width);
      stack.load([folded, foldedBias]);
      this.blocks.push(stack);
      width += d;
    }
    this.output = new DenseStack(
      [{ units: spec.output, activation: 'linear', useBias: true, dropout: 0, kernelSlot: 0 }],
      width,
    );
    this.output.load([values[at] as Float32Array, values[at + 1] as Float32Array]);
  }

  /** Raw outputs (tanh and softmax not applied) of `rows` input rows. */
  forward(input: Float32Array, rows: number): Float32Array {
    let h = input;
    let width = this.spec.input;
    for (const [i, stack] of this.blocks.entries()) {
      const d = this.spec.dims[i] as number;
      const y = stack.forward(h, rows);
      stack.release();
      const next = new Float32Array(rows * (d + width));
      for (let r = 0; r < rows; r++) {
        next.set(y.subarray(r * d, (r + 1) * d), r * (d + width));
        next.set(h.subarray(r * width, (r + 1) * width), r * (d + width) + d);
      }
      h = next;
      width += d;
    }
    const out = this.output.forward(h, rows);
    this.output.release();
    return out;
  }

  dispose(): void {
    for (const b of this.blocks) b.dispose();
    this.output.dispose();
  }
}

/**
 * The generator forward pass. In training the residual blocks normalise by the batch's
 * statistics (returned in `moments` so the caller can update the running ones); otherwise by the
 * running statistics, so a row does not depend on the other rows drawn with it.
 */
export function generatorForward(
  tf: Tf,
  spec: GeneratorSpec,
  w: Tensor[],
  input: Tensor2D,
  training: boolean,
  moments?: { mean: Tensor; variance: Tensor }[],
): Tensor2D {
  let h: Tensor2D = input;
  let at = 0;
  for (let i = 0; i < spec.dims.length; i++) {
    const [kernel, bias, gamma, beta, movingMean, movingVariance] = w.slice(at, at + 6) as [
      Tensor,
      Tensor,
      Tensor,
      Tensor,
      Tensor,
      Tensor,
    ];
    at += 6;
    const z = tf.add(tf.matMul(h, kernel as Tensor2D), bias);
    let mean = movingMean;
    let variance = movingVariance;
    if (training) {
      const m = tf.moments(z, 0);
      mean = m.mean;
      variance = m.variance;
      moments?.push({ mean, variance });
    }
    const normed = tf.mul(tf.div(tf.sub(z, mean), tf.sqrt(tf.add(variance, BN_EPSILON))), gamma);
    const y = tf.relu(tf.add(normed, beta)) as Tensor2D;
    h = tf.concat([y, h], 1);
  }
  return tf.add(tf.matMul(h, w[at] as Tensor2D), w[at + 1] as Tensor) as Tensor2D;
}

/**
 * The critic: `pac` rows per score, leaky-ReLU layers with dropout (masks given, so the same
 * masks can serve a value and its gradient), one linear score per group.
 */
export function criticForward(
  tf: Tf,
  spec: CriticSpec,
  w: Tensor[],
  rows: Tensor2D,
  masks: (Tensor | undefined)[],
): Tensor2D {
  const groups = rows.shape[0] / spec.pac;
  let h: Tensor2D = tf.reshape(rows, [groups, spec.pac * spec.rowWidth]);
  for (let i = 0; i < spec.dims.length; i++) {
    const z = tf.add(tf.matMul(h, w[2 * i] as Tensor2D), w[2 * i + 1] as Tensor);
    // max(z, 0.2z) written as 0.6z + 0.4|z|: the gradient of tf.maximum goes through a Less
    // mask that has no gradient of its own, so the penalty's second-order pass could not use it.
    let a = tf.add(tf.mul(z, (1 + LEAKY_SLOPE) / 2), tf.mul(tf.abs(z), (1 - LEAKY_SLOPE) / 2)) as Tensor2D;
    const mask = masks[i];
    if (mask) a = tf.mul(a, mask);
    h = a;
  }
  const last = 2 * spec.dims.length;
  return tf.add(tf.matMul(h, w[last] as Tensor2D), w[last + 1] as Tensor) as Tensor2D;
}

/**
 * WGAN-GP's critic loss for a batch: mean score of generated groups − mean score of real ones +
 * λ · mean over groups of (‖∇ critic at an interpolate‖ − 1)². The gradient norm is taken with a
 * nested `tf.grad`, so the loss's own gradient is a second-order one (checked against finite
 * differences in the tests).
 */
export function criticLoss(
  tf: Tf,
  spec: CriticSpec,
  w: Tensor[],
  real: Tensor2D,
  fake: Tensor2D,
  alpha: Tensor2D,
  masks: { real: (Tensor | undefined)[]; fake: (Tensor | undefined)[]; mixed: (Tensor | undefined)[] },
  lambda: number,
): { loss: Tensor; wasserstein: Tensor; penalty: Tensor } {
  const realScore = tf.mean(criticForward(tf, spec, w, real, masks.real));
  const fakeScore = tf.mean(criticForward(tf, spec, w, fake, masks.fake));
  const wasserstein = tf.sub(fakeScore, realScore);
  if (lambda === 0) return { loss: wasserstein, wasserstein, penalty: tf.scalar(0) };
  const mixed = tf.add(tf.mul(alpha, real), tf.mul(tf.sub(1, alpha), fake)) as Tensor2D;
  const gradient = tf.grad((x: Tensor) => tf.sum(criticForward(tf, spec, w, x as Tensor2D, masks.mixed)))(mixed);
  const groups = real.shape[0] / spec.pac;
  const perGroup = tf.reshape(gradient, [groups, spec.pac * spec.rowWidth]);
  // √(Σg² + ε): the plain norm's gradient is undefined at 0.
  const norm = tf.sqrt(tf.add(tf.sum(tf.square(perGroup), 1), 1e-12));
  const penalty = tf.mul(tf.mean(tf.square(tf.sub(norm, 1))), lambda);
  return { loss: tf.add(wasserstein, penalty), wasserstein, penalty };
}

/** Tanh on the scalars, Gumbel-softmax at temperature τ on every one-hot span (training outputs, differentiable). */
function activateForTraining(tf: Tf, raw: Tensor2D, spans: Span[], gumbel: Tensor2D, temperature: number): Tensor2D {
  const parts = spans.map((s) => {
    const slice = tf.slice(raw, [0, s.start], [-1, s.width]);
    if (s.activation === 'tanh') return tf.tanh(slice);
    const noise = tf.slice(gumbel, [0, s.start], [-1, s.width]);
    return tf.softmax(tf.div(tf.add(slice, noise), temperature));
  });
  return tf.concat(parts, 1) as Tensor2D;
}

/**
 * Cross-entropy of the generator's logits for the conditioned column against the condition,
 * averaged over the batch: the term that makes the generator honour its conditional vector.
 */
function conditionLoss(
  tf: Tf,
  raw: Tensor2D,
  cond: Tensor2D,
  sampler: ConditionSampler,
  batch: number,
): Tensor | undefined {
  if (sampler.columns.length === 0) return undefined;
  const terms = sampler.columns.map((c) => {
    const logits = tf.slice(raw, [0, c.dataStart], [-1, c.width]);
    const target = tf.slice(cond, [0, c.condStart], [-1, c.width]);
    return tf.sum(tf.mul(tf.logSoftmax(logits), target));
  });
  return tf.div(tf.neg(tf.addN(terms)), batch);
}

/**
 * CTGAN (Xu et al., 2019): a conditional Wasserstein GAN with gradient penalty on the
 * mode-specific representation. The generator is two residual blocks (dense → batch norm → ReLU,
 * concatenated with their input) and a dense layer whose outputs become tanh scalars and
 * Gumbel-softmax one-hots; the critic scores `pac` rows at once (PacGAN, against mode collapse)
 * through leaky-ReLU layers with dropout. Training is by sampling (see {@link ConditionSampler})
 * and the generator's loss adds the cross-entropy of the conditioned column, so conditions are
 * respected; the networks train on TF.js with autograd (the penalty is second order).
 *
 * Conditional sampling is exact: the generator gets the condition as input and the conditioned
 * column is written as the requested value in every row, never by rejection. Unconditional rows
 * draw conditions with the data's frequencies.
 *
 * @example
 * const gan = await new CtganSynthesizer({ seed: 1 }).fit(table);
 * const rows = await gan.sample(10_000, { conditions: { target: '1' }, seed: 3 });
 */
export class CtganSynthesizer implements Synthesizer<CtganParams> {
  readonly kind = 'ctgan' as const;
  readonly params: CtganParams;
  history: SynthEpochLogs[] = [];
  private readonly resolved: Resolved;
  private fitted: Fitted | undefined;

  /** @throws ConfigError `invalid_params` listing every invalid parameter. */
  constructor(params: CtganParams) {
    this.resolved = resolve(params);
    this.params = params;
  }

  private require(): Fitted {
    if (!this.fitted) throw new NotFittedError('CtganSynthesizer');
    return this.fitted;
  }

  /**
   * Learns the representation and trains generator and critic on every row of `table`.
   *
   * @throws ConfigError `unsupported_column_kind` for identifier columns, `training_diverged`.
   */
  async fit(table: Table, options: SynthFitOptions = {}): Promise<this> {
    const tf = await initRuntime();
    const p = this.resolved;
    const rng = new Random(p.seed);
    const transformer = DataTransformer.fit(table, { maxModes: p.maxModes, seed: rng.childSeed() });
    const x = transformer.transform(table, new Random(rng.childSeed()));
    const n = table.nRows;
    const width = transformer.width;
    const sampler = new ConditionSampler(transformer, x, n);
    const condWidth = sampler.condWidth;
    const generatorSpec: GeneratorSpec = { input: p.embeddingDim + condWidth, dims: p.generatorDims, output: width };
    const criticSpec: CriticSpec = { rowWidth: width + condWidth, pac: p.pac, dims: p.criticDims };
    fitCount++;
    const gSlots = generatorSlots(generatorSpec);
    const cSlots = criticSlots(criticSpec);
    // Inside a tidy: a variable shares its initial tensor's data, and that tensor would otherwise stay counted.
    const gInitial = initialValues(gSlots, rng);
    const cInitial = initialValues(cSlots, rng);
    const gVars = tf.tidy(() =>
      gInitial.map((v, i) =>
        tf.variable(
          tf.tensor(v, (gSlots[i] as { shape: number[] }).shape),
          gSlots[i]?.trainable,
          `ctgan${fitCount}_g${i}`,
        ),
      ),
    );
    const cVars = tf.tidy(() =>
      cInitial.map((v, i) =>
        tf.variable(tf.tensor(v, (cSlots[i] as { shape: number[] }).shape), true, `ctgan${fitCount}_c${i}`),
      ),
    );
    const gTrainable = gVars.filter((_, i) => gSlots[i]?.trainable);
    const gOptimizer = tf.train.adam(p.learningRate, 0.5, 0.9, 1e-8);
    const cOptimizer = tf.train.adam(p.learningRate, 0.5, 0.9, 1e-8);
    // Whole batches only: a batch must split into pac groups, and a short last one would weigh in full.
    const batch = Math.max(p.pac, Math.floor(Math.min(p.batchSize, n) / p.pac) * p.pac);
    const steps = Math.max(1, Math.floor(n / batch));
    const keep = 1 - p.criticDropout;
    const noise = (rows: number, cols: number, draw: () => number): Tensor2D => {
      const v = new Float32Array(rows * cols);
      for (let i = 0; i < v.length; i++) v[i] = draw();
      return tf.tensor2d(v, [rows, cols]);
    };
    const normal = () => rng.normal();
    const gumbelDraw = () => {
      let u = rng.next();
      while (u === 0) u = rng.next();
      return -Math.log(-Math.log(u));
    };
    const dropoutMasks = (): (Tensor | undefined)[] =>
      p.criticDims.map((d) =>
        p.criticDropout > 0 ? noise(batch / p.pac, d, () => (rng.next() < keep ? 1 / keep : 0)) : undefined,
      );
    const realRows = new Float32Array(batch * width);
    this.history = [];
    try {
      for (let epoch = 0; epoch < p.epochs; epoch++) {
        let criticSum = 0;
        let penaltySum = 0;
        let generatorSum = 0;
        let criticCount = 0;
        for (let step = 0; step < steps; step++) {
          for (let k = 0; k < p.criticSteps; k++) {
            const conditions = sampler.trainingBatch(batch, rng);
            const rows = conditions.rows as Int32Array;
            for (let i = 0; i < batch; i++) {
              const r = rows[i] as number;
              realRows.set(x.subarray(r * width, (r + 1) * width), i * width);
            }
            const alphaValues = new Float32Array(batch);
            for (let g = 0; g < batch / p.pac; g++) alphaValues.fill(rng.next(), g * p.pac, (g + 1) * p.pac);
            const zInput = noise(batch, p.embeddingDim, normal);
            const gumbel = noise(batch, width, gumbelDraw);
            const masks = { real: dropoutMasks(), fake: dropoutMasks(), mixed: dropoutMasks() };
            const [w, pen] = tf.tidy(() => {
              const cond = tf.tensor2d(conditions.cond, [batch, condWidth]);
              const moments: { mean: Tensor; variance: Tensor }[] = [];
              const raw = generatorForward(tf, generatorSpec, gVars, tf.concat([zInput, cond], 1), true, moments);
              // The running statistics the generator samples with follow the training batches.
              for (const [i, m] of moments.entries()) {
                const mean = gVars[6 * i + 4] as Variable;
                const variance = gVars[6 * i + 5] as Variable;
                mean.assign(tf.add(tf.mul(mean, 1 - BN_MOMENTUM), tf.mul(m.mean, BN_MOMENTUM)));
                variance.assign(tf.add(tf.mul(variance, 1 - BN_MOMENTUM), tf.mul(m.variance, BN_MOMENTUM)));
              }
              const fake = tf.concat([activateForTraining(tf, raw, transformer.spans, gumbel, p.temperature), cond], 1);
              const real = tf.concat([tf.tensor2d(realRows, [batch, width]), cond], 1);
              const alpha = tf.tensor2d(alphaValues, [batch, 1]);
              let parts: { wasserstein: Tensor; penalty: Tensor } | undefined;
              const { grads } = tf.variableGrads(() => {
                const out = criticLoss(tf, criticSpec, cVars, real, fake, alpha, masks, p.gradientPenalty);
                parts = { wasserstein: tf.keep(out.wasserstein), penalty: tf.keep(out.penalty) };
                return out.loss as tfNamespace.Scalar;
              }, cVars);
              cOptimizer.applyGradients(grads as Parameters<typeof cOptimizer.applyGradients>[0]);
              const values = [
                (parts?.wasserstein.dataSync()[0] as number) ?? Number.NaN,
                (parts?.penalty.dataSync()[0] as number) ?? Number.NaN,
              ];
              tf.dispose([parts?.wasserstein, parts?.penalty].filter((t): t is Tensor => t !== undefined));
              return values;
            });
            tf.dispose([zInput, gumbel, ...masks.real, ...masks.fake, ...masks.mixed].filter((t) => t !== undefined));
            criticSum += w as number;
            penaltySum += pen as number;
            criticCount++;
          }
          const conditions = sampler.trainingBatch(batch, rng);
          const zInput = noise(batch, p.embeddingDim, normal);
          const gumbel = noise(batch, width, gumbelDraw);
          const masks = dropoutMasks();
          const gLoss = tf.tidy(() => {
            const cond = tf.tensor2d(conditions.cond, [batch, condWidth]);
            const input = tf.concat([zInput, cond], 1) as Tensor2D;
            const { value, grads } = tf.variableGrads(() => {
              const raw = generatorForward(tf, generatorSpec, gVars, input, true);
              const fake = tf.concat([activateForTraining(tf, raw, transformer.spans, gumbel, p.temperature), cond], 1);
              const adversarial = tf.neg(tf.mean(criticForward(tf, criticSpec, cVars, fake as Tensor2D, masks)));
              const ce = conditionLoss(tf, raw, cond, sampler, batch);
              return (ce ? tf.add(adversarial, ce) : adversarial) as tfNamespace.Scalar;
            }, gTrainable);
            gOptimizer.applyGradients(grads as Parameters<typeof gOptimizer.applyGradients>[0]);
            return value.dataSync()[0] as number;
          });
          tf.dispose([zInput, gumbel, ...masks].filter((t) => t !== undefined));
          generatorSum += gLoss;
        }
        const logs: SynthEpochLogs = {
          epoch,
          criticLoss: criticSum / criticCount,
          gradientPenalty: penaltySum / criticCount,
          generatorLoss: generatorSum / steps,
        };
        if (!Number.isFinite(logs.criticLoss as number) || !Number.isFinite(logs.generatorLoss as number))
          throw new ConfigError(
            'training_diverged',
            `ctgan training diverged at epoch ${epoch}; lower learningRate or raise gradientPenalty`,
          );
        this.history.push(logs);
        options.onEpochEnd?.(logs);
      }
      this.fitted = {
        transformer,
        sampler,
        generatorSpec,
        criticSpec,
        generator: gVars.map((v) => v.dataSync() as Float32Array).map((v) => Float32Array.from(v)),
        critic: cVars.map((v) => Float32Array.from(v.dataSync() as Float32Array)),
      };
    } finally {
      tf.dispose([...gVars, ...cVars]);
      gOptimizer.dispose();
      cOptimizer.dispose();
    }
    return this;
  }

  /**
   * Generates `nRows` rows with the fitted schema; with `conditions`, every row carries them.
   *
   * @throws NotFittedError before `fit`.
   * @throws ConfigError for a bad condition (see {@link ConditionSampler.fixedBatch}) or row count.
   */
  async sample(nRows: number, options: SampleOptions = {}): Promise<Table> {
    const f = this.require();
    f.folded ??= new FoldedGenerator(f.generatorSpec, f.generator);
    const folded = f.folded;
    const x = generateRows({
      nRows,
      conditions: options.conditions,
      rng: new Random(options.seed ?? this.resolved.seed + 1),
      latent: this.resolved.embeddingDim,
      transformer: f.transformer,
      sampler: f.sampler,
      forward: (input, rows) => folded.forward(input, rows),
    });
    return f.transformer.inverse(x, nRows);
  }

  toJSON(): SynthesizerState {
    const f = this.require();
    return {
      kind: 'ctgan',
      params: { ...this.params },
      schema: f.transformer.schema,
      extra: {
        transformer: f.transformer.state,
        generator: f.generatorSpec,
        critic: f.criticSpec,
        history: this.history,
      },
    };
  }

  getWeights(): NamedWeight[] {
    const f = this.require();
    const named = (prefix: string, slots: { name: string; shape: number[] }[], values: Float32Array[]) =>
      slots.map((s, i) => ({
        name: `${prefix}/${s.name}`,
        shape: [...s.shape],
        values: Float32Array.from(values[i] as Float32Array),
      }));
    return [
      ...named('generator', generatorSlots(f.generatorSpec), f.generator),
      ...named('critic', criticSlots(f.criticSpec), f.critic),
    ];
  }

  /**
   * Rebuilds a fitted synthesizer from {@link toJSON} and {@link getWeights}; it samples exactly
   * what the original does for the same rows, conditions and seed.
   *
   * @throws BundleError `bad_synthesizer_state` for another kind's state or missing/misshapen weights.
   */
  static async fromState(state: SynthesizerState, weights: NamedWeight[]): Promise<CtganSynthesizer> {
    if (state.kind !== 'ctgan')
      throw new BundleError('bad_synthesizer_state', `expected a ctgan state, got ${state.kind}`);
    const extra = state.extra as {
      transformer: DataTransformerState;
      generator: GeneratorSpec;
      critic: CriticSpec;
      history?: SynthEpochLogs[];
    };
    const synth = new CtganSynthesizer(state.params as CtganParams);
    const transformer = DataTransformer.fromState(extra.transformer);
    checkSchema(transformer.schema, state.schema);
    const byName = new Map(weights.map((w) => [w.name, w]));
    const take = (prefix: string, slots: { name: string; shape: number[] }[]) =>
      slots.map((s) => {
        const w = byName.get(`${prefix}/${s.name}`);
        const size = s.shape.reduce((a, b) => a * b, 1);
        if (!w || w.values.length !== size)
          throw new BundleError('bad_synthesizer_state', `ctgan weight ${prefix}/${s.name} is missing or misshapen`);
        return Float32Array.from(w.values);
      });
    synth.fitted = {
      transformer,
      sampler: ConditionSampler.fromTransformer(transformer),
      generatorSpec: extra.generator,
      criticSpec: extra.critic,
      generator: take('generator', generatorSlots(extra.generator)),
      critic: take('critic', criticSlots(extra.critic)),
    };
    synth.history = extra.history ?? [];
    return synth;
  }
}
