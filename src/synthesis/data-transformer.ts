import type { Column, ColumnKind, Schema, Table } from '../data/table.js';
import { BundleError, ConfigError, DataError } from '../errors.js';
import { Random } from '../random.js';

/** How a slice of a transformed row is activated by a network's output layer. */
export type SpanActivation = 'tanh' | 'softmax';

/** A contiguous slice of the transformed row. */
export interface Span {
  start: number;
  width: number;
  activation: SpanActivation;
}

/** A numeric (or datetime) column: a Gaussian mixture in the column's own units. */
export interface NumericColumnInfo {
  type: 'numeric';
  name: string;
  kind: 'numeric' | 'datetime';
  means: number[];
  sds: number[];
  weights: number[];
  /** The mode one-hot has one more slot, for missing values, when the column had any. */
  hasMissing: boolean;
  /** Every observed value was an integer: generated values are rounded. */
  integer: boolean;
  min: number;
  max: number;
}

/**
 * A categorical or boolean column, or a numeric one with few integer values (a 0/1 target, a
 * repayment status from -2 to 8): one-hot over its levels, plus a missing slot when it had
 * missing values. Treating such numbers as levels lets training-by-sampling learn every value
 * and lets a condition such as `target=1` hold on a target read as a number.
 */
export interface DiscreteColumnInfo {
  type: 'discrete';
  name: string;
  kind: 'categorical' | 'boolean' | 'numeric';
  /** Level texts in slot order (the categorical dictionary, `false`, `true`, or the numbers ascending). */
  levels: string[];
  hasMissing: boolean;
  /** Rows per slot in the fitted data (the missing slot last). */
  counts: number[];
}

export type ColumnInfo = NumericColumnInfo | DiscreteColumnInfo;

/** Everything a fitted {@link DataTransformer} needs; plain JSON for the synthesizer state. */
export interface DataTransformerState {
  columns: ColumnInfo[];
  maxModes: number;
}

/** Options of {@link DataTransformer.fit}. */
export interface DataTransformerOptions {
  /** Upper bound on mixture modes per numeric column (default 10). */
  maxModes?: number;
  /** Modes lighter than this are pruned (default 0.005). */
  minModeWeight?: number;
  /** Values used to fit each mixture (a seeded subsample above this; default 2,000). */
  mixtureSampleSize?: number;
  /**
   * Numeric columns whose values are all integers, with at most this many distinct ones, are
   * encoded as levels rather than a mixture (default 32, as the gaussian copula does; 0 never).
   */
  maxDiscreteValues?: number;
  seed?: number;
}

/** A value's mixture scalar is (value − mode mean) / (SCALE_SDS · mode sd), clipped to ±CLIP. */
const SCALE_SDS = 4;
const CLIP = 0.99;

/**
 * The CTGAN representation of a mixed table (Xu et al., 2019): each numeric column becomes a
 * scalar in [-1, 1] and the one-hot of its mixture mode ("mode-specific normalisation", which
 * turns multi-modal and heavy-tailed amounts into something a tanh output can produce), each
 * discrete column a one-hot. Missing values have their own slot in every column that had any, so
 * generated tables keep them as missing, in the same share.
 *
 * @example
 * const t = DataTransformer.fit(table, { seed: 1 });
 * const x = t.transform(table, new Random(1)); // Float32Array, table.nRows × t.width
 * const back = t.inverse(x, table.nRows, new Random(2)); // a Table with the fitted schema
 */
export class DataTransformer {
  /** Transformed width of a row. */
  readonly width: number;
  /** Output spans in row order (tanh scalars and softmax one-hots). */
  readonly spans: Span[];
  /** Per column: where its slices start (scalar and one-hot for numeric, one-hot for discrete). */
  readonly layout: { scalar?: number; onehot: number; onehotWidth: number }[];

