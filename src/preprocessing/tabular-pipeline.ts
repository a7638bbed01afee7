/**
 * The tabular preprocessing pipeline: turns a raw Table into the Float32 matrix models take,
 * with every statistic learned on the training rows only, and saves as plain JSON inside the
 * model bundle so scoring reproduces training's encoding exactly.
 */
import type { Column, ColumnSchema, Table } from '../data/table.js';
import { BundleError, ConfigError, DataError, type Issue, NotFittedError } from '../errors.js';
import { type Matrix, rowRange } from '../matrix.js';
import type { BooleanStepState } from './boolean-step.js';
import { BooleanEncoder, fitBooleanStep } from './boolean-step.js';
import type { CategoricalStepState } from './categorical-step.js';
import { CategoricalEncoder, fitCategoricalStep } from './categorical-step.js';
import type { ColumnEncoder, StepFit } from './column-step.js';
import type { MissingIndicatorStepState, NumericStepState } from './numeric-step.js';

/** Saved state of one input column's encoding; `encoding` discriminates. */
export type ColumnStepState = NumericStepState | MissingIndicatorStepState | BooleanStepState | CategoricalStepState;

import { fitNumericStep, MissingIndicatorEncoder, NumericEncoder } from './numeric-step.js';

/** Hyper-parameters of {@link TabularPipeline}; every field is optional and kept as given. */
export interface TabularPipelineParams {
  /**
   * Input columns to use, in this order. Default: every column of the fitted table, in table
   * order, except `exclude` and identifier and datetime columns.
   */
  features?: string[];
  /** Columns never used (target, split flag, weights…). Absent names are ignored. */
  exclude?: string[];
  /** Numeric values are clipped to these training quantiles. Default `[0.005, 0.995]`. */
  clipQuantiles?: [number, number];
  /**
   * `'auto'` (default): log1p for a numeric column whose training values are all ≥ 0, whose
   * skewness (of the values clipped to `clipQuantiles`) exceeds 2, and whose high clip quantile
   * is at least 10 × (median + 1). `'none'`: never.
   */
  logTransform?: 'auto' | 'none';
  /**
   * A category (or missing value) needs at least this many training rows for its own column;
   * rarer ones are grouped into `__other__`. Default: 0.5 % of the training rows, at least 10
   * (so each level's weight rests on some data) and at most 1000 (beyond that a level is well
   * estimated whatever the table size).
   */
  rareCategoryMinCount?: number;
  /** At most this many categories of one column get their own column. Default 50. */
  maxCategories?: number;
  /**
   * Whether missingness is encoded: `<col>__missing` columns for numeric and boolean columns
   * and a `<col>=__missing__` level for categorical ones. Default true.
   */
  missingIndicators?: boolean;
}

/** The JSON form saved in a bundle's `manifest.json` (`preprocessing`). */
export interface TabularPipelineState {
  kind: 'tabular-pipeline';
  version: 1;
  params: TabularPipelineParams;
  /** Number of training rows the statistics came from. */
  nTrainRows: number;
  /** The rare-category threshold actually used (resolved default). */
  rareCategoryMinCount: number;
  /** One step per input column used, in output order. */
  steps: ColumnStepState[];
  /** Output column names (redundant with `steps`; kept for readers of the manifest and as a check). */
  featureNames: string[];
  warnings: string[];
}

const DEFAULT_CLIP_QUANTILES: [number, number] = [0.005, 0.995];
const DEFAULT_MAX_CATEGORIES = 50;
/** Rows per block in transform: a block of output rows stays in cache while every column writes into it. */
const BLOCK_ROWS = 2048;

/** The default rare-category threshold for a training set of `nTrainRows` rows. */
export function defaultRareCategoryMinCount(nTrainRows: number): number {
  return Math.min(1000, Math.max(10, Math.ceil(0.005 * nTrainRows)));
}

function isPositiveInteger(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 1;
}

function isStringArray(x: unknown): x is string[] {
  return Array.isArray(x) && x.every((s) => typeof s === 'string');
}

