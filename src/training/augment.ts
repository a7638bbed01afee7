import type { Column, Table } from '../data/table.js';
import { isDictionaryColumn, takeTableRows } from '../data/table.js';
import { ConfigError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import { availableSynthesizerKinds, createSynthesizer, smote } from '../synthesis/index.js';

/** The augmentation kinds of this build: SMOTE and every synthesizer the registry has. */
export function augmentKinds(): string[] {
  return ['smote', ...availableSynthesizerKinds()];
}

/** How the training part is augmented (`vigil train --augment KIND --augment-ratio R`). */
export interface AugmentOptions {
  kind: string;
  /** Synthetic minority rows per real minority row of the fitted rows (1 doubles the minority). */
  ratio: number;
  /** Epochs of a deep synthesizer (default: its own). */
  epochs?: number;
}

/** What a bundle and `--json` record of an augmentation. */
export interface AugmentationRecord {
  kind: string;
  ratio: number;
  /** The class the rows were made for (the rarer one of the fitted rows), as its label. */
  minorityClass: string;
  /** Real minority rows the model is fitted on, which the synthetic rows were made from. */
  minorityRows: number;
  rowsAdded: number;
  /** What the synthesizer (or SMOTE) saw: the minority rows of the training part, validation slice excluded. */
  fittedOn: 'training-minority-rows';
  synthMs: number;
}

/** Synthetic rows in model-input form, ready to append to the fitted rows. */
export interface AugmentedRows {
  x: Matrix;
  y: Float32Array;
  record: AugmentationRecord;
}

/**
 * Checks `--augment`/`--augment-ratio` before any work: the kind must be in this build, the ratio
 * in (0, 100], and the model one fitted on labels (not the autoencoder).
 */
export function checkAugmentOptions(options: AugmentOptions, model?: string): void {
  if (model === 'autoencoder')
    throw new ConfigError('invalid_flag', `--augment does not apply to --model ${model}, which fits without labels`);
  if (!augmentKinds().includes(options.kind))
    throw new ConfigError(
      'invalid_flag',
      `--augment ${options.kind} is not available in this build (available: ${augmentKinds().join(', ')})`,
    );
  if (!(options.ratio > 0 && options.ratio <= 100))
    throw new ConfigError(
      'invalid_flag',
      `--augment-ratio must be a number above 0 and at most 100, got ${options.ratio}`,
    );
}

/** The rarer class among `rows` of a 0/1 target, and those rows. */
export function minorityOf(y: Float32Array, rows: Int32Array): { minorityClass: 0 | 1; minorityRows: Int32Array } {
  let positives = 0;
  for (const r of rows) if (y[r] === 1) positives++;
  const minorityClass = positives <= rows.length - positives ? 1 : 0;
  return { minorityClass, minorityRows: rows.filter((r) => y[r] === minorityClass) };
}

function missingColumnLike(col: Column, n: number): Column {
  if (isDictionaryColumn(col)) return { ...col, codes: new Int32Array(n).fill(-1) };
  return { ...col, values: new Float64Array(n).fill(Number.NaN) };
}

/**
 * `nNew` synthetic rows like the given minority rows of `table`, with `table`'s columns: by SMOTE,
 * or by a synthesizer fitted on those rows alone (so it learns exactly the distribution being
 * augmented and needs no conditioning). Identifier and datetime columns, which synthesizers do not
 * model, come back missing.
 */
export async function synthesizeMinority(
  table: Table,
  minorityRows: Int32Array,
  nNew: number,
  options: AugmentOptions & { seed: number },
): Promise<Table> {
  if (options.kind === 'smote') return smote(table, minorityRows, nNew, { seed: options.seed });
  const modelled = table.columns.filter((c) => c.kind !== 'identifier' && c.kind !== 'datetime');
  const minority = takeTableRows({ nRows: table.nRows, columns: modelled }, minorityRows);
  const synthesizer = createSynthesizer(options.kind, {
    seed: options.seed,
    ...(options.epochs !== undefined ? { epochs: options.epochs } : {}),
  });
  await synthesizer.fit(minority);
  const sampled = await synthesizer.sample(nNew, { seed: options.seed + 1 });
  const byName = new Map(sampled.columns.map((c) => [c.name, c]));
  return { nRows: nNew, columns: table.columns.map((c) => byName.get(c.name) ?? missingColumnLike(c, nNew)) };
}

/**
 * Augments the fitted rows of a binary task: finds the rarer class among `fitRows`, makes
 * `round(ratio × its rows)` synthetic rows from those rows only, and returns them as model input
 * through `encode` (the preprocessing fitted on real rows).
 */
export async function augmentFitRows(
  table: Table,
  y: Float32Array,
  classes: string[],
  fitRows: Int32Array,
  options: AugmentOptions & { seed: number },
  encode: (synthetic: Table) => Matrix,
): Promise<AugmentedRows> {
  const started = performance.now();
  const { minorityClass, minorityRows } = minorityOf(y, fitRows);
  const nNew = Math.round(options.ratio * minorityRows.length);
  const synthetic = await synthesizeMinority(table, minorityRows, nNew, options);
  const x = encode(synthetic);
  return {
    x,
    y: new Float32Array(nNew).fill(minorityClass),
    record: {
      kind: options.kind,
      ratio: options.ratio,
      minorityClass: classes[minorityClass] ?? String(minorityClass),
      minorityRows: minorityRows.length,
      rowsAdded: nNew,
      fittedOn: 'training-minority-rows',
      synthMs: Math.round(performance.now() - started),
    },
  };
}