  private constructor(readonly state: DataTransformerState) {
    const spans: Span[] = [];
    const layout: { scalar?: number; onehot: number; onehotWidth: number }[] = [];
    let at = 0;
    for (const col of state.columns) {
      if (col.type === 'numeric') {
        const width = col.means.length + (col.hasMissing ? 1 : 0);
        spans.push({ start: at, width: 1, activation: 'tanh' });
        spans.push({ start: at + 1, width, activation: 'softmax' });
        layout.push({ scalar: at, onehot: at + 1, onehotWidth: width });
        at += 1 + width;
      } else {
        const width = col.levels.length + (col.hasMissing ? 1 : 0);
        spans.push({ start: at, width, activation: 'softmax' });
        layout.push({ onehot: at, onehotWidth: width });
        at += width;
      }
    }
    this.width = at;
    this.spans = spans;
    this.layout = layout;
  }

  /** The schema of the fitted table (and of every generated one). */
  get schema(): Schema {
    return { columns: this.state.columns.map((c) => ({ name: c.name, kind: c.kind as ColumnKind })) };
  }

  /**
   * Fits the representation on every row of `table`.
   *
   * @throws ConfigError `unsupported_column_kind` naming every identifier column (drop them first).
   * @throws DataError `empty_table` for a table without rows.
   */
  static fit(table: Table, options: DataTransformerOptions = {}): DataTransformer {
    const refused = table.columns.filter((c) => c.kind === 'identifier').map((c) => c.name);
    if (refused.length > 0) {
      throw new ConfigError(
        'unsupported_column_kind',
        `identifier column(s) ${refused.map((n) => JSON.stringify(n)).join(', ')} cannot be synthesized: drop them before fitting`,
        { issues: refused.map((n) => ({ code: 'unsupported_column_kind', path: [n], message: 'identifier column' })) },
      );
    }
    if (table.nRows === 0) throw new DataError('empty_table', 'cannot fit a synthesizer on a table without rows');
    const maxModes = options.maxModes ?? 10;
    const rng = new Random(options.seed ?? 0);
    const maxDiscrete = options.maxDiscreteValues ?? 32;
    const columns = table.columns.map((col): ColumnInfo => {
      if (col.kind === 'numeric') {
        const levels = fewIntegerLevels(col.values, maxDiscrete);
        if (levels !== undefined) return fitIntegerLevels(col.name, col.values, levels);
      }
      if (col.kind === 'numeric' || col.kind === 'datetime') {
        return fitNumericColumn(col.name, col.kind, col.values, {
          maxModes,
          minModeWeight: options.minModeWeight ?? 0.005,
          sampleSize: options.mixtureSampleSize ?? 2000,
          rng,
        });
      }
      return fitDiscreteColumn(col);
    });
    return new DataTransformer({ columns, maxModes });
  }

  /** Rebuilds a fitted transformer from its {@link state}. */
  static fromState(state: DataTransformerState): DataTransformer {
    return new DataTransformer(state);
  }

  /**
   * Encodes `table` (same columns as the fitted one, by name) into a row-major Float32 matrix.
   * Each numeric value's mode is drawn from its posterior over the modes (as CTGAN does), which
   * keeps the scalars of overlapping modes inside [-1, 1] without a hard boundary between modes.
   *
   * @throws DataError `missing_column` / `column_kind_mismatch` when `table` does not match.
   */
  transform(table: Table, rng: Random): Float32Array {
    const n = table.nRows;
    const out = new Float32Array(n * this.width);
    const w = this.width;
    for (const [c, info] of this.state.columns.entries()) {
      const col = matchColumn(table, info);
      const place = this.layout[c] as { scalar?: number; onehot: number; onehotWidth: number };
      if (info.type === 'numeric') {
        const values = (col as { values: Float64Array }).values;
        const k = info.means.length;
        const post = new Float64Array(k);
        for (let r = 0; r < n; r++) {
          const v = values[r] as number;
          if (Number.isNaN(v)) {
            out[r * w + place.onehot + k] = 1;
            continue;
          }
          const mode = sampleMode(info, v, post, rng);
          out[r * w + (place.scalar as number)] = scalarOf(info, mode, v);
          out[r * w + place.onehot + mode] = 1;
        }
      } else {
        for (let r = 0; r < n; r++) out[r * w + place.onehot + discreteSlot(info, col, r)] = 1;
      }
    }
    return out;
  }