function validateParams(params: TabularPipelineParams): Issue[] {
  const issues: Issue[] = [];
  const add = (key: string, message: string) => issues.push({ code: 'invalid_param', path: [key], message });
  const p = params as Record<string, unknown>;
  if (p.features !== undefined) {
    if (!isStringArray(p.features)) add('features', 'features must be an array of column names');
    else if (new Set(p.features).size !== p.features.length) add('features', 'features lists a column twice');
  }
  if (p.exclude !== undefined && !isStringArray(p.exclude)) add('exclude', 'exclude must be an array of column names');
  if (isStringArray(p.features) && isStringArray(p.exclude)) {
    const both = p.features.filter((f) => (p.exclude as string[]).includes(f));
    if (both.length > 0) add('features', `columns both in features and exclude: ${both.join(', ')}`);
  }
  if (p.clipQuantiles !== undefined) {
    const q = p.clipQuantiles;
    const ok =
      Array.isArray(q) &&
      q.length === 2 &&
      typeof q[0] === 'number' &&
      typeof q[1] === 'number' &&
      q[0] >= 0 &&
      q[0] < q[1] &&
      q[1] <= 1;
    if (!ok) add('clipQuantiles', 'clipQuantiles must be [low, high] with 0 ≤ low < high ≤ 1');
  }
  if (p.logTransform !== undefined && p.logTransform !== 'auto' && p.logTransform !== 'none') {
    add('logTransform', `logTransform must be 'auto' or 'none', got ${JSON.stringify(p.logTransform)}`);
  }
  if (p.rareCategoryMinCount !== undefined && !isPositiveInteger(p.rareCategoryMinCount)) {
    add('rareCategoryMinCount', 'rareCategoryMinCount must be an integer ≥ 1');
  }
  if (p.maxCategories !== undefined && !isPositiveInteger(p.maxCategories)) {
    add('maxCategories', 'maxCategories must be an integer ≥ 1');
  }
  if (p.missingIndicators !== undefined && typeof p.missingIndicators !== 'boolean') {
    add('missingIndicators', 'missingIndicators must be true or false');
  }
  return issues;
}

function encoderFor(step: ColumnStepState): ColumnEncoder {
  switch (step.encoding) {
    case 'numeric':
      return new NumericEncoder(step);
    case 'missing-indicator':
      return new MissingIndicatorEncoder(step);
    case 'boolean':
      return new BooleanEncoder(step);
    case 'one-hot':
      return new CategoricalEncoder(step);
  }
}

/** What exists only after fit (or fromJSON). */
interface Fitted {
  state: TabularPipelineState;
  encoders: ColumnEncoder[];
  /** First output column of each encoder. */
  offsets: number[];
  featureNames: string[];
}

/** Builds the runtime form from a state; the single path for both fit and fromJSON. */
function build(state: TabularPipelineState): Fitted {
  const encoders = state.steps.map(encoderFor);
  const offsets: number[] = [];
  const featureNames: string[] = [];
  for (const e of encoders) {
    offsets.push(featureNames.length);
    featureNames.push(...e.featureNames);
  }
  return { state, encoders, offsets, featureNames };
}

/**
 * Tabular preprocessing for risk models, fitted on the training rows only.
 *
 * - numeric: median imputation (+ `<col>__missing` when training had missing values), log1p
 *   for strongly right-skewed non-negative columns, clipping to training quantiles,
 *   standardisation;
 * - boolean: 0/1, missing → majority value (+ `<col>__missing`);
 * - categorical: one-hot over frequent categories (`<col>=<value>`), rare ones in
 *   `<col>=__other__`, missing values as `<col>=__missing__` when common enough, and
 *   `<col>=__unknown__` set at scoring time for categories never seen in training;
 * - identifier and datetime columns are skipped unless listed in `features`; constant and
 *   all-missing columns are dropped. Each of these is reported in `warnings`.
 *
 * A numeric column stays numeric however few distinct values it has (a 1–4 rating is ordered).
 *
 * @example
 * const pipeline = new TabularPipeline({ exclude: ['target', '_is_test'] });
 * const x = pipeline.fitTransform(table, trainRows); // statistics from trainRows, rows of the whole table
 * manifest.preprocessing = pipeline.toJSON();
 * // later, in the scoring service:
 * const restored = TabularPipeline.fromJSON(manifest.preprocessing);
 * const row = restored.transform(eventTable); // 1 × restored.featureNames.length
 */
