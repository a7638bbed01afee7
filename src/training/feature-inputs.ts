/**
 * Model inputs from replayed transactions, shared by training (`vigil train --features`,
 * `vigil benchmark fraud`) and scoring (`vigil predict` and `evaluate` on raw events), so both
 * sides build them with the same code from the same executor's output.
 */
import type { FeatureSpecRecord } from '../bundle/index.js';
import { parseDatetimeCell, readCsv, readTable, type Split } from '../data/index.js';
import { type Column, type ColumnKind, isDictionaryColumn, type Table } from '../data/table.js';
import { BundleError, ConfigError, DataError } from '../errors.js';
import {
  ENTITY_KEYS,
  type EntityKey,
  type FeatureSpec,
  replayTransactions,
  type TransactionColumns,
} from '../features/index.js';
import type { Matrix } from '../matrix.js';
import { type ModelKind, SEQUENCE_ARCHITECTURES } from '../models/index.js';
import { meanStd } from '../preprocessing/summary-statistics.js';

/** Model kinds that read sequences of a customer's transactions rather than one transaction's features. */
export const SEQUENCE_MODEL_KINDS: readonly ModelKind[] = SEQUENCE_ARCHITECTURES;

/** Whether `kind` reads sequences (cnn, lstm, lstm-attention). */
export function isSequenceModel(kind: string): boolean {
  return (SEQUENCE_MODEL_KINDS as readonly string[]).includes(kind);
}

/** Previous transactions per sequence row when neither the flag nor the spec says. */
export const DEFAULT_PREVIOUS_TRANSACTIONS = 5;

/** How a sequence is asked for: flags, or a job's options. */
export interface SequenceChoice {
  /** An entity key (`customerId`, `terminalId`, `ipAddress`, `deviceId`) or the source column the spec maps to one. */
  key?: string;
  /** Previous transactions per row. */
  previous?: number;
}

/**
 * The entity key a `--sequence-key` value names: an entity key itself, or the source column the
 * spec maps to one (`CUSTOMER_ID` → `customerId` in the handbook spec).
 *
 * @throws ConfigError `invalid_flag` naming the keys and columns it could be
 */
export function sequenceKeyOf(spec: FeatureSpec, value: string): EntityKey {
  if ((ENTITY_KEYS as readonly string[]).includes(value)) {
    if (spec.columns[value as EntityKey] === undefined)
      throw new ConfigError(
        'invalid_flag',
        `--sequence-key ${value}: the feature spec '${spec.name}' maps no column to ${value}`,
      );
    return value as EntityKey;
  }
  const key = ENTITY_KEYS.find((k) => spec.columns[k] === value);
  if (key !== undefined) return key;
  const choices = ENTITY_KEYS.filter((k) => spec.columns[k] !== undefined).map((k) => `${k} (${spec.columns[k]})`);
  throw new ConfigError(
    'invalid_flag',
    `--sequence-key ${JSON.stringify(value)} is not an entity of the feature spec '${spec.name}': use one of ${choices.join(', ')}`,
  );
}

/**
 * The spec a sequence model trains on: the spec's `sequence` with the key and length chosen
 * (given values first, then the spec's own, then the customer and 5 previous transactions).
 */
export function withSequence(spec: FeatureSpec, choice: SequenceChoice = {}): FeatureSpec {
  const key = choice.key === undefined ? (spec.sequence?.key ?? 'customerId') : sequenceKeyOf(spec, choice.key);
  const length = choice.previous ?? spec.sequence?.length ?? DEFAULT_PREVIOUS_TRANSACTIONS;
  return { ...spec, sequence: { ...spec.sequence, key, length } };
}

/** What a bundle records of the spec a model trained on (see {@link FeatureSpecRecord}). */
export function featureSpecRecord(
  spec: FeatureSpec,
  input: 'features' | 'sequences',
  specSha256: string,
): FeatureSpecRecord {
  const featureNames = spec.features.map((f) => f.name);
  if (input === 'features') return { spec, specSha256, featureNames, input };
  const sequence = spec.sequence;
  if (sequence === undefined) throw new ConfigError('no_sequence', `feature spec '${spec.name}' has no sequence`);
  const previous = sequence.length ?? DEFAULT_PREVIOUS_TRANSACTIONS;
  return {
    spec,
    specSha256,
    featureNames,
    input,
    sequence: {
      key: sequence.key ?? 'customerId',
      previous,
      steps: previous + 1,
      features: [...(sequence.features ?? featureNames)],
    },
  };
}