  /**
   * Decodes `nRows` generated rows (scalars in [-1, 1], one-hot spans as probabilities or
   * logits: the largest slot wins) into a table with the fitted schema. Values are clipped to
   * the fitted range and integer columns rounded. `scalarSds` (one per numeric column, in
   * column order) adds Gaussian noise to the scalars first, as a VAE's learned output sd asks.
   */
  inverse(x: Float32Array, nRows: number, rng?: Random, scalarSds?: Float32Array): Table {
    const w = this.width;
    if (x.length < nRows * w)
      throw new DataError('bad_shape', `expected ${nRows} rows × ${w} values, got ${x.length} values`);
    let numericIndex = 0;
    const columns = this.state.columns.map((info, c): Column => {
      const place = this.layout[c] as { scalar?: number; onehot: number; onehotWidth: number };
      if (info.type === 'numeric') {
        const sd = scalarSds?.[numericIndex++];
        const values = new Float64Array(nRows);
        const k = info.means.length;
        for (let r = 0; r < nRows; r++) {
          const slot = argmax(x, r * w + place.onehot, place.onehotWidth);
          if (slot === k) {
            values[r] = Number.NaN;
            continue;
          }
          let s = x[r * w + (place.scalar as number)] as number;
          if (sd !== undefined && rng) s += rng.normal(0, sd);
          s = Math.max(-1, Math.min(1, s));
          let v = s * SCALE_SDS * (info.sds[slot] as number) + (info.means[slot] as number);
          if (info.integer) v = Math.round(v);
          values[r] = Math.max(info.min, Math.min(info.max, v));
        }
        return { name: info.name, kind: info.kind, values };
      }
      const levels = info.levels.length;
      if (info.kind === 'numeric') {
        const numbers = info.levels.map(Number);
        const values = new Float64Array(nRows);
        for (let r = 0; r < nRows; r++) {
          const slot = argmax(x, r * w + place.onehot, place.onehotWidth);
          values[r] = slot === levels ? Number.NaN : (numbers[slot] as number);
        }
        return { name: info.name, kind: 'numeric', values };
      }
      if (info.kind === 'boolean') {
        const values = new Float64Array(nRows);
        for (let r = 0; r < nRows; r++) {
          const slot = argmax(x, r * w + place.onehot, place.onehotWidth);
          values[r] = slot === levels ? Number.NaN : slot;
        }
        return { name: info.name, kind: 'boolean', values };
      }
      const codes = new Int32Array(nRows);
      for (let r = 0; r < nRows; r++) {
        const slot = argmax(x, r * w + place.onehot, place.onehotWidth);
        codes[r] = slot === levels ? -1 : slot;
      }
      return { name: info.name, kind: 'categorical', codes, dictionary: [...info.levels] };
    });
    return { nRows, columns };
  }

  /** Number of numeric columns (one learned output sd each in a VAE). */
  get numericCount(): number {
    return this.state.columns.filter((c) => c.type === 'numeric').length;
  }
}

/** The table column matching a fitted column, checked by name and kind. */
function matchColumn(table: Table, info: ColumnInfo): Column {
  const col = table.columns.find((c) => c.name === info.name);
  if (!col) throw new DataError('missing_column', `column ${JSON.stringify(info.name)} is not in the table`);
  if (col.kind !== info.kind)
    throw new DataError(
      'column_kind_mismatch',
      `column ${JSON.stringify(info.name)} is ${col.kind}, the synthesizer was fitted on ${info.kind}`,
    );
  return col;
}

