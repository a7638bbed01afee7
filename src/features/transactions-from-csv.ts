import { statSync } from 'node:fs';
import { parseDatetimeCell, parseNumberCell, readCsv } from '../data/index.js';
import { DataError, type Issue } from '../errors.js';
import type { TransactionEvent } from './feature-executor.js';
import type { CategoryField, EventField, FeatureSpec } from './feature-spec.js';
import { startReplayThreads } from './replay-threads.js';

/** Optional text fields of an event; an empty cell means the event has none. */
const TEXT_FIELDS = ['channel', 'country', 'currency', 'ipAddress', 'deviceId'] as const;
type TextField = (typeof TEXT_FIELDS)[number];

/**
 * A text column dictionary-encoded: row i holds `values[codes[i]]`, or nothing where the code is
 * −1; codes are numbered in order of first appearance.
 */
export interface DictionaryColumn {
  codes: Int32Array;
  values: string[];
}

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
  /**
   * The key and category columns (customerId, terminalId and the mapped ipAddress, deviceId,
   * country, channel) as the reader encoded them, describing the same values as `customerIds`,
   * `terminalIds` and `text`. Optional: a replay encodes a column it does not find here itself
   * (slower), so code that builds or slices columns should leave it out rather than keep stale codes.
   */
  dictionaries?: Partial<Record<CategoryField, DictionaryColumn>>;
  /** The event of row i, for {@link FeatureExecutor.update}. */
  event(i: number): TransactionEvent;
}

/** Problems reported before giving up on a file; the error lists them all. */
const MAX_ISSUES = 20;
/** A file this large (some tens of thousands of transactions) is read to be replayed on threads: they start while it is read. */
const THREADED_REPLAY_FILE_BYTES = 2 * 1024 * 1024;

/**
 * Reads a transaction CSV (plain or .gz) through a spec's column mapping. Timestamps are
 * `YYYY-MM-DD HH:MM:SS` (UTC unless a zone is given) or ISO 8601; amounts finite decimal numbers;
 * labels 0/1; latitude and longitude in degrees or both empty. Every malformed cell is reported
 * with its line and column, up to 20, in one DataError.
 */
export async function transactionsFromCsv(path: string, spec: FeatureSpec): Promise<TransactionColumns> {
  try {
    if (statSync(path).size >= THREADED_REPLAY_FILE_BYTES) void startReplayThreads();
  } catch {
    // A missing or unreadable file is reported by the reader below.
  }
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
  // One string instance per value (less memory, and the executor's map lookups then match by
  // identity instead of comparing characters), numbered as it first appears: replays group rows
  // by entity with these codes instead of looking strings up again.
  const canonical = new Map<string, DictionaryEncoder>(
    ['customerId', 'terminalId', ...textFields].map((f) => [f, new DictionaryEncoder()]),
  );
  const encoderOf = (field: string) => canonical.get(field) as DictionaryEncoder;
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
        (text[field] as (string | undefined)[]).push(encoderOf(field).add(value === '' ? undefined : value));
      }
      if (ms / 1000 < latestSeconds)
        report(line, spec.columns.timestamp as string, 'earlier than a row before it: rows must be in time order');
      if (ms / 1000 > latestSeconds) latestSeconds = ms / 1000;
      times[n] = ms / 1000;
      amounts[n] = amount;
      ids.push(spec.columns.id === undefined ? String(n) : cell(record, 'id'));
      customerIds.push(encoderOf('customerId').add(cell(record, 'customerId')) as string);
      terminalIds.push(encoderOf('terminalId').add(cell(record, 'terminalId')) as string);
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
  const dictionaries: Partial<Record<CategoryField, DictionaryColumn>> = {};
  for (const field of ['customerId', 'terminalId', ...textFields] as const)
    if (field !== 'currency') dictionaries[field] = encoderOf(field).column(n);
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
    dictionaries,
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

/** Numbers a column's values as they first appear, and gives each value's first instance back. */
class DictionaryEncoder {
  private readonly index = new Map<string, number>();
  private readonly values: string[] = [];
  private codes = new Int32Array(1 << 16);
  private n = 0;

  /** Adds a row's value (undefined: none) and returns the value's canonical instance. */
  add(value: string | undefined): string | undefined {
    if (this.n === this.codes.length) {
      const grown = new Int32Array(this.codes.length * 2);
      grown.set(this.codes);
      this.codes = grown;
    }
    if (value === undefined) {
      this.codes[this.n++] = -1;
      return undefined;
    }
    let code = this.index.get(value);
    if (code === undefined) {
      code = this.values.length;
      this.index.set(value, code);
      this.values.push(value);
    }
    this.codes[this.n++] = code;
    return this.values[code];
  }

  column(nRows: number): DictionaryColumn {
    return { codes: this.codes.subarray(0, nRows), values: this.values };
  }
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