/** A replay's output as the model inputs need it. */
export interface ModelReplay {
  featureNames: readonly string[];
  /** nRows × features, row-major, every row. */
  features: Float64Array;
  /** Sequence rows of the rows asked for, when the model reads sequences. */
  sequences?: Float32Array;
  sequenceWidth: number;
  /** Row → its slot in `sequences` (−1 for rows not asked for). */
  sequenceSlot?: Int32Array;
}

/**
 * Replays transactions (in time order) through the recorded spec. Every row passes through the
 * executor; sequence rows are written only for `rows` (ascending) when the model reads them.
 *
 * @throws BundleError `bundle_invalid` when the executor's features are not the recorded ones
 */
export function replayForModel(record: FeatureSpecRecord, tx: TransactionColumns, rows: Int32Array): ModelReplay {
  const sequenceInput = record.input === 'sequences';
  const replay = replayTransactions(record.spec, tx, { sequenceRows: sequenceInput ? rows : new Int32Array(0) });
  if (replay.featureNames.join('\u0000') !== record.featureNames.join('\u0000'))
    throw new BundleError(
      'bundle_invalid',
      `the feature spec '${record.spec.name}' gives other features than recorded`,
    );
  if (!sequenceInput) return { featureNames: replay.featureNames, features: replay.features, sequenceWidth: 0 };
  const sequenceSlot = new Int32Array(tx.nRows).fill(-1);
  rows.forEach((row, slot) => {
    sequenceSlot[row] = slot;
  });
  return {
    featureNames: replay.featureNames,
    features: replay.features,
    sequences: replay.sequences,
    sequenceWidth: replay.sequenceWidth,
    sequenceSlot,
  };
}

/** The sequence rows of `rows` (each written by the replay), raw: sequence models scale inside. */
export function sequenceMatrix(replay: ModelReplay, rows: ArrayLike<number>): Matrix {
  const { sequences, sequenceSlot, sequenceWidth: width } = replay;
  if (sequences === undefined || sequenceSlot === undefined)
    throw new ConfigError('no_sequence', 'the replay wrote no sequences');
  const data = new Float32Array(rows.length * width);
  for (let r = 0; r < rows.length; r++) {
    const slot = sequenceSlot[rows[r] as number] as number;
    if (slot < 0) throw new ConfigError('no_sequence', `the replay wrote no sequence for row ${rows[r]}`);
    data.set(sequences.subarray(slot * width, (slot + 1) * width), r * width);
  }
  return { data, nRows: rows.length, nCols: width };
}

/**
 * Per-feature standardisation of replayed features, fitted on training rows: mean and population
 * standard deviation (1 for a constant feature), no clipping or log, so a fraud's extreme amount
 * stays extreme. What `vigil benchmark fraud` and spec bundles of single-transaction models use.
 */
export interface FeatureStandardisationState {
  kind: 'feature-standardisation';
  version: 1;
  featureNames: string[];
  mean: number[];
  std: number[];
}

/** The `preprocessing` of a sequence model's bundle: raw sequences, scaled by the model itself. */
export interface RawSequencesState {
  kind: 'raw-sequences';
  version: 1;
}

/** Fits the standardisation of each feature on `trainRows` of a row-major nRows × featureNames matrix. */
export function fitFeatureStandardisation(
  features: Float64Array,
  featureNames: readonly string[],
  trainRows: ArrayLike<number>,
): FeatureStandardisationState {
  const nCols = featureNames.length;
  const mean: number[] = [];
  const std: number[] = [];
  const column = new Float64Array(trainRows.length);
  for (let c = 0; c < nCols; c++) {
    for (let r = 0; r < trainRows.length; r++) column[r] = features[(trainRows[r] as number) * nCols + c] as number;
    const s = meanStd(column);
    mean.push(s.mean);
    std.push(s.std > 0 ? s.std : 1);
  }
  return { kind: 'feature-standardisation', version: 1, featureNames: [...featureNames], mean, std };
}

/** The standardised features of `rows`, as Float32 model input. */
export function standardisedFeatures(
  state: FeatureStandardisationState,
  features: Float64Array,
  rows: ArrayLike<number>,
): Matrix {
  const nCols = state.featureNames.length;
  const { mean, std } = state;
  const data = new Float32Array(rows.length * nCols);
  for (let r = 0; r < rows.length; r++) {
    const at = (rows[r] as number) * nCols;
    for (let c = 0; c < nCols; c++)
      data[r * nCols + c] = ((features[at + c] as number) - (mean[c] as number)) / (std[c] as number);
  }
  return { data, nRows: rows.length, nCols };
}