/** The one-hot slot of row r of a discrete column (the missing slot for missing values). */
function discreteSlot(info: DiscreteColumnInfo, col: Column, r: number): number {
  const missing = info.levels.length;
  if (info.kind === 'numeric') {
    const v = (col as { values: Float64Array }).values[r] as number;
    if (Number.isNaN(v)) return missing;
    const at = info.levels.indexOf(String(v));
    if (at < 0)
      throw new DataError(
        'unknown_category',
        `column ${JSON.stringify(info.name)} has value ${v}, unseen when fitting (it was fitted as ${info.levels.length} integer levels)`,
      );
    return at;
  }
  if (col.kind === 'boolean') {
    const v = col.values[r] as number;
    return Number.isNaN(v) ? missing : v === 1 ? 1 : 0;
  }
  if (col.kind !== 'categorical') return missing;
  const code = col.codes[r] as number;
  if (code < 0) return missing;
  // The table's dictionary may differ from the fitted one (another file): map by text.
  if (col.dictionary === undefined || col.dictionary[code] === info.levels[code]) return code;
  const at = info.levels.indexOf(col.dictionary[code] as string);
  if (at < 0)
    throw new DataError(
      'unknown_category',
      `column ${JSON.stringify(info.name)} has value ${JSON.stringify(col.dictionary[code])}, unseen when fitting`,
    );
  return at;
}

/** The distinct values, ascending, of a column of at most `max` distinct integers; else undefined. */
function fewIntegerLevels(values: Float64Array, max: number): number[] | undefined {
  if (max <= 0) return undefined;
  const seen = new Set<number>();
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    if (!Number.isInteger(v)) return undefined;
    seen.add(v);
    if (seen.size > max) return undefined;
  }
  // A column of one value (or none) keeps the mixture path's handling of constants.
  return seen.size < 2 ? undefined : [...seen].sort((a, b) => a - b);
}

function fitIntegerLevels(name: string, values: Float64Array, levels: number[]): DiscreteColumnInfo {
  const slotOf = new Map(levels.map((v, i) => [v, i]));
  const counts = new Array<number>(levels.length + 1).fill(0);
  for (const v of values) {
    const slot = Number.isNaN(v) ? levels.length : (slotOf.get(v) as number);
    counts[slot] = (counts[slot] as number) + 1;
  }
  const hasMissing = (counts[levels.length] as number) > 0;
  return {
    type: 'discrete',
    name,
    kind: 'numeric',
    levels: levels.map(String),
    hasMissing,
    counts: hasMissing ? counts : counts.slice(0, -1),
  };
}

function fitDiscreteColumn(col: Column): DiscreteColumnInfo {
  if (col.kind === 'boolean') {
    const counts = [0, 0, 0];
    for (const v of col.values) {
      const slot = Number.isNaN(v) ? 2 : v === 1 ? 1 : 0;
      counts[slot] = (counts[slot] as number) + 1;
    }
    const hasMissing = (counts[2] as number) > 0;
    return {
      type: 'discrete',
      name: col.name,
      kind: 'boolean',
      levels: ['false', 'true'],
      hasMissing,
      counts: hasMissing ? counts : counts.slice(0, 2),
    };
  }
  const dict = col as Extract<Column, { kind: 'categorical' | 'identifier' }>;
  const counts = new Array<number>(dict.dictionary.length + 1).fill(0);
  for (const code of dict.codes) {
    const slot = code < 0 ? dict.dictionary.length : code;
    counts[slot] = (counts[slot] as number) + 1;
  }
  const hasMissing = (counts[dict.dictionary.length] as number) > 0;
  return {
    type: 'discrete',
    name: col.name,
    kind: 'categorical',
    levels: [...dict.dictionary],
    hasMissing,
    counts: hasMissing ? counts : counts.slice(0, -1),
  };
}

interface MixtureOptions {
  maxModes: number;
  minModeWeight: number;
  sampleSize: number;
  rng: Random;
}

