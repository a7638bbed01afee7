import { parseDatetimeCell, parseNumberCell, readCsv } from '../data/index.js';
import { DataError, type Issue } from '../errors.js';
import type { TransactionEvent } from './feature-executor.js';
import type { EventField, FeatureSpec } from './feature-spec.js';

/** Transactions as columns, in file order (which must be time order for replay). */
export interface TransactionColumns {
  nRows: number;
  ids: string[];
  timestampSeconds: Float64Array;
  customerIds: string[];
  terminalIds: string[];
  amounts: Float64Array;
  /** 0/1 labels when the spec maps a label column. */
  labels?: Float64Array;
  /** The event of row i, for {@link FeatureExecutor.update}. */
  event(i: number): TransactionEvent;
}

/** Problems reported before giving up on a file; the error lists them all. */
const MAX_ISSUES = 20;

/**
 * Reads a transaction CSV (plain or .gz) through a spec's column mapping. Timestamps are
 * `YYYY-MM-DD HH:MM:SS` (UTC unless a zone is given) or ISO 8601; amounts decimal numbers; labels
 * 0/1. Every malformed cell is reported with its line and column, up to 20, in one DataError.
 */
export async function transactionsFromCsv(path: string, spec: FeatureSpec): Promise<TransactionColumns> {
  const issues: Issue[] = [];
  const ids: string[] = [];
  const customerIds: string[] = [];
  const terminalIds: string[] = [];
  let times: Float64Array = new Float64Array(1 << 16);
  let amounts: Float64Array = new Float64Array(1 << 16);
  let labels: Float64Array | undefined = spec.columns.label === undefined ? undefined : new Float64Array(1 << 16);
  let n = 0;
  let latestSeconds = Number.NEGATIVE_INFINITY;
  let at: Partial<Record<EventField, number>> | undefined;
  const report = (line: number, column: string, message: string) => {
    issues.push({ code: 'invalid_transaction', path: [`line ${line}`, column], message });
    if (issues.length >= MAX_ISSUES) throw failure(path, issues);
  };
  for await (const batch of readCsv(path)) {
    if (at === undefined) {
      at = {};
      for (const [field, column] of Object.entries(spec.columns) as [EventField, string][]) {
        const index = batch.header.indexOf(column);
        if (index < 0)
          throw new DataError(
            'missing_column',
            `${path}: the feature spec '${spec.name}' maps ${field} to column '${column}', which the file does not have (columns: ${batch.header.join(', ')})`,
          );
        at[field] = index;
      }
    }
    const columnOf = at;
    for (let r = 0; r < batch.records.length; r++) {
      const record = batch.records[r] as string[];
      const line = batch.lines[r] as number;
      if (n === times.length) {
        times = grow(times);
        amounts = grow(amounts);
        if (labels) labels = grow(labels);
      }
      const ms = parseDatetimeCell(cellOf(record, columnOf, 'timestamp'));
      if (Number.isNaN(ms))
        report(
          line,
          spec.columns.timestamp as string,
          `not a date and time: '${cellOf(record, columnOf, 'timestamp')}'`,
        );
      const amount = parseNumberCell(cellOf(record, columnOf, 'amount'));
      if (Number.isNaN(amount))
        report(line, spec.columns.amount as string, `not a number: '${cellOf(record, columnOf, 'amount')}'`);
      for (const field of ['customerId', 'terminalId'] as const)
        if (cellOf(record, columnOf, field) === '') report(line, spec.columns[field] as string, 'is empty');
      if (labels) {
        const label = parseNumberCell(cellOf(record, columnOf, 'label'));
        if (label !== 0 && label !== 1)
          report(line, spec.columns.label as string, `not a 0/1 label: '${cellOf(record, columnOf, 'label')}'`);
        labels[n] = label;
      }
      if (ms / 1000 < latestSeconds)
        report(line, spec.columns.timestamp as string, 'earlier than a row before it: rows must be in time order');
      if (ms / 1000 > latestSeconds) latestSeconds = ms / 1000;
      times[n] = ms / 1000;
      amounts[n] = amount;
      ids.push(spec.columns.id === undefined ? String(n) : cellOf(record, columnOf, 'id'));
      customerIds.push(cellOf(record, columnOf, 'customerId'));
      terminalIds.push(cellOf(record, columnOf, 'terminalId'));
      n++;
    }
  }
  if (issues.length > 0) throw failure(path, issues);
  const timestampSeconds = times.subarray(0, n);
  const amountValues = amounts.subarray(0, n);
  const labelValues = labels?.subarray(0, n);
  return {
    nRows: n,
    ids,
    timestampSeconds,
    customerIds,
    terminalIds,
    amounts: amountValues,
    labels: labelValues,
    event: (i) => ({
      timestampSeconds: timestampSeconds[i] as number,
      customerId: customerIds[i] as string,
      terminalId: terminalIds[i] as string,
      amount: amountValues[i] as number,
      label: labelValues?.[i],
    }),
  };
}

function cellOf(record: string[], columnOf: Partial<Record<EventField, number>>, field: EventField): string {
  return record[columnOf[field] as number] ?? '';
}

function grow(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length * 2);
  b.set(a);
  return b;
}

function failure(path: string, issues: Issue[]): DataError {
  const shown = issues
    .slice(0, 5)
    .map((i) => `${i.path.join(', ')}: ${i.message}`)
    .join('; ');
  return new DataError('invalid_transactions', `${path}: ${issues.length} problem(s): ${shown}`, { issues });
}