export class TabularPipeline {
  readonly kind = 'tabular-pipeline';
  readonly params: TabularPipelineParams;
  private fitted: Fitted | undefined;

  /** @throws ConfigError `invalid_params` listing every invalid parameter. */
  constructor(params: TabularPipelineParams = {}) {
    const issues = validateParams(params);
    if (issues.length > 0) {
      throw new ConfigError(
        'invalid_params',
        `invalid TabularPipeline parameters: ${issues.map((i) => i.message).join('; ')}`,
        {
          issues,
        },
      );
    }
    this.params = params;
  }

  private require(): Fitted {
    if (this.fitted === undefined) throw new NotFittedError('TabularPipeline');
    return this.fitted;
  }

  /** Output column names, in matrix column order. */
  get featureNames(): string[] {
    return [...this.require().featureNames];
  }

  /** The raw columns (name and kind) `transform` reads. */
  get inputColumns(): ColumnSchema[] {
    return this.require().encoders.map((e) => ({ name: e.column, kind: e.columnKind }));
  }

  /** What fit skipped, dropped or changed, one sentence each. */
  get warnings(): string[] {
    return [...this.require().state.warnings];
  }

  /**
   * Learns every statistic from `trainRows` of `table` (default: all rows).
   *
   * @throws DataError `missing_column` (a listed feature is absent), `invalid_rows` (empty or
   *   out-of-range `trainRows`), `no_features` (nothing left to encode), `duplicate_feature_name`.
   * @throws ConfigError `unsupported_feature_kind` when `features` lists a datetime column.
   */
  fit(table: Table, trainRows?: Int32Array): this {
    const rows = trainRows ?? rowRange(table.nRows);
    if (rows.length === 0) throw new DataError('invalid_rows', 'cannot fit TabularPipeline on zero training rows');
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i] as number;
      if (r < 0 || r >= table.nRows) {
        throw new DataError('invalid_rows', `training row index ${r} is outside the table (${table.nRows} rows)`);
      }
    }

    const warnings: string[] = [];
    const columns = this.selectColumns(table, warnings);
    const rareCategoryMinCount = this.params.rareCategoryMinCount ?? defaultRareCategoryMinCount(rows.length);
    const missingIndicators = this.params.missingIndicators ?? true;
    const steps: ColumnStepState[] = [];
    for (const col of columns) {
      let result: StepFit<ColumnStepState>;
      switch (col.kind) {
        case 'numeric':
          result = fitNumericStep(col.name, col.values, rows, {
            clipQuantiles: this.params.clipQuantiles ?? DEFAULT_CLIP_QUANTILES,
            logTransform: this.params.logTransform ?? 'auto',
            missingIndicators,
          });
          break;
        case 'boolean':
          result = fitBooleanStep(col.name, col.values, rows, { missingIndicators });
          break;
        case 'categorical':
        case 'identifier':
          result = fitCategoricalStep(col, rows, {
            rareMinCount: rareCategoryMinCount,
            maxCategories: this.params.maxCategories ?? DEFAULT_MAX_CATEGORIES,
            missingIndicators,
          });
          break;
        case 'datetime':
          // selectColumns already refused these.
          throw new Error('unreachable: datetime column selected');
      }
      if (result.step !== null) steps.push(result.step);
      warnings.push(...result.warnings);
    }

    const fitted = build({
      kind: 'tabular-pipeline',
      version: 1,
      params: structuredClone(this.params),
      nTrainRows: rows.length,
      rareCategoryMinCount,
      steps,
      featureNames: [],
      warnings,
    });
    fitted.state.featureNames = fitted.featureNames;
    if (fitted.featureNames.length === 0) {
      throw new DataError('no_features', `no usable feature column in the training data: ${warnings.join('; ')}`);
    }
    const seen = new Set<string>();
    for (const name of fitted.featureNames) {
      if (seen.has(name)) {
        throw new DataError(
          'duplicate_feature_name',
          `two output columns would both be named ${name} (a column or category name clashes with an encoded name)`,
        );
      }
      seen.add(name);
    }
    this.fitted = fitted;
    return this;
  }

  private selectColumns(table: Table, warnings: string[]): Column[] {
    const exclude = new Set(this.params.exclude ?? []);
    if (this.params.features !== undefined) {
      const byName = new Map(table.columns.map((c) => [c.name, c]));
      const missing = this.params.features.filter((f) => !byName.has(f));
      if (missing.length > 0) throw missingColumnError(missing);
      const selected = this.params.features.map((f) => byName.get(f) as Column);
      const datetimes = selected.filter((c) => c.kind === 'datetime').map((c) => c.name);
      if (datetimes.length > 0) {
        throw new ConfigError(
          'unsupported_feature_kind',
          `datetime columns cannot be features as is (derive e.g. hour of day or account age first): ${datetimes.join(', ')}`,
        );
      }
      for (const c of selected) {
        if (c.kind === 'identifier')
          warnings.push(`identifier column ${c.name} is listed in features; one-hot encoded`);
      }
      return selected;
    }
    const selected: Column[] = [];
    for (const c of table.columns) {
      if (exclude.has(c.name)) continue;
      if (c.kind === 'identifier') warnings.push(`column ${c.name} is an identifier; excluded from features`);
      else if (c.kind === 'datetime') warnings.push(`column ${c.name} is a datetime; excluded from features`);
      else selected.push(c);
    }
    return selected;
  }

  /**
   * Encodes every row of `table`. Only the columns in `inputColumns` are read; others are
   * ignored, and their order does not matter. Categories are matched by string.
   *
   * @returns `table.nRows × featureNames.length`, row-major Float32.
   * @throws NotFittedError before fit.
   * @throws DataError `missing_column` naming every absent input column, or
   *   `wrong_column_kind`; `issues` lists every problem.
   */
  transform(table: Table): Matrix {
    const { encoders, offsets, featureNames } = this.require();
    const byName = new Map<string, Column>();
    for (const c of table.columns) byName.set(c.name, c);

    const missing: string[] = [];
    const issues: Issue[] = [];
    const bound: Column[] = [];
    for (const e of encoders) {
      const col = byName.get(e.column);
      if (col === undefined) {
        missing.push(e.column);
        issues.push({ code: 'missing_column', path: [e.column], message: `column ${e.column} is missing` });
      } else if (col.kind !== e.columnKind) {
        issues.push({
          code: 'wrong_column_kind',
          path: [e.column],
          message: `column ${e.column} is ${col.kind}, expected ${e.columnKind}`,
        });
      } else {
        bound.push(col);
      }
    }
    if (missing.length > 0) throw missingColumnError(missing, issues);
    if (issues.length > 0) {
      throw new DataError('wrong_column_kind', issues.map((i) => i.message).join('; '), { issues });
    }

    const n = table.nRows;
    const nCols = featureNames.length;
    const data = new Float32Array(n * nCols);
    const writers = encoders.map((e, i) => e.bind(bound[i] as Column, offsets[i] as number));
    for (let start = 0; start < n; start += BLOCK_ROWS) {
      const end = Math.min(n, start + BLOCK_ROWS);
      for (const write of writers) write(data, nCols, start, end);
    }
    return { data, nRows: n, nCols };
  }

  /** `fit(table, trainRows)` then `transform(table)`: statistics from `trainRows`, output for every row. */
  fitTransform(table: Table, trainRows?: Int32Array): Matrix {
    return this.fit(table, trainRows).transform(table);
  }

  /** Plain JSON state (no typed arrays) for the bundle manifest. */
  toJSON(): TabularPipelineState {
    return structuredClone(this.require().state);
  }

  /**
   * Rebuilds a fitted pipeline from `toJSON()` output; `transform` is bit-identical.
   *
   * @throws BundleError `invalid_preprocessing_state` when the state is malformed.
   */
  static fromJSON(state: unknown): TabularPipeline {
    const issues = validateState(state);
    if (issues.length > 0) throw invalidState(issues);
    const copy = structuredClone(state) as TabularPipelineState;
    const fitted = build(copy);
    if (JSON.stringify(fitted.featureNames) !== JSON.stringify(copy.featureNames)) {
      throw invalidState([
        { code: 'invalid_preprocessing_state', path: ['featureNames'], message: 'featureNames do not match the steps' },
      ]);
    }
    const pipeline = new TabularPipeline(copy.params);
    pipeline.fitted = fitted;
    return pipeline;
  }
}

