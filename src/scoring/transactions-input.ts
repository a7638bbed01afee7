import { parseDatetimeCell } from '../data/index.js';
import { ConfigError, DataError } from '../errors.js';
import { type FeatureSpec, type TransactionColumns, transactionsFromCsv } from '../features/index.js';
import { csvHeader } from '../training/feature-inputs.js';
import type { ScoringModel } from './scoring-model.js';

/** The spec's features that read past labels (label windows, e.g. a terminal's fraud rate). */
function labelFeatures(spec: FeatureSpec): string[] {
  return spec.features.filter((f) => f.kind === 'window' && f.field === 'label').map((f) => f.name);
}

/**
 * Reads a raw transaction file for a spec bundle, through the bundle's recorded spec. A file
 * without the label column is read without labels when no feature uses them (`vigil predict` on
 * new events); when features read past labels, or `needLabels` (evaluation), the column is
 * required, with a message saying why.
 *
 * @throws DataError `missing_column`, or the reader's `invalid_transactions`
 */
export async function readTransactionsForModel(
  path: string,
  model: ScoringModel,
  { needLabels }: { needLabels: boolean },
): Promise<TransactionColumns> {
  const record = model.features;
  if (record === undefined)
    throw new ConfigError('no_feature_spec', `model bundle ${model.dir} has no feature spec to read transactions with`);
  const { spec } = record;
  const label = spec.columns.label;
  let readSpec = spec;
  if (label !== undefined) {
    const header = await csvHeader(path);
    if (!header.includes(label)) {
      const readers = labelFeatures(spec);
      if (needLabels)
        throw new DataError(
          'missing_column',
          `${path}: no label column ${label} to evaluate against (columns: ${header.join(', ')})`,
        );
      if (readers.length > 0)
        throw new DataError(
          'missing_column',
          `${path}: the feature spec '${spec.name}' computes ${readers.join(', ')} from past labels, so the file needs its label column ${label}: ` +
            'the known 0/1 labels of the history, and 0 where a label is not known yet (a feature reads a label only once its delay has passed)',
        );
      const { label: _unused, ...columns } = spec.columns;
      readSpec = { ...spec, columns };
    }
  }
  return transactionsFromCsv(path, readSpec);
}

/**
 * The rows to score: every row, or those at or after `scoreFrom` (the earlier rows are history).
 *
 * @throws ConfigError `invalid_flag` for a bad date; DataError `no_rows` when no row is that late
 */
export function scoredRows(tx: TransactionColumns, scoreFrom: string | undefined): Int32Array {
  if (scoreFrom === undefined) return Int32Array.from({ length: tx.nRows }, (_, i) => i);
  const cutoffMs = parseDatetimeCell(scoreFrom);
  if (Number.isNaN(cutoffMs))
    throw new ConfigError(
      'invalid_flag',
      `--score-from must be a date like 2018-08-08, got ${JSON.stringify(scoreFrom)}`,
    );
  const rows: number[] = [];
  for (let i = 0; i < tx.nRows; i++) if ((tx.timestampSeconds[i] as number) * 1000 >= cutoffMs) rows.push(i);
  if (rows.length === 0)
    throw new DataError('no_rows', `no transaction at or after --score-from ${scoreFrom} (${tx.nRows} read)`);
  return Int32Array.from(rows);
}