/** Checks a bundle's `preprocessing` for a spec bundle and returns it typed. */
export function specPreprocessing(
  record: FeatureSpecRecord,
  state: unknown,
): FeatureStandardisationState | RawSequencesState {
  const s = state as Partial<FeatureStandardisationState> | Partial<RawSequencesState> | undefined;
  if (record.input === 'sequences' && s?.kind === 'raw-sequences') return s as RawSequencesState;
  if (record.input === 'features' && s?.kind === 'feature-standardisation') {
    const f = s as FeatureStandardisationState;
    const n = record.featureNames.length;
    if (
      Array.isArray(f.mean) &&
      Array.isArray(f.std) &&
      f.mean.length === n &&
      f.std.length === n &&
      f.featureNames?.join('\u0000') === record.featureNames.join('\u0000')
    )
      return f;
  }
  throw new BundleError('bundle_invalid', `the preprocessing state does not fit the bundle's ${record.input} input`);
}

/** Model input for `rows` of a replay, through the bundle's preprocessing. */
export function modelInput(
  record: FeatureSpecRecord,
  preprocessing: FeatureStandardisationState | RawSequencesState,
  replay: ModelReplay,
  rows: ArrayLike<number>,
): Matrix {
  return record.input === 'sequences'
    ? sequenceMatrix(replay, rows)
    : standardisedFeatures(preprocessing as FeatureStandardisationState, replay.features, rows);
}

/**
 * One column of a raw transaction file that the spec does not map (a split flag, a card id), read
 * as the given kind, row for row with `transactionsFromCsv`'s rows.
 *
 * @throws DataError `missing_column` naming the flag's column, or `row_count_mismatch`
 */
export async function readExtraColumn(
  path: string,
  name: string,
  kind: ColumnKind,
  expectedRows: number,
  flag: string,
): Promise<Column> {
  const header = await csvHeader(path);
  if (!header.includes(name))
    throw new DataError(
      'missing_column',
      `${flag} ${name}: ${path} has no column "${name}" (columns: ${header.join(', ')})`,
    );
  const { table } = await readTable(path, { schema: { columns: [{ name, kind }] } });
  if (table.nRows !== expectedRows)
    throw new DataError(
      'row_count_mismatch',
      `${path}: read ${table.nRows} rows for ${name} but ${expectedRows} transactions`,
    );
  return table.columns[0] as Column;
}

/** The header of a CSV file (plain or .gz); the delimiter is detected unless given. */
export async function csvHeader(path: string, delimiter?: string): Promise<string[]> {
  for await (const batch of readCsv(path, { batchSize: 1, ...(delimiter ? { delimiter } : {}) })) return batch.header;
  return [];
}

/**
 * Rows of transactions at or after `testFrom` (an ISO date or datetime, UTC without a zone) as the
 * test part, earlier ones as training.
 *
 * @throws ConfigError `invalid_flag` for a bad date; DataError `empty_split`
 */
export function timeSplitRows(timestampSeconds: Float64Array, testFrom: string): Split {
  const cutoffMs = parseDatetimeCell(testFrom);
  if (Number.isNaN(cutoffMs))
    throw new ConfigError(
      'invalid_flag',
      `--test-from must be a date like 2018-08-08, got ${JSON.stringify(testFrom)}`,
    );
  const train: number[] = [];
  const test: number[] = [];
  for (let i = 0; i < timestampSeconds.length; i++)
    ((timestampSeconds[i] as number) * 1000 >= cutoffMs ? test : train).push(i);
  if (train.length === 0 || test.length === 0)
    throw new DataError(
      'empty_split',
      `--test-from ${testFrom} puts ${test.length === 0 ? 'no' : 'every'} transaction in the test part (${train.length} train, ${test.length} test)`,
    );
  return { trainRows: Int32Array.from(train), testRows: Int32Array.from(test) };
}

/** The given rows of replayed features (row-major, `featureNames.length` per row) as a table of numeric columns. */
export function featureTable(features: Float64Array, featureNames: readonly string[], rows: ArrayLike<number>): Table {
  const nCols = featureNames.length;
  const nRows = rows.length;
  return {
    nRows,
    columns: featureNames.map((name, c) => {
      const values = new Float64Array(nRows);
      for (let r = 0; r < nRows; r++) values[r] = features[(rows[r] as number) * nCols + c] as number;
      return { name, kind: 'numeric' as const, values };
    }),
  };
}

/** The inverse of {@link featureTable}: the named numeric columns of a table as row-major features. */
export function tableFeatures(table: Table, featureNames: readonly string[]): Float64Array {
  const nCols = featureNames.length;
  const out = new Float64Array(table.nRows * nCols);
  featureNames.forEach((name, c) => {
    const col = table.columns.find((cc) => cc.name === name);
    if (col === undefined || isDictionaryColumn(col))
      throw new DataError('missing_column', `feature ${name} is not a numeric column`);
    for (let r = 0; r < table.nRows; r++) out[r * nCols + c] = col.values[r] as number;
  });
  return out;
}