/**
 * A 1-D Gaussian mixture by EM for k = 1 … maxModes on a seeded subsample, the k with the best
 * BIC kept (a stand-in for CTGAN's variational mixture, which also leaves unneeded modes empty),
 * then modes lighter than `minModeWeight` pruned. The fit works on standardised values (bill
 * amounts run into the millions) with an sd floor, so point masses (a spike of zeros, an integer
 * column with few values) get a narrow mode of their own instead of a degenerate one.
 */
function fitNumericColumn(
  name: string,
  kind: 'numeric' | 'datetime',
  values: Float64Array,
  options: MixtureOptions,
): NumericColumnInfo {
  const present: number[] = [];
  let integer = true;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (Number.isNaN(v)) continue;
    present.push(v);
    if (integer && !Number.isInteger(v)) integer = false;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  const hasMissing = present.length < values.length;
  if (present.length === 0) {
    // All missing: one dummy mode that is never chosen (the missing slot always is).
    return { type: 'numeric', name, kind, means: [0], sds: [1], weights: [1], hasMissing, integer, min: 0, max: 0 };
  }
  let mean = 0;
  for (const v of present) mean += v;
  mean /= present.length;
  let variance = 0;
  for (const v of present) variance += (v - mean) ** 2;
  const scale = Math.sqrt(variance / present.length) || 1;
  // Subsample (seeded) for the fit; the transform uses every value.
  let sample = present;
  if (present.length > options.sampleSize) {
    sample = [];
    for (let i = 0; i < options.sampleSize; i++) sample.push(present[options.rng.int(present.length)] as number);
  }
  const z = Float64Array.from(sample, (v) => (v - mean) / scale);
  const distinct = new Set(sample).size;
  // An sd floor in standardised units: about a third of an integer step, never below 1e-4 of the spread.
  const sdFloor = Math.max(1e-4, integer ? 0.3 / scale : 0);
  let best: { means: number[]; sds: number[]; weights: number[] } | undefined;
  let bestBic = Number.POSITIVE_INFINITY;
  let worse = 0;
  for (let k = 1; k <= Math.min(options.maxModes, distinct); k++) {
    const fit = emMixture(z, k, sdFloor);
    const bic = -2 * fit.logLikelihood + (3 * k - 1) * Math.log(z.length);
    if (bic < bestBic) {
      bestBic = bic;
      best = fit;
      worse = 0;
    } else if (++worse >= 2) {
      // Two more modes in a row did not pay for themselves: larger k will not either, in practice.
      break;
    }
  }
  const chosen = best as { means: number[]; sds: number[]; weights: number[] };
  const keep = chosen.weights.map((w, i) => (w >= options.minModeWeight ? i : -1)).filter((i) => i >= 0);
  const total = keep.reduce((s, i) => s + (chosen.weights[i] as number), 0);
  return {
    type: 'numeric',
    name,
    kind,
    means: keep.map((i) => (chosen.means[i] as number) * scale + mean),
    sds: keep.map((i) => (chosen.sds[i] as number) * scale),
    weights: keep.map((i) => (chosen.weights[i] as number) / total),
    hasMissing,
    integer,
    min,
    max,
  };
}

