import { DataError } from '../errors.js';
import type { Matrix } from '../matrix.js';

/**
 * Per-feature standardisation kept in an estimator's state: `(v − mean) / std`, computed in
 * float64 and rounded once to float32, so a model rebuilt from its state scales bit-identically.
 */
export interface FeatureScaling {
  mean: number[];
  std: number[];
}

/**
 * How rows are laid out: `steps` blocks of `features` values each (step-major; `steps` 1 for a
 * tabular row), and whether an all-zero step is padding (left at exactly zero, left out of the
 * statistics) rather than data.
 */
export interface StepLayout {
  steps: number;
  features: number;
  padding: boolean;
}

/** Whether the `features` values from `offset` are all exactly zero (a padding step). */
export function isPaddingStep(data: Float32Array, offset: number, features: number): boolean {
  for (let j = 0; j < features; j++) if (data[offset + j] !== 0) return false;
  return true;
}

/**
 * Means and standard deviations per feature over every (non-padding) step of every row, in
 * float64. A constant feature gets std 1, so it scales to 0 instead of dividing by zero; with no
 * real step at all every feature gets mean 0, std 1.
 */
export function fitFeatureScaling(x: Matrix, layout: StepLayout): FeatureScaling {
  const { steps, features: f } = layout;
  const sum = new Float64Array(f);
  let count = 0;
  for (let r = 0; r < x.nRows; r++) {
    for (let t = 0; t < steps; t++) {
      const o = (r * steps + t) * f;
      if (layout.padding && isPaddingStep(x.data, o, f)) continue;
      count++;
      for (let j = 0; j < f; j++) sum[j] = (sum[j] as number) + (x.data[o + j] as number);
    }
  }
  const mean = Array.from(sum, (s) => (count > 0 ? s / count : 0));
  const ss = new Float64Array(f);
  for (let r = 0; r < x.nRows; r++) {
    for (let t = 0; t < steps; t++) {
      const o = (r * steps + t) * f;
      if (layout.padding && isPaddingStep(x.data, o, f)) continue;
      for (let j = 0; j < f; j++) {
        const d = (x.data[o + j] as number) - (mean[j] as number);
        ss[j] = (ss[j] as number) + d * d;
      }
    }
  }
  const std = Array.from(ss, (s) => {
    const sd = count > 0 ? Math.sqrt(s / count) : 0;
    return sd > 1e-12 ? sd : 1;
  });
  return { mean, std };
}

/**
 * The rows of `x` standardised with `scaling`, step by step. Padding steps stay exactly zero;
 * with `indicator`, every step gets one more value, 1 for a real step and 0 for padding, so the
 * network can tell a padded step from a real one whose features all sit at the mean (after
 * centring, both are zeros). Returns `nRows × steps × (features + indicator)` values.
 */
export function scaleSteps(x: Matrix, layout: StepLayout, scaling: FeatureScaling, indicator: boolean): Float32Array {
  const { steps, features: f } = layout;
  const width = f + (indicator ? 1 : 0);
  const out = new Float32Array(x.nRows * steps * width);
  const { mean, std } = scaling;
  for (let r = 0; r < x.nRows; r++) {
    for (let t = 0; t < steps; t++) {
      const from = (r * steps + t) * f;
      if (layout.padding && isPaddingStep(x.data, from, f)) continue;
      const to = (r * steps + t) * width;
      for (let j = 0; j < f; j++)
        out[to + j] = ((x.data[from + j] as number) - (mean[j] as number)) / (std[j] as number);
      if (indicator) out[to + f] = 1;
    }
  }
  return out;
}

/** Reads a {@link FeatureScaling} back from model state, checking it has `features` finite values. */
export function scalingFromState(value: unknown, features: number, model: string): FeatureScaling {
  const s = value as Partial<FeatureScaling> | undefined;
  const ok = (v: unknown, positive: boolean): v is number[] =>
    Array.isArray(v) &&
    v.length === features &&
    v.every((n) => typeof n === 'number' && Number.isFinite(n) && (!positive || n > 0));
  if (!ok(s?.mean, false) || !ok(s?.std, true)) {
    throw new DataError('bad_state', `${model} state has no valid feature scaling for ${features} features`);
  }
  return { mean: [...s.mean], std: [...s.std] };
}
