import type { Table } from '../data/table.js';
import { Adam } from '../engine/index.js';
import { BundleError, ConfigError, NotFittedError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import { Random } from '../random.js';
import { ConditionSampler } from './condition-sampler.js';
import { checkSchema, DataTransformer, type DataTransformerState } from './data-transformer.js';
import { DenseNet, mlpSpec } from './dense-net.js';
import { fillNormal, generateRows } from './output-sampling.js';
import type { SampleOptions, SynthEpochLogs, Synthesizer, SynthesizerState, SynthFitOptions } from './synthesizer.js';

/** Hyper-parameters of {@link TvaeSynthesizer}, kept as given. */
export interface TvaeParams {
  /** Passes over the data (default 50). */
  epochs?: number;
  /** Rows per step (default 500). */
  batchSize?: number;
  /** Encoder hidden layers (default [128, 128]). */
  compressDims?: number[];
  /** Decoder hidden layers (default [128, 128]). */
  decompressDims?: number[];
  /** Latent size (default 128). */
  embeddingDim?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** L2 weight decay added to the gradients, as PyTorch's Adam `weight_decay` (default 1e-5). */
  l2?: number;
  /** Weight of the reconstruction against the KL term (default 2, as the TVAE paper's code). */
  lossFactor?: number;
  /** Mixture modes per numeric column (default 10). */
  maxModes?: number;
  seed: number;
}

type Resolved = Required<TvaeParams>;

const SIGMA_MIN = 0.01;
const SIGMA_MAX = 1;

function resolve(params: TvaeParams): Resolved {
  const r: Resolved = {
    epochs: params.epochs ?? 50,
    batchSize: params.batchSize ?? 500,
    compressDims: params.compressDims ?? [128, 128],
    decompressDims: params.decompressDims ?? [128, 128],
    embeddingDim: params.embeddingDim ?? 128,
    learningRate: params.learningRate ?? 1e-3,
    l2: params.l2 ?? 1e-5,
    lossFactor: params.lossFactor ?? 2,
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
  positiveInt('maxModes', r.maxModes);
  for (const d of [...r.compressDims, ...r.decompressDims]) positiveInt('hidden units', d);
  if (!(r.learningRate > 0)) bad.push(`learningRate must be > 0, got ${r.learningRate}`);
  if (!(r.l2 >= 0)) bad.push(`l2 must be ≥ 0, got ${r.l2}`);
  if (!(r.lossFactor > 0)) bad.push(`lossFactor must be > 0, got ${r.lossFactor}`);
  if (!Number.isInteger(r.seed)) bad.push(`seed must be an integer, got ${r.seed}`);
  if (bad.length > 0)
    throw new ConfigError('invalid_params', `invalid tvae parameters: ${bad.join('; ')}`, {
      issues: bad.map((message) => ({ code: 'invalid_params', path: [], message })),
    });
  return r;
}

interface Fitted {
  transformer: DataTransformer;
  sampler: ConditionSampler;
  encoder: DenseNet;
  decoder: DenseNet;
  /** Learned output sd of each numeric column's scalar. */
  sigmas: Float32Array;
}

/**
 * A conditional variational autoencoder on CTGAN's representation (TVAE, Xu et al., 2019, made
 * conditional). The encoder reads a transformed row and its conditional vector; the decoder maps
 * a latent draw and the conditional vector back to the row: per numeric column a tanh scalar with
 * a learned sd (Gaussian log-likelihood) and mode logits, per discrete column logits
 * (cross-entropy), plus the KL term of the latent.
 *
 * Training is by sampling (see {@link ConditionSampler}): each row of a batch is a real row that
 * carries a condition drawn by log-frequency, so the decoder learns p(row | column = value) for
 * every discrete column and value, rare ones included.
 *
 * Conditional sampling is exact: rows for `{target: '1'}` are decoded from the prior with the
 * condition `target = 1` as input (so the other columns follow the learned conditional) and the
 * target column is written as `1` — no rejection, and every row carries it. Unconditional rows
 * draw their conditions with the data's own frequencies, so their mixture is the learned p(row).
 *
 * @example
 * const tvae = await new TvaeSynthesizer({ seed: 1, epochs: 100 }).fit(table);
 * const bad = await tvae.sample(50_000, { conditions: { target: '1' }, seed: 7 });
 */
export class TvaeSynthesizer implements Synthesizer<TvaeParams> {
  readonly kind = 'tvae' as const;
  readonly params: TvaeParams;
  history: SynthEpochLogs[] = [];
  private readonly resolved: Resolved;
  private fitted: Fitted | undefined;

  /** @throws ConfigError `invalid_params` listing every invalid parameter. */
  constructor(params: TvaeParams) {
    this.resolved = resolve(params);
    this.params = params;
  }

  private require(): Fitted {
    if (!this.fitted) throw new NotFittedError('TvaeSynthesizer');
    return this.fitted;
  }

  /**
   * Learns the representation and trains the networks on every row of `table`.
   *
   * @throws ConfigError `unsupported_column_kind` for identifier columns.
   */
  async fit(table: Table, options: SynthFitOptions = {}): Promise<this> {
    const p = this.resolved;
    const rng = new Random(p.seed);
    const transformer = DataTransformer.fit(table, { maxModes: p.maxModes, seed: rng.childSeed() });
    const x = transformer.transform(table, new Random(rng.childSeed()));
    const n = table.nRows;
    const width = transformer.width;
    const sampler = new ConditionSampler(transformer, x, n);
    const condWidth = sampler.condWidth;
    const latent = p.embeddingDim;
    const encoder = DenseNet.initial(mlpSpec(width + condWidth, p.compressDims, 2 * latent, 'relu'), rng);
    const decoder = DenseNet.initial(mlpSpec(latent + condWidth, p.decompressDims, width, 'relu'), rng);
    const sigmas = new Float32Array(transformer.numericCount).fill(0.1);
    const sigmaGrad = new Float32Array(sigmas.length);
    const params = [...encoder.values, ...decoder.values, sigmas];
    const grads = [...encoder.grads, ...decoder.grads, sigmaGrad];
    const adam = new Adam(
      { learningRate: p.learningRate, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
      params.map((v) => v.length),
    );
    const batchSize = Math.min(p.batchSize, n);
    const steps = Math.max(1, Math.floor(n / batchSize));
    const scalarColumns = scalarIndices(transformer);
    const softmaxSpans = transformer.spans.filter((s) => s.activation === 'softmax');
    this.history = [];
    const encIn = new Float32Array(batchSize * (width + condWidth));
    const decIn = new Float32Array(batchSize * (latent + condWidth));
    const eps = new Float32Array(batchSize * latent);
    const dOut = new Float32Array(batchSize * width);
    const dEnc = new Float32Array(batchSize * 2 * latent);
    try {
      for (let epoch = 0; epoch < p.epochs; epoch++) {
        let recSum = 0;
        let klSum = 0;
        for (let step = 0; step < steps; step++) {
          const batch = sampler.trainingBatch(batchSize, rng);
          const rows = batch.rows as Int32Array;
          for (let i = 0; i < batchSize; i++) {
            const r = rows[i] as number;
            encIn.set(x.subarray(r * width, (r + 1) * width), i * (width + condWidth));
            encIn.set(batch.cond.subarray(i * condWidth, (i + 1) * condWidth), i * (width + condWidth) + width);
          }
          encoder.resetGradients();
          decoder.resetGradients();
          const enc = encoder.forward(encIn, batchSize);
          // z = μ + ε·exp(logvar / 2), the reparameterisation.
          let kl = 0;
          fillNormal(eps, rng);
          for (let i = 0; i < batchSize; i++) {
            for (let j = 0; j < latent; j++) {
              const mu = enc[i * 2 * latent + j] as number;
              const logvar = enc[i * 2 * latent + latent + j] as number;
              const e = eps[i * latent + j] as number;
              decIn[i * (latent + condWidth) + j] = mu + e * Math.exp(0.5 * logvar);
              kl += -0.5 * (1 + logvar - mu * mu - Math.exp(logvar));
            }
            decIn.set(batch.cond.subarray(i * condWidth, (i + 1) * condWidth), i * (latent + condWidth) + latent);
          }
          const out = decoder.forward(decIn, batchSize);
          sigmaGrad.fill(0);
          const rec = reconstructionLoss(
            out,
            x,
            rows,
            batchSize,
            width,
            scalarColumns,
            softmaxSpans,
            sigmas,
            p.lossFactor,
            dOut,
            sigmaGrad,
          );
          const dDec = decoder.backward(dOut, true) as Float32Array;
          for (let i = 0; i < batchSize; i++) {
            for (let j = 0; j < latent; j++) {
              const mu = enc[i * 2 * latent + j] as number;
              const logvar = enc[i * 2 * latent + latent + j] as number;
              const dz = dDec[i * (latent + condWidth) + j] as number;
              const sd = Math.exp(0.5 * logvar);
              dEnc[i * 2 * latent + j] = dz + mu / batchSize;
              dEnc[i * 2 * latent + latent + j] =
                dz * (eps[i * latent + j] as number) * 0.5 * sd + (0.5 * (sd * sd - 1)) / batchSize;
            }
          }
          encoder.backward(dEnc, false);
          if (p.l2 > 0) {
            for (const [k, v] of params.entries()) {
              if (v === sigmas) continue;
              const g = grads[k] as Float32Array;
              for (let j = 0; j < v.length; j++) g[j] = (g[j] as number) + p.l2 * (v[j] as number);
            }
          }
          adam.update(params, grads);
          for (let j = 0; j < sigmas.length; j++)
            sigmas[j] = Math.min(SIGMA_MAX, Math.max(SIGMA_MIN, sigmas[j] as number));
          encoder.invalidate();
          decoder.invalidate();
          recSum += rec;
          klSum += kl / batchSize;
        }
        const logs: SynthEpochLogs = { epoch, reconstructionLoss: recSum / steps, klLoss: klSum / steps };
        if (!Number.isFinite(logs.reconstructionLoss as number) || !Number.isFinite(logs.klLoss as number)) {
          throw new ConfigError(
            'training_diverged',
            `tvae training diverged at epoch ${epoch} (loss ${logs.reconstructionLoss}); lower learningRate`,
          );
        }
        this.history.push(logs);
        options.onEpochEnd?.(logs);
      }
    } catch (error) {
      encoder.dispose();
      decoder.dispose();
      throw error;
    }
    this.release();
    this.fitted = { transformer, sampler, encoder, decoder, sigmas };
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
    const rng = new Random(options.seed ?? this.resolved.seed + 1);
    const x = generateRows({
      nRows,
      conditions: options.conditions,
      rng,
      latent: this.resolved.embeddingDim,
      transformer: f.transformer,
      sampler: f.sampler,
      forward: (input, rows) => f.decoder.forward(input, rows),
    });
    return f.transformer.inverse(x, nRows, rng, f.sigmas);
  }

  toJSON(): SynthesizerState {
    const f = this.require();
    return {
      kind: 'tvae',
      params: { ...this.params },
      schema: f.transformer.schema,
      extra: {
        transformer: f.transformer.state,
        encoder: f.encoder.spec,
        decoder: f.decoder.spec,
        history: this.history,
      },
    };
  }

  getWeights(): NamedWeight[] {
    const f = this.require();
    return [
      ...f.encoder.weights('encoder'),
      ...f.decoder.weights('decoder'),
      { name: 'sigmas', shape: [f.sigmas.length], values: Float32Array.from(f.sigmas) },
    ];
  }

  /**
   * Rebuilds a fitted synthesizer from {@link toJSON} and {@link getWeights}; it samples exactly
   * what the original does for the same rows, conditions and seed.
   *
   * @throws BundleError `bad_synthesizer_state` when the state is not a tvae's.
   */
  static async fromState(state: SynthesizerState, weights: NamedWeight[]): Promise<TvaeSynthesizer> {
    if (state.kind !== 'tvae')
      throw new BundleError('bad_synthesizer_state', `expected a tvae state, got ${state.kind}`);
    const extra = state.extra as {
      transformer: DataTransformerState;
      encoder: ReturnType<typeof mlpSpec>;
      decoder: ReturnType<typeof mlpSpec>;
      history?: SynthEpochLogs[];
    };
    const synth = new TvaeSynthesizer(state.params as TvaeParams);
    const transformer = DataTransformer.fromState(extra.transformer);
    checkSchema(transformer.schema, state.schema);
    const sigmas = weights.find((w) => w.name === 'sigmas');
    if (!sigmas || sigmas.values.length !== transformer.numericCount)
      throw new BundleError('bad_synthesizer_state', 'the tvae weights have no sigmas of the right size');
    synth.fitted = {
      transformer,
      // Sampling only needs the condition layout and frequencies, which the transformer state holds.
      sampler: ConditionSampler.fromTransformer(transformer),
      encoder: DenseNet.fromNamed(extra.encoder, weights, 'encoder'),
      decoder: DenseNet.fromNamed(extra.decoder, weights, 'decoder'),
      sigmas: Float32Array.from(sigmas.values),
    };
    synth.history = extra.history ?? [];
    return synth;
  }

  /** Frees the networks' kernel memory; the synthesizer is unfitted afterwards. */
  release(): void {
    this.fitted?.encoder.dispose();
    this.fitted?.decoder.dispose();
    this.fitted = undefined;
  }
}

/** Positions of every numeric column's scalar in the row (in column order). */
function scalarIndices(transformer: DataTransformer): number[] {
  return transformer.spans.filter((s) => s.activation === 'tanh').map((s) => s.start);
}

/**
 * The TVAE reconstruction loss of a batch (summed over columns, averaged over rows, times
 * `lossFactor`) and its gradient: into `dOut` for the decoder outputs and, summed, into
 * `sigmaGrad` for the learned sds. Scalars: (x − tanh(o))² / 2σ² + log σ; one-hots:
 * softmax cross-entropy.
 */
function reconstructionLoss(
  out: Float32Array,
  x: Float32Array,
  rows: Int32Array,
  batch: number,
  width: number,
  scalars: number[],
  softmaxSpans: { start: number; width: number }[],
  sigmas: Float32Array,
  lossFactor: number,
  dOut: Float32Array,
  sigmaGrad: Float32Array,
): number {
  const scale = lossFactor / batch;
  let loss = 0;
  for (let i = 0; i < batch; i++) {
    const o = i * width;
    const t = (rows[i] as number) * width;
    for (const [c, at] of scalars.entries()) {
      const sd = sigmas[c] as number;
      const y = Math.tanh(out[o + at] as number);
      const diff = (x[t + at] as number) - y;
      loss += (diff * diff) / (2 * sd * sd) + Math.log(sd);
      dOut[o + at] = scale * (-diff / (sd * sd)) * (1 - y * y);
      sigmaGrad[c] = (sigmaGrad[c] as number) + scale * (-(diff * diff) / (sd * sd * sd) + 1 / sd);
    }
    for (const s of softmaxSpans) {
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < s.width; j++) top = Math.max(top, out[o + s.start + j] as number);
      let sum = 0;
      for (let j = 0; j < s.width; j++) sum += Math.exp((out[o + s.start + j] as number) - top);
      const logSum = top + Math.log(sum);
      for (let j = 0; j < s.width; j++) {
        const logit = out[o + s.start + j] as number;
        const target = x[t + s.start + j] as number;
        if (target > 0) loss -= target * (logit - logSum);
        dOut[o + s.start + j] = scale * (Math.exp(logit - logSum) - target);
      }
    }
  }
  return loss * scale;
}
