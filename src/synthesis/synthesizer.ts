import type { Schema, Table } from '../data/table.js';
import type { NamedWeight } from '../models/estimator.js';

/**
 * The synthesizers Vigil offers for mixed tabular data (numeric, categorical, boolean; missing
 * values kept as missing). `gaussian-copula` is the baseline that shows what the deep ones buy.
 */
export const SYNTHESIZER_KINDS = ['ctgan', 'tvae', 'gaussian-copula'] as const;
export type SynthesizerKind = (typeof SYNTHESIZER_KINDS)[number];

/** Per-epoch record of a synthesizer's training (Keras-style; the losses depend on the kind). */
export interface SynthEpochLogs {
  epoch: number;
  [loss: string]: number;
}

export interface SynthFitOptions {
  /** Called after each epoch (progress bars, logging). */
  onEpochEnd?: (logs: SynthEpochLogs) => void;
}

/**
 * What every sampled row must carry: discrete column (categorical or boolean) → value as text
 * (`'1'`, `'bad'`, `'true'`). Sampling meets it exactly, by construction, never by rejection.
 */
export type SampleConditions = Record<string, string>;

export interface SampleOptions {
  conditions?: SampleConditions;
  /** Seed of this draw; the same fitted synthesizer, rows, conditions and seed give the same table. */
  seed?: number;
}

/**
 * The estimator shape of Vigil's models applied to data synthesis. Hyper-parameters are one plain
 * object (with `seed`), kept as given; learned state exists only after `fit` (else
 * `NotFittedError`). `sample` returns a table with the fitted table's schema (same column names,
 * kinds and, for categorical columns, the fitted dictionary).
 */
export interface Synthesizer<P = unknown> {
  readonly kind: SynthesizerKind;
  readonly params: P;
  fit(table: Table, options?: SynthFitOptions): Promise<this>;
  sample(nRows: number, options?: SampleOptions): Promise<Table>;
  /** Training history (one entry per epoch), empty for closed-form synthesizers. */
  readonly history: SynthEpochLogs[];
  /** Serialisable state: params, schema, fitted transforms; tensors go to `getWeights`. */
  toJSON(): SynthesizerState;
  getWeights(): NamedWeight[];
}

/** What a synthesizer bundle's manifest records of the synthesizer (weights are stored beside it). */
export interface SynthesizerState {
  kind: SynthesizerKind;
  params: unknown;
  /** The columns the synthesizer was fitted on and generates, in order. */
  schema: Schema;
  /** Anything else needed to rebuild: fitted transforms, dictionaries, network specs. */
  extra: Record<string, unknown>;
}