function missingColumnError(names: string[], issues?: Issue[]): DataError {
  return new DataError('missing_column', `missing column${names.length > 1 ? 's' : ''}: ${names.join(', ')}`, {
    issues:
      issues ?? names.map((name) => ({ code: 'missing_column', path: [name], message: `column ${name} is missing` })),
  });
}

function invalidState(issues: Issue[]): BundleError {
  return new BundleError(
    'invalid_preprocessing_state',
    `preprocessing state is not valid: ${issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

const isFiniteNumber = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/** Structural check of a saved state; returns every problem found. */
function validateState(state: unknown): Issue[] {
  const issues: Issue[] = [];
  const add = (path: (string | number)[], message: string) =>
    issues.push({ code: 'invalid_preprocessing_state', path, message });
  if (typeof state !== 'object' || state === null) {
    add([], 'expected an object');
    return issues;
  }
  const s = state as Record<string, unknown>;
  if (s.kind !== 'tabular-pipeline') add(['kind'], `expected 'tabular-pipeline', got ${JSON.stringify(s.kind)}`);
  if (s.version !== 1) add(['version'], `unsupported version ${JSON.stringify(s.version)}`);
  if (typeof s.params !== 'object' || s.params === null) add(['params'], 'expected an object');
  else
    issues.push(
      ...validateParams(s.params as TabularPipelineParams).map((i) => ({ ...i, path: ['params', ...i.path] })),
    );
  if (!isPositiveInteger(s.nTrainRows)) add(['nTrainRows'], 'expected a positive integer');
  if (!isPositiveInteger(s.rareCategoryMinCount)) add(['rareCategoryMinCount'], 'expected a positive integer');
  if (!isStringArray(s.featureNames)) add(['featureNames'], 'expected an array of strings');
  if (!isStringArray(s.warnings)) add(['warnings'], 'expected an array of strings');
  if (!Array.isArray(s.steps)) {
    add(['steps'], 'expected an array');
    return issues;
  }
  s.steps.forEach((raw: unknown, i) => {
    const at = (field: string, message: string) => add(['steps', i, field], message);
    if (typeof raw !== 'object' || raw === null) {
      add(['steps', i], 'expected an object');
      return;
    }
    const step = raw as Record<string, unknown>;
    if (typeof step.column !== 'string') at('column', 'expected a string');
    switch (step.encoding) {
      case 'numeric': {
        if (step.columnKind !== 'numeric') at('columnKind', "expected 'numeric'");
        for (const key of ['fill', 'mean'] as const)
          if (!isFiniteNumber(step[key])) at(key, 'expected a finite number');
        if (!isFiniteNumber(step.std) || step.std <= 0) at('std', 'expected a positive number');
        const clip = step.clip;
        if (!Array.isArray(clip) || clip.length !== 2 || !isFiniteNumber(clip[0]) || !isFiniteNumber(clip[1])) {
          at('clip', 'expected [low, high]');
        } else if (clip[0] > clip[1]) at('clip', 'low is above high');
        if (typeof step.log1p !== 'boolean') at('log1p', 'expected a boolean');
        if (typeof step.missingIndicator !== 'boolean') at('missingIndicator', 'expected a boolean');
        break;
      }
      case 'missing-indicator':
        if (step.columnKind !== 'numeric' && step.columnKind !== 'boolean')
          at('columnKind', "expected 'numeric' or 'boolean'");
        break;
      case 'boolean':
        if (step.columnKind !== 'boolean') at('columnKind', "expected 'boolean'");
        if (step.fill !== 0 && step.fill !== 1) at('fill', 'expected 0 or 1');
        if (typeof step.missingIndicator !== 'boolean') at('missingIndicator', 'expected a boolean');
        break;
      case 'one-hot':
        if (step.columnKind !== 'categorical' && step.columnKind !== 'identifier') {
          at('columnKind', "expected 'categorical' or 'identifier'");
        }
        if (!isStringArray(step.levels)) at('levels', 'expected an array of strings');
        if (!isStringArray(step.otherLevels)) at('otherLevels', 'expected an array of strings');
        if (typeof step.missingLevel !== 'boolean') at('missingLevel', 'expected a boolean');
        if (typeof step.fill !== 'string') at('fill', 'expected a string');
        break;
      default:
        at('encoding', `unknown encoding ${JSON.stringify(step.encoding)}`);
    }
  });
  return issues;
}
