import { parseDatetimeCell, parseNumberCell, readCsv } from '../data/index.js';
import { DataError, type Issue } from '../errors.js';
import type { TransactionEvent } from './feature-executor.js';
import type { EventField, FeatureSpec } from './feature-spec.js';

/** Optional text fields of an event; an empty cell means the event has none. */
const TEXT_FIELDS = ['channel', 'country', 'currency', 'ipAddress', 'deviceId'] as const;
type TextField = (typeof TEXT_FIELDS)[number];

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
  /** Optional fields the spec maps: text (undefined where empty) and coordinates (NaN where empty). */
  text: Partial<Record<TextField, (string | undefined)[]>>;
  latitudes?: Float64Array;
  longitudes?: Float64Array;
  /** The event of row i, for {@link FeatureExecutor.update}. */
  event(i: number): TransactionEvent;
}

/** Problems reported before giving up on a file; the error lists them all. */
const MAX_ISSUES = 20;

/**
 * Reads a transaction CSV (plain or .gz) through a spec's column mapping. Timestamps are
 * `YYYY-MM-DD HH:MM:SS` (UTC unless a zone is given) or ISO 8601; amounts finite decimal numbers;
 * labels 0/1; latitude and longitude in degrees or both empty. Every malformed cell is reported
 * with its line and column, up to 20, in one DataError.
 */
export async function transactionsFromCsv(path: string, spec: FeatureSpec): Promise<TransactionColumns> {
  const issues: Issue[] = [];
  const ids: string[] = [];
  const customerIds: string[] = [];
  const terminalIds: string[] = [];
  let times: Float64Array = new Float64Array(1 << 16);
  let amounts: Float64Array = new Float64Array(1 << 16);
  let labels: Float64Array | undefined = spec.columns.label === undefined ? undefined : new Float64Array(1 << 16);
  const located = spec.columns.latitude !== undefined && spec.columns.longitude !== undefined;
  let latitudes: Float64Array | undefined = located ? new Float64Array(1 << 16) : undefined;
  let longitudes: Float64Array | undefined = located ? new Float64Array(1 << 16) : undefined;
  const textFields = TEXT_FIELDS.filter((f) => spec.columns[f] !== undefined);
  const text: Partial<Record<TextField, (string | undefined)[]>> = Object.fromEntries(textFields.map((f) => [f, []]));
  // One string instance per value: less memory, and the executor's map lookups then match by
  // identity instead of comparing characters.
  const canonical = new Map<string, (value: string) => string>(
    ['customerId', 'terminalId', ...textFields].map((f) => [f, canonicalizer()]),
  );
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
    const cell = (record: string[], field: EventField) => record[columnOf[field] as number] ?? '';
    for (let r = 0; r < batch.records.length; r++) {
      const record = batch.records[r] as string[];
      const line = batch.lines[r] as number;
      if (n === times.length) {
        times = grow(times);
        amounts = grow(amounts);
        if (labels) labels = grow(labels);
        if (latitudes) latitudes = grow(latitudes);
        if (longitudes) longitudes = grow(longitudes);
      }
      const ms = parseDatetimeCell(cell(record, 'timestamp'));
      if (Number.isNaN(ms))
        report(line, spec.columns.timestamp as string, `not a date and time: '${cell(record, 'timestamp')}'`);
      const amount = parseNumberCell(cell(record, 'amount'));
      if (!Number.isFinite(amount))
        report(line, spec.columns.amount as string, `not a number: '${cell(record, 'amount')}'`);
      for (const field of ['customerId', 'terminalId'] as const)
        if (cell(record, field) === '') report(line, spec.columns[field] as string, 'is empty');
      if (labels) {
        const label = parseNumberCell(cell(record, 'label'));
        if (label !== 0 && label !== 1)
          report(line, spec.columns.label as string, `not a 0/1 label: '${cell(record, 'label')}'`);
        labels[n] = label;
      }
      if (latitudes && longitudes) {
        const latText = cell(record, 'latitude');
        const lonText = cell(record, 'longitude');
        const lat = latText === '' ? Number.NaN : parseNumberCell(latText);
        const lon = lonText === '' ? Number.NaN : parseNumberCell(lonText);
        if ((latText === '') !== (lonText === ''))
          report(line, spec.columns.latitude as string, 'latitude and longitude must both be given or both be empty');
        else if (latText !== '' && !(Math.abs(lat) <= 90 && Math.abs(lon) <= 180))
          report(line, spec.columns.latitude as string, `not a location: '${latText}', '${lonText}'`);
        latitudes[n] = lat;
        longitudes[n] = lon;
      }
      for (const field of textFields) {
        const value = cell(record, field);
        (text[field] as (string | undefined)[]).push(
          value === '' ? undefined : (canonical.get(field) as (v: string) => string)(value),
        );
      }
      if (ms / 1000 < latestSeconds)
        report(line, spec.columns.timestamp as string, 'earlier than a row before it: rows must be in time order');
      if (ms / 1000 > latestSeconds) latestSeconds = ms / 1000;
      times[n] = ms / 1000;
      amounts[n] = amount;
      ids.push(spec.columns.id === undefined ? String(n) : cell(record, 'id'));
      customerIds.push((canonical.get('customerId') as (v: string) => string)(cell(record, 'customerId')));
      terminalIds.push((canonical.get('terminalId') as (v: string) => string)(cell(record, 'terminalId')));
      n++;
    }
  }
  if (issues.length > 0) throw failure(path, issues);
  const timestampSeconds = times.subarray(0, n);
  const amountValues = amounts.subarray(0, n);
  const labelValues = labels?.subarray(0, n);
  const latValues = latitudes?.subarray(0, n);
  const lonValues = longitudes?.subarray(0, n);
  const { channel, country, currency, ipAddress, deviceId } = text;
  return {
    nRows: n,
    ids,
    timestampSeconds,
    customerIds,
    terminalIds,
    amounts: amountValues,
    labels: labelValues,
    text,
    latitudes: latValues,
    longitudes: lonValues,
    event: (i) => {
      const event: TransactionEvent = {
        id: ids[i],
        timestampSeconds: timestampSeconds[i] as number,
        customerId: customerIds[i] as string,
        terminalId: terminalIds[i] as string,
        amount: amountValues[i] as number,
        label: labelValues?.[i],
      };
      if (channel) event.channel = channel[i];
      if (country) event.country = country[i];
      if (currency) event.currency = currency[i];
      if (ipAddress) event.ipAddress = ipAddress[i];
      if (deviceId) event.deviceId = deviceId[i];
      if (latValues && lonValues && !Number.isNaN(latValues[i] as number)) {
        event.latitude = latValues[i];
        event.longitude = lonValues[i];
      }
      return event;
    },
  };
}

function canonicalizer(): (value: string) => string {
  const seen = new Map<string, string>();
  return (value) => {
    const known = seen.get(value);
    if (known !== undefined) return known;
    seen.set(value, value);
    return value;
  };
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
