import { parseBooleanCell } from '../data/cell-parsers.js';
import { type Column, isDictionaryColumn, type Schema, schemaOf, type Table } from '../data/table.js';
import { ConfigError, DataError, NotFittedError } from '../errors.js';
import type { NamedWeight } from '../models/estimator.js';
import { Random } from '../random.js';
import { cholesky, normalCdf, normalQuantile } from './normal-distribution.js';
import type { SampleConditions, SampleOptions, SynthEpochLogs, Synthesizer, SynthesizerState } from './synthesizer.js';

/** Hyper-parameters of {@link GaussianCopulaSynthesizer}. */
export interface GaussianCopulaParams {
  /** Seed of the jitter inside category intervals and the default seed of `sample`. */
  seed?: number;
  /** Most knots of a continuous column's quantile table (default 1,000). */
  maxKnots?: number;
  /**
   * Integer-valued numeric columns with at most this many distinct values (e.g. a 0/1 target, a
   * delinquency status from -2 to 8) are modelled by their value frequencies, like categories, and
   * can be conditioned on (default 32).
   */
  maxDiscreteValues?: number;
  /** Rows the correlation is estimated on at most (a seeded subsample above it; default 200,000). */
  maxCorrelationRows?: number;
}

/**
 * A column modelled by the frequencies of its values, each value owning the interval
 * `[cumulative[k-1], cumulative[k])` of [0, 1]. `levels` hold dictionary codes (categorical),
 * 0/1 (boolean) or values (discrete numeric), `null` for missing, which is a level like any other.
 */
export interface DiscreteMarginal {
  type: 'discrete';
  column: string;
  kind: 'categorical' | 'boolean' | 'numeric';
  levels: (number | null)[];
  cumulative: number[];
  /** The latent dimension. */
  dim: number;
}

/**
 * A numeric column modelled by its empirical quantile function (`knots[i]` at probability
 * `i / (knots.length - 1)`, linear in between) on the rows where it is present; missingness is a
 * latent dimension of its own, so the missing share and what it goes with survive.
 */
export interface ContinuousMarginal {
  type: 'continuous';
  column: string;
  knots: number[];
  integer: boolean;
  /** Decimals seen in the data (at most 6); samples are rounded to them. Undefined: not rounded. */
  decimals?: number;
  missingShare: number;
  dim: number;
  /** Latent dimension of the missing indicator; undefined when the column was never missing. */
  missingDim?: number;
}

export type CopulaMarginal = DiscreteMarginal | ContinuousMarginal;

const DEFAULTS = { seed: 0, maxKnots: 1000, maxDiscreteValues: 32, maxCorrelationRows: 200_000 };

// Uniforms are kept off 0 and 1 so that their normal scores stay finite.
const U_EPS = 1e-12;
function clampU(u: number): number {
  return u < U_EPS ? U_EPS : u > 1 - U_EPS ? 1 - U_EPS : u;
}