/** EM for a k-mode 1-D mixture, started from quantiles (deterministic). */
function emMixture(
  z: Float64Array,
  k: number,
  sdFloor: number,
): { means: number[]; sds: number[]; weights: number[]; logLikelihood: number } {
  const n = z.length;
  // Start at quantiles of the distinct values, so a point mass (a spike of zeros) seeds one mode, not several.
  const distinct = Float64Array.from(new Set(z)).sort();
  const means = Array.from({ length: k }, (_, j) => distinct[Math.floor(((j + 0.5) / k) * distinct.length)] as number);
  const sds = new Array<number>(k).fill(Math.max(sdFloor, 1 / k));
  const weights = new Array<number>(k).fill(1 / k);
  const resp = new Float64Array(n * k);
  let logLikelihood = Number.NEGATIVE_INFINITY;
  const offset = new Float64Array(k);
  const precision = new Float64Array(k);
  for (let iter = 0; iter < 60; iter++) {
    let ll = 0;
    // log w − log σ and 1/(2σ²) once per mode, not per value: the E-step is then one exp per value and mode.
    for (let j = 0; j < k; j++) {
      offset[j] = Math.log(weights[j] as number) - Math.log(sds[j] as number);
      precision[j] = 0.5 / (sds[j] as number) ** 2;
    }
    for (let i = 0; i < n; i++) {
      const x = z[i] as number;
      let top = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < k; j++) {
        const d = x - (means[j] as number);
        const lp = (offset[j] as number) - (precision[j] as number) * d * d;
        resp[i * k + j] = lp;
        if (lp > top) top = lp;
      }
      let sum = 0;
      for (let j = 0; j < k; j++) {
        const e = Math.exp((resp[i * k + j] as number) - top);
        resp[i * k + j] = e;
        sum += e;
      }
      for (let j = 0; j < k; j++) resp[i * k + j] = (resp[i * k + j] as number) / sum;
      ll += top + Math.log(sum) - 0.5 * Math.log(2 * Math.PI);
    }
    for (let j = 0; j < k; j++) {
      let nj = 0;
      let sx = 0;
      for (let i = 0; i < n; i++) {
        const r = resp[i * k + j] as number;
        nj += r;
        sx += r * (z[i] as number);
      }
      if (nj < 1e-9) {
        weights[j] = 1e-12;
        continue;
      }
      const m = sx / nj;
      let sv = 0;
      for (let i = 0; i < n; i++) sv += (resp[i * k + j] as number) * ((z[i] as number) - m) ** 2;
      means[j] = m;
      sds[j] = Math.max(sdFloor, Math.sqrt(sv / nj));
      weights[j] = Math.max(1e-12, nj / n);
    }
    if (ll - logLikelihood < 1e-5 * n) {
      logLikelihood = ll;
      break;
    }
    logLikelihood = ll;
  }
  return { means, sds, weights, logLikelihood };
}

/** Draws value v's mode from its posterior over the modes (into `post`, a scratch buffer). */
function sampleMode(info: NumericColumnInfo, v: number, post: Float64Array, rng: Random): number {
  const k = info.means.length;
  let top = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < k; j++) {
    const s = info.sds[j] as number;
    const lp = Math.log(info.weights[j] as number) - Math.log(s) - 0.5 * ((v - (info.means[j] as number)) / s) ** 2;
    post[j] = lp;
    if (lp > top) top = lp;
  }
  let sum = 0;
  for (let j = 0; j < k; j++) {
    post[j] = Math.exp((post[j] as number) - top);
    sum += post[j] as number;
  }
  let u = rng.next() * sum;
  for (let j = 0; j < k; j++) {
    u -= post[j] as number;
    if (u < 0) return j;
  }
  return k - 1;
}

function scalarOf(info: NumericColumnInfo, mode: number, v: number): number {
  const s = (v - (info.means[mode] as number)) / (SCALE_SDS * (info.sds[mode] as number));
  return Math.max(-CLIP, Math.min(CLIP, s));
}

/** Index of the largest of `width` values from `at`. */
export function argmax(x: Float32Array, at: number, width: number): number {
  let best = 0;
  let top = x[at] as number;
  for (let j = 1; j < width; j++) {
    const v = x[at + j] as number;
    if (v > top) {
      top = v;
      best = j;
    }
  }
  return best;
}

/** The state's schema must be the transformer's (a hand-edited or mixed-up state is refused). */
export function checkSchema(fromTransformer: Schema, recorded: Schema): void {
  const a = fromTransformer.columns.map((c) => `${c.name}:${c.kind}`).join(',');
  const b = recorded.columns.map((c) => `${c.name}:${c.kind}`).join(',');
  if (a !== b)
    throw new BundleError('bad_synthesizer_state', 'the synthesizer state schema does not match its fitted columns');
}
