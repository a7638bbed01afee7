import { ConfigError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import { type CtganParams, CtganSynthesizer } from './ctgan.js';
import { GaussianCopulaSynthesizer } from './gaussian-copula.js';
import { SYNTHESIZER_KINDS, type Synthesizer, type SynthesizerKind, type SynthesizerState } from './synthesizer.js';
import { type TvaeParams, TvaeSynthesizer } from './tvae.js';

/** What every synthesizer's constructor takes: its own hyper-parameters, of which these are common. */
export interface SynthesizerParams {
  seed?: number;
  /** Training epochs of the deep synthesizers; the copula has none and ignores it. */
  epochs?: number;
  [param: string]: unknown;
}

interface RegistryEntry {
  create: (params: SynthesizerParams) => Synthesizer;
  restore: (state: SynthesizerState, weights: NamedWeight[]) => Promise<Synthesizer>;
}

/**
 * The synthesizers this build has, by kind: the one place a new synthesizer is wired in (the
 * CLI's `--model` and `--augment` choices are read from it). Without a seed the deep models take 1,
 * so a run is reproducible by default.
 */
const REGISTRY: Partial<Record<SynthesizerKind, RegistryEntry>> = {
  ctgan: {
    create: (params) => new CtganSynthesizer({ ...params, seed: params.seed ?? 1 } as CtganParams),
    restore: (state, weights) => CtganSynthesizer.fromState(state, weights),
  },
  tvae: {
    create: (params) => new TvaeSynthesizer({ ...params, seed: params.seed ?? 1 } as TvaeParams),
    restore: (state, weights) => TvaeSynthesizer.fromState(state, weights),
  },
  'gaussian-copula': {
    create: ({ epochs: _epochs, ...params }) => new GaussianCopulaSynthesizer(params),
    restore: (state, weights) => GaussianCopulaSynthesizer.fromState(state, weights),
  },
};

/** The synthesizer kinds available in this build, in the order of `SYNTHESIZER_KINDS`. */
export function availableSynthesizerKinds(): SynthesizerKind[] {
  return SYNTHESIZER_KINDS.filter((k) => REGISTRY[k] !== undefined);
}

function entry(kind: string): RegistryEntry {
  const found = REGISTRY[kind as SynthesizerKind];
  if (found === undefined)
    throw new ConfigError(
      'unknown_synthesizer',
      `synthesizer ${JSON.stringify(kind)} is not available in this build (available: ${availableSynthesizerKinds().join(', ')})`,
    );
  return found;
}

/**
 * A new, unfitted synthesizer of the given kind.
 *
 * @example
 * const synth = await createSynthesizer('gaussian-copula', { seed: 1 }).fit(table);
 * @throws ConfigError `unknown_synthesizer`
 */
export function createSynthesizer(kind: string, params: SynthesizerParams = {}): Synthesizer {
  return entry(kind).create(params);
}

/** Rebuilds a fitted synthesizer from a bundle's state and weights. */
export function restoreSynthesizer(state: SynthesizerState, weights: NamedWeight[]): Promise<Synthesizer> {
  return entry(state.kind).restore(state, weights);
}