/** Index of the first cumulative bound above `u` (the level whose interval holds `u`). */
function levelOf(cumulative: number[], u: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (u < (cumulative[mid] as number)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function decimalsOf(values: Float64Array): number | undefined {
  let decimals = 0;
  for (let i = 0; i < values.length; i += values.length > 20_000 ? Math.ceil(values.length / 20_000) : 1) {
    const v = values[i] as number;
    while (decimals <= 6) {
      const scaled = v * 10 ** decimals;
      if (Math.abs(scaled - Math.round(scaled)) <= 1e-9 * Math.max(1, Math.abs(scaled))) break;
      decimals++;
    }
    if (decimals > 6) return undefined;
  }
  return decimals;
}

/**
 * Fills `out` with standard normals by Box–Muller, using both values of each pair (Random.normal
 * keeps one): sampling draws d normals per row, and this halves the logs and square roots.
 */
function fillNormals(rng: Random, out: Float64Array, count: number): void {
  for (let k = 0; k < count; k += 2) {
    let u = 0;
    while (u === 0) u = rng.next();
    const radius = Math.sqrt(-2 * Math.log(u));
    const angle = 2 * Math.PI * rng.next();
    out[k] = radius * Math.cos(angle);
    if (k + 1 < count) out[k + 1] = radius * Math.sin(angle);
  }
}

function roundTo(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/** Sorted present values and each row's mid-rank uniform in (0, 1) (NaN where missing). */
function rankUniforms(values: Float64Array): { sorted: Float64Array; u: Float64Array } {
  const order = Array.from({ length: values.length }, (_, i) => i).filter((i) => !Number.isNaN(values[i] as number));
  order.sort((a, b) => (values[a] as number) - (values[b] as number));
  const m = order.length;
  const sorted = Float64Array.from(order, (i) => values[i] as number);
  const u = new Float64Array(values.length).fill(Number.NaN);
  // Ties share their mid-rank, so an atom (e.g. 20 % of amounts at 0) gets one normal score.
  for (let start = 0; start < m; ) {
    let end = start + 1;
    while (end < m && sorted[end] === sorted[start]) end++;
    const mid = (start + end) / 2 / m;
    for (let k = start; k < end; k++) u[order[k] as number] = mid;
    start = end;
  }
  return { sorted, u };
}

function quantileKnots(sorted: Float64Array, maxKnots: number): number[] {
  const m = sorted.length;
  if (m === 0) return [];
  const k = Math.min(maxKnots, m);
  if (k === 1) return [sorted[0] as number];
  const knots: number[] = [];
  for (let i = 0; i < k; i++) {
    const h = ((m - 1) * i) / (k - 1);
    const lo = Math.floor(h);
    const hi = Math.min(lo + 1, m - 1);
    knots.push((sorted[lo] as number) + (h - lo) * ((sorted[hi] as number) - (sorted[lo] as number)));
  }
  return knots;
}

function quantileAt(knots: number[], u: number): number {
  const k = knots.length;
  if (k === 1) return knots[0] as number;
  const pos = u * (k - 1);
  const i = Math.min(Math.floor(pos), k - 2);
  const lo = knots[i] as number;
  return lo + (pos - i) * ((knots[i + 1] as number) - lo);
}

/** The fitted state beyond params and schema: marginals and the latent dimension count. */
interface CopulaExtra {
  marginals: CopulaMarginal[];
  nDims: number;
}

/**
 * Gaussian copula synthesizer: each column's marginal distribution is kept as it is in the data
 * (numeric columns by an empirical quantile table, categories and booleans by their frequencies,
 * missing values as a category or a missing-indicator dimension), and the dependence between
 * columns is a correlation matrix of their normal scores. The baseline that shows what ctgan and
 * tvae buy: it fits in one pass with no training, and captures monotone pairwise dependence only.
 *
 * Conditional sampling is exact: a condition on a discrete column fixes its latent to the interval
 * of that value, so the latent is drawn from the truncated normal and the others from the
 * Gaussian conditional on it. Every row carries the condition; nothing is rejected.
 *
 * @example
 * const copula = await new GaussianCopulaSynthesizer({ seed: 1 }).fit(table);
 * const defaults = await copula.sample(50_000, { conditions: { target: '1' }, seed: 7 });
 */
export class GaussianCopulaSynthesizer implements Synthesizer<GaussianCopulaParams> {
  readonly kind = 'gaussian-copula' as const;
  readonly params: GaussianCopulaParams;
  readonly history: SynthEpochLogs[] = [];
  private schema?: Schema;
  private dictionaries = new Map<string, string[]>();
  private marginals: CopulaMarginal[] = [];
  private nDims = 0;
  /** Correlation of the normal scores (row-major, float32-representable so a bundle restores it exactly). */
  private correlation?: Float64Array;
  private factor?: Float64Array;
  private conditionalCache = new Map<number, { coef: Float64Array; factor: Float64Array; others: Int32Array }>();

  constructor(params: GaussianCopulaParams = {}) {
    this.params = params;
  }

  private get p(): Required<GaussianCopulaParams> {
    return { ...DEFAULTS, ...this.params } as Required<GaussianCopulaParams>;
  }

  /** Fits marginals and the correlation of normal scores. Identifier and datetime columns are refused. */
  async fit(table: Table): Promise<this> {
    if (table.nRows < 2) throw new DataError('too_few_rows', `a synthesizer needs at least 2 rows, got ${table.nRows}`);
    const unsupported = table.columns.filter((c) => c.kind === 'identifier' || c.kind === 'datetime');
    if (unsupported.length > 0)
      throw new DataError(
        'unsupported_column',
        `the gaussian copula models numeric, categorical and boolean columns; drop ${unsupported.map((c) => `${c.name} (${c.kind})`).join(', ')}`,
      );
    const p = this.p;
    const rng = new Random(p.seed);
    const n = table.nRows;
    const marginals: CopulaMarginal[] = [];
    /** Normal score of each row per latent dimension (NaN where a numeric value is missing). */
    const scores: Float64Array[] = [];
    this.dictionaries.clear();

    const addDiscrete = (column: Column, levelOfRow: (r: number) => number | null, levelOrder: (number | null)[]) => {
      const index = new Map<number | null, number>(levelOrder.map((l, i) => [l, i]));
      const counts = new Float64Array(levelOrder.length);
      const rowLevel = new Int32Array(n);
      for (let r = 0; r < n; r++) {
        const k = index.get(levelOfRow(r)) as number;
        rowLevel[r] = k;
        counts[k] = (counts[k] as number) + 1;
      }
      const cumulative: number[] = [];
      let sum = 0;
      for (const c of counts) cumulative.push((sum += c) / n);
      cumulative[cumulative.length - 1] = 1;
      const dim = scores.length;
      const z = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const k = rowLevel[r] as number;
        const lo = k === 0 ? 0 : (cumulative[k - 1] as number);
        const hi = cumulative[k] as number;
        // A uniform draw inside the value's interval: its normal score is then exactly standard normal overall.
        z[r] = normalQuantile(clampU(lo + (hi - lo) * rng.next()));
      }
      scores.push(z);
      marginals.push({
        type: 'discrete',
        column: column.name,
        kind: column.kind as DiscreteMarginal['kind'],
        levels: levelOrder,
        cumulative,
        dim,
      });
    };

    for (const column of table.columns) {
      if (isDictionaryColumn(column)) {
        this.dictionaries.set(column.name, column.dictionary);
        const counts = new Map<number, number>();
        for (const code of column.codes) counts.set(code, (counts.get(code) ?? 0) + 1);
        // Most frequent first (missing last): neighbouring intervals then hold similar mass.
        const codes = [...counts.keys()]
          .filter((c) => c >= 0)
          .sort((a, b) => (counts.get(b) as number) - (counts.get(a) as number) || a - b);
        const levels: (number | null)[] = [...codes, ...(counts.has(-1) ? [null] : [])];
        addDiscrete(column, (r) => ((column.codes[r] as number) < 0 ? null : (column.codes[r] as number)), levels);
        continue;
      }
      const values = column.values;
      const presentValue = (r: number) => (Number.isNaN(values[r] as number) ? null : (values[r] as number));
      const distinct = new Set<number>();
      let integer = true;
      let hasMissing = false;
      for (const v of values) {
        if (Number.isNaN(v)) {
          hasMissing = true;
          continue;
        }
        if (!Number.isInteger(v)) integer = false;
        if (distinct.size <= p.maxDiscreteValues) distinct.add(v);
      }
      const ordered = (): (number | null)[] => [...[...distinct].sort((a, b) => a - b), ...(hasMissing ? [null] : [])];
      if (column.kind === 'boolean' || (integer && distinct.size <= p.maxDiscreteValues)) {
        // Natural order, so that correlation with the other columns reads as monotone dependence.
        addDiscrete(column, presentValue, ordered());
        continue;
      }
      const { sorted, u } = rankUniforms(values);
      const z = new Float64Array(n);
      for (let r = 0; r < n; r++) z[r] = Number.isNaN(u[r] as number) ? Number.NaN : normalQuantile(u[r] as number);
      const dim = scores.length;
      scores.push(z);
      const missingShare = (n - sorted.length) / n;
      const marginal: ContinuousMarginal = {
        type: 'continuous',
        column: column.name,
        knots: quantileKnots(sorted, p.maxKnots),
        integer,
        missingShare,
        dim,
      };
      const decimals = integer ? 0 : decimalsOf(sorted);
      if (decimals !== undefined) marginal.decimals = decimals;
      marginals.push(marginal);
      if (hasMissing) {
        marginal.missingDim = scores.length;
        const indicator = new Float64Array(n);
        const present = 1 - missingShare;
        for (let r = 0; r < n; r++) {
          const [lo, hi] = Number.isNaN(values[r] as number) ? [present, 1] : [0, present];
          indicator[r] = normalQuantile(clampU(lo + (hi - lo) * rng.next()));
        }
        scores.push(indicator);
      }
    }

    const d = scores.length;
    const rows = correlationRows(n, p.maxCorrelationRows, rng);
    const corr = pairwiseCorrelation(scores, rows);
    this.setCorrelation(positiveDefinite(corr, d), d);
    this.schema = schemaOf(table);
    this.marginals = marginals;
    this.nDims = d;
    return this;
  }

  private setCorrelation(corr: Float64Array, d: number): void {
    // Rounded to float32 here so that a restored bundle (float32 weights) samples identically.
    const rounded = Float64Array.from(corr, (v) => Math.fround(v));
    for (let i = 0; i < d; i++) rounded[i * d + i] = 1;
    const factor = cholesky(rounded, d, 1e-12);
    if (factor === undefined)
      throw new DataError('not_positive_definite', 'the copula correlation is not positive definite');
    this.correlation = rounded;
    this.factor = factor;
    this.conditionalCache.clear();
  }

  private fitted(): { schema: Schema; factor: Float64Array; correlation: Float64Array } {
    if (this.schema === undefined || this.factor === undefined || this.correlation === undefined)
      throw new NotFittedError('GaussianCopulaSynthesizer');
    return { schema: this.schema, factor: this.factor, correlation: this.correlation };
  }

  /** The marginal of each column, in column order (for reports and tests). */
  get columnMarginals(): readonly CopulaMarginal[] {
    this.fitted();
    return this.marginals;
  }

  /** The correlation of the latent normal scores (d × d, row-major). */
  get latentCorrelation(): { values: Float64Array; nDims: number } {
    return { values: this.fitted().correlation, nDims: this.nDims };
  }

  /**
   * Resolves conditions to a latent dimension and the uniform interval of the value.
   *
   * @throws ConfigError `unknown_condition_column`, `condition_not_discrete`,
   *   `unknown_condition_value` (naming the allowed values) or `too_many_conditions`
   */
  resolveCondition(conditions: SampleConditions): { marginal: DiscreteMarginal; level: number } | undefined {
    const { schema } = this.fitted();
    const entries = Object.entries(conditions);
    if (entries.length === 0) return undefined;
    if (entries.length > 1)
      throw new ConfigError(
        'too_many_conditions',
        `the gaussian copula samples exactly under one condition at a time, got ${entries.length} (${entries.map(([c]) => c).join(', ')})`,
      );
    const [name, text] = entries[0] as [string, string];
    const marginal = this.marginals.find((m) => m.column === name);
    if (marginal === undefined)
      throw new ConfigError(
        'unknown_condition_column',
        `condition column ${JSON.stringify(name)} is not one the synthesizer generates (${schema.columns.map((c) => c.name).join(', ')})`,
      );
    if (marginal.type !== 'discrete')
      throw new ConfigError(
        'condition_not_discrete',
        `condition column ${JSON.stringify(name)} is continuous numeric; conditions take categorical, boolean or integer columns with few values`,
      );
    const labels = marginal.levels.map((l) => (l === null ? null : this.levelText(marginal, l)));
    const level = this.levelFromText(marginal, text);
    if (level < 0)
      throw new ConfigError(
        'unknown_condition_value',
        `${name}=${text}: the value never occurs in the fitted data; allowed: ${labels.filter((l) => l !== null).join(', ')}`,
      );
    return { marginal, level };
  }

  private levelText(marginal: DiscreteMarginal, level: number): string {
    if (marginal.kind === 'categorical') return this.dictionaries.get(marginal.column)?.[level] ?? String(level);
    if (marginal.kind === 'boolean') return level === 1 ? 'true' : 'false';
    return String(level);
  }

  private levelFromText(marginal: DiscreteMarginal, text: string): number {
    let value: number;
    if (marginal.kind === 'categorical') value = this.dictionaries.get(marginal.column)?.indexOf(text) ?? -1;
    else if (marginal.kind === 'boolean') value = parseBooleanCell(text);
    else value = text.trim() === '' ? Number.NaN : Number(text);
    if (Number.isNaN(value) || (value < 0 && marginal.kind === 'categorical')) return -1;
    return marginal.levels.indexOf(value);
  }

  /** Factors of the latents given latent `j`: coefficients on z_j and the Cholesky factor of the rest. */
  private conditional(j: number): { coef: Float64Array; factor: Float64Array; others: Int32Array } {
    const cached = this.conditionalCache.get(j);
    if (cached) return cached;
    const { correlation } = this.fitted();
    const d = this.nDims;
    const others = Int32Array.from({ length: d - 1 }, (_, i) => (i < j ? i : i + 1));
    const m = d - 1;
    const coef = Float64Array.from(others, (o) => correlation[o * d + j] as number);
    const cov = new Float64Array(m * m);
    for (let a = 0; a < m; a++)
      for (let b = 0; b < m; b++)
        cov[a * m + b] =
          (correlation[(others[a] as number) * d + (others[b] as number)] as number) -
          (coef[a] as number) * (coef[b] as number);
    // The Schur complement of a positive definite matrix is positive definite; the floor covers rounding.
    const factor = cholesky(cov, m, 0) ?? cholesky(positiveDefinite(cov, m), m, 0);
    if (factor === undefined)
      throw new DataError('not_positive_definite', 'the conditional correlation is not positive definite');
    const entry = { coef, factor, others };
    this.conditionalCache.set(j, entry);
    return entry;
  }

  /**
   * Draws `nRows` rows with the fitted schema. With a condition, every row carries it by
   * construction; the other columns follow the copula's conditional distribution.
   */
  async sample(nRows: number, options: SampleOptions = {}): Promise<Table> {
    const { schema, factor } = this.fitted();
    if (!Number.isSafeInteger(nRows) || nRows < 0)
      throw new ConfigError('invalid_rows', `rows must be a whole number ≥ 0, got ${nRows}`);
    const condition = this.resolveCondition(options.conditions ?? {});
    const rng = new Random(options.seed ?? this.p.seed);
    const d = this.nDims;
    const latent = new Float64Array(nRows * d);
    const eps = new Float64Array(d);
    if (condition === undefined) {
      for (let r = 0; r < nRows; r++) {
        fillNormals(rng, eps, d);
        const row = r * d;
        for (let i = 0; i < d; i++) {
          let s = 0;
          for (let k = 0; k <= i; k++) s += (factor[i * d + k] as number) * (eps[k] as number);
          latent[row + i] = s;
        }
      }
    } else {
      const { marginal, level } = condition;
      const j = marginal.dim;
      const lo = level === 0 ? 0 : (marginal.cumulative[level - 1] as number);
      const hi = marginal.cumulative[level] as number;
      const { coef, factor: cf, others } = this.conditional(j);
      const m = d - 1;
      for (let r = 0; r < nRows; r++) {
        // The truncated normal by inversion: a uniform inside the value's interval, mapped by Φ⁻¹.
        const zj = normalQuantile(clampU(lo + (hi - lo) * rng.next()));
        const row = r * d;
        latent[row + j] = zj;
        fillNormals(rng, eps, m);
        for (let a = 0; a < m; a++) {
          let s = (coef[a] as number) * zj;
          for (let k = 0; k <= a; k++) s += (cf[a * m + k] as number) * (eps[k] as number);
          latent[row + (others[a] as number)] = s;
        }
      }
    }
    const columns = this.marginals.map((marginal, c) => this.decodeColumn(marginal, schema, c, latent, nRows, d));
    if (condition !== undefined)
      forceCondition(columns, condition.marginal, condition.marginal.levels[condition.level] ?? null);
    return { nRows, columns };
  }

  private decodeColumn(
    marginal: CopulaMarginal,
    schema: Schema,
    c: number,
    latent: Float64Array,
    n: number,
    d: number,
  ): Column {
    const name = (schema.columns[c] as Schema['columns'][number]).name;
    if (marginal.type === 'discrete') {
      const levels = marginal.levels;
      if (marginal.kind === 'categorical') {
        const codes = new Int32Array(n);
        for (let r = 0; r < n; r++)
          codes[r] = levels[levelOf(marginal.cumulative, normalCdf(latent[r * d + marginal.dim] as number))] ?? -1;
        return { name, kind: 'categorical', codes, dictionary: this.dictionaries.get(name) ?? [] };
      }
      const values = new Float64Array(n);
      for (let r = 0; r < n; r++)
        values[r] =
          levels[levelOf(marginal.cumulative, normalCdf(latent[r * d + marginal.dim] as number))] ?? Number.NaN;
      return { name, kind: marginal.kind, values };
    }
    const values = new Float64Array(n);
    const { knots, integer, decimals, missingDim, missingShare } = marginal;
    const present = 1 - missingShare;
    for (let r = 0; r < n; r++) {
      if (
        knots.length === 0 ||
        (missingDim !== undefined && normalCdf(latent[r * d + missingDim] as number) >= present)
      ) {
        values[r] = Number.NaN;
        continue;
      }
      const v = quantileAt(knots, normalCdf(latent[r * d + marginal.dim] as number));
      values[r] = integer ? Math.round(v) : decimals !== undefined ? roundTo(v, decimals) : v;
    }
    return { name, kind: 'numeric', values };
  }

  toJSON(): SynthesizerState {
    const { schema } = this.fitted();
    const extra: CopulaExtra & { dictionaries: Record<string, string[]> } = {
      marginals: this.marginals,
      nDims: this.nDims,
      dictionaries: Object.fromEntries(this.dictionaries),
    };
    return { kind: this.kind, params: this.params, schema, extra: extra as unknown as Record<string, unknown> };
  }

  getWeights(): NamedWeight[] {
    const { correlation } = this.fitted();
    return [{ name: 'copula/correlation', shape: [this.nDims, this.nDims], values: Float32Array.from(correlation) }];
  }

  /** Rebuilds a fitted copula from its state and weights (a synthesizer bundle). */
  static async fromState(state: SynthesizerState, weights: NamedWeight[]): Promise<GaussianCopulaSynthesizer> {
    if (state.kind !== 'gaussian-copula')
      throw new ConfigError('wrong_synthesizer', `state of a ${state.kind} synthesizer, not gaussian-copula`);
    const extra = state.extra as unknown as CopulaExtra & { dictionaries: Record<string, string[]> };
    const weight = weights.find((w) => w.name === 'copula/correlation');
    const d = extra.nDims;
    if (weight === undefined || weight.values.length !== d * d)
      throw new ConfigError('invalid_state', `the copula needs a ${d} × ${d} correlation weight`);
    const copula = new GaussianCopulaSynthesizer(state.params as GaussianCopulaParams);
    copula.schema = state.schema;
    copula.marginals = extra.marginals;
    copula.nDims = d;
    copula.dictionaries = new Map(Object.entries(extra.dictionaries));
    copula.setCorrelation(Float64Array.from(weight.values), d);
    return copula;
  }
}

/** Writes the conditioned value into its column (the interval already guarantees it; this makes it explicit). */
function forceCondition(columns: Column[], marginal: DiscreteMarginal, level: number | null): void {
  const column = columns.find((c) => c.name === marginal.column);
  if (column === undefined) return;
  if (isDictionaryColumn(column)) column.codes.fill(level ?? -1);
  else column.values.fill(level ?? Number.NaN);
}

function correlationRows(n: number, max: number, rng: Random): Int32Array {
  const all = Int32Array.from({ length: n }, (_, i) => i);
  if (n <= max) return all;
  return rng.shuffle(all).slice(0, max).sort();
}

/** Pearson correlation of every pair of score vectors over the rows where both are present. */
function pairwiseCorrelation(scores: Float64Array[], rows: Int32Array): Float64Array {
  const d = scores.length;
  const corr = new Float64Array(d * d);
  for (let i = 0; i < d; i++) {
    corr[i * d + i] = 1;
    const a = scores[i] as Float64Array;
    for (let j = 0; j < i; j++) {
      const b = scores[j] as Float64Array;
      let n = 0;
      let sa = 0;
      let sb = 0;
      let saa = 0;
      let sbb = 0;
      let sab = 0;
      for (const r of rows) {
        const x = a[r] as number;
        const y = b[r] as number;
        if (Number.isNaN(x) || Number.isNaN(y)) continue;
        n++;
        sa += x;
        sb += y;
        saa += x * x;
        sbb += y * y;
        sab += x * y;
      }
      const cov = sab - (sa * sb) / n;
      const den = Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
      const rho = n > 2 && den > 0 ? Math.max(-1, Math.min(1, cov / den)) : 0;
      corr[i * d + j] = rho;
      corr[j * d + i] = rho;
    }
  }
  return corr;
}

/**
 * A positive definite version of a correlation matrix: pairwise-complete estimates and
 * duplicated columns can leave it indefinite or singular, so it is shrunk towards the identity
 * by the smallest step (from 1e-6 up) that gives a Cholesky factor with room to spare.
 */
function positiveDefinite(corr: Float64Array, d: number): Float64Array {
  if (cholesky(corr, d, 1e-6) !== undefined) return corr;
  for (let lambda = 1e-6; lambda < 1; lambda *= 4) {
    const shrunk = Float64Array.from(corr, (v, k) => (k % (d + 1) === 0 ? v : (1 - lambda) * v));
    if (cholesky(shrunk, d, 1e-6) !== undefined) return shrunk;
  }
  return Float64Array.from({ length: d * d }, (_, k) => (k % (d + 1) === 0 ? 1 : 0));
}
