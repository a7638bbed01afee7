import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { isMissingCell, parseBooleanWord, parseDatetimeCell, parseNumberCell } from './cell-parsers.js';
import { readCsv } from './read-csv.js';
import type { ColumnKind, Schema } from './table.js';

/** Kind overrides by column name, as read from a schema file. */
export type SchemaOverrides = Record<string, ColumnKind>;

/**
 * Share of non-missing cells that must parse as numbers (or datetimes) for a column with a few
 * stray values to stay numeric; the strays are then reported as errors instead of the whole column
 * silently becoming categorical.
 */
export const DOMINANT_KIND_SHARE = 0.98;

/** A text column needs more than this many values, all distinct, to be inferred an identifier. */
export const MIN_IDENTIFIER_ROWS = 50;

/** What a pass over a column's cells found, enough to decide its kind. */
export interface ColumnProfile {
  nonMissing: number;
  numeric: number;
  /** Cells that are boolean words (true/false, yes/no, y/n, t/f), not counting numbers. */
  boolean: number;
  datetime: number;
  /** Every distinct non-missing value while all are distinct; null from the first repeat on. */
  distinct: Set<string> | null;
}

/**
 * True when a column name reads as an identifier: its first or last word is "id", where words are
 * split at `_`, `-`, `.`, spaces and camelCase humps. Matches `id`, `ID`, `customer_id`,
 * `TRANSACTION_ID`, `customerId`, `userID`, `id_client`; not `paid`, `valid` or `is_id_verified`.
 */
export function isIdentifierName(name: string): boolean {
  const words = name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .filter((w) => w.length > 0);
  const first = words[0]?.toLowerCase();
  const last = words[words.length - 1]?.toLowerCase();
  return first === 'id' || last === 'id';
}

/** A fresh profile. */
export function emptyProfile(trackDistinct = true): ColumnProfile {
  return { nonMissing: 0, numeric: 0, boolean: 0, datetime: 0, distinct: trackDistinct ? new Set() : null };
}

/** Adds one cell to a profile. */
export function profileCell(profile: ColumnProfile, text: string): void {
  if (isMissingCell(text)) return;
  profile.nonMissing++;
  if (!Number.isNaN(parseNumberCell(text))) profile.numeric++;
  else if (!Number.isNaN(parseBooleanWord(text))) profile.boolean++;
  else if (!Number.isNaN(parseDatetimeCell(text))) profile.datetime++;
  const distinct = profile.distinct;
  if (distinct !== null) {
    const before = distinct.size;
    distinct.add(text);
    if (distinct.size === before) profile.distinct = null;
  }
}

/** A kind decision and, when it deserves a mention, why. */
export interface KindDecision {
  kind: ColumnKind;
  note?: string;
}

/**
 * Decides a column's kind from its name and profile. The first rule that applies wins:
 * 1. the name reads as an id ({@link isIdentifierName}) → identifier;
 * 2. no values at all → categorical (noted);
 * 3. every value a boolean word → boolean (0/1 columns stay numeric);
 * 4. every value an ISO date/datetime → datetime;
 * 5. at least {@link DOMINANT_KIND_SHARE} of values numbers → numeric, and the others are reported
 *    as `invalid_number` when the table is built;
 * 6. the same for datetimes → datetime (`invalid_datetime`);
 * 7. more than {@link MIN_IDENTIFIER_ROWS} values, all distinct, and not numeric → identifier (noted);
 * 8. otherwise categorical.
 */
export function decideKind(name: string, profile: ColumnProfile): KindDecision {
  const { nonMissing, numeric, boolean, datetime } = profile;
  if (isIdentifierName(name)) return { kind: 'identifier' };
  if (nonMissing === 0) return { kind: 'categorical', note: `column "${name}" has no values; read as categorical` };
  if (boolean === nonMissing) return { kind: 'boolean' };
  if (datetime === nonMissing) return { kind: 'datetime' };
  if (numeric >= DOMINANT_KIND_SHARE * nonMissing) return { kind: 'numeric' };
  if (datetime >= DOMINANT_KIND_SHARE * nonMissing) return { kind: 'datetime' };
  if (profile.distinct !== null && nonMissing > MIN_IDENTIFIER_ROWS) {
    return {
      kind: 'identifier',
      note: `column "${name}" read as an identifier: all ${nonMissing} values are distinct`,
    };
  }
  return { kind: 'categorical' };
}

/** Checks that every override names a header column; throws `ConfigError('unknown_column')` otherwise. */
export function checkOverrideColumns(overrides: SchemaOverrides, columns: readonly string[], source: string): void {
  const known = new Set(columns);
  const unknown = Object.keys(overrides).filter((name) => !known.has(name));
  if (unknown.length === 0) return;
  throw new ConfigError(
    'unknown_column',
    `schema overrides name column${unknown.length === 1 ? '' : 's'} not in ${source}: ${unknown.map((u) => JSON.stringify(u)).join(', ')}`,
    {
      issues: unknown.map((name) => ({
        code: 'unknown_column',
        path: ['columns', name],
        message: `column ${JSON.stringify(name)} is not in ${source}`,
      })),
    },
  );
}

/**
 * Accumulates column profiles batch by batch and decides the schema at the end; shared by
 * {@link inferSchema} and `readTable`, which profiles while it reads.
 */
export class SchemaProfiler {
  private readonly profiles: (ColumnProfile | null)[];
  private readonly width: number;

  /** Throws `ConfigError('unknown_column')` when an override names a column not in `header`. */
  constructor(
    readonly header: readonly string[],
    private readonly overrides: SchemaOverrides,
    source: string,
  ) {
    checkOverrideColumns(overrides, header, source);
    this.width = header.length;
    // Overridden and id-named columns need no profile, which also spares them the distinct-value set.
    this.profiles = header.map((name) =>
      overrides[name] !== undefined || isIdentifierName(name) ? null : emptyProfile(true),
    );
  }

  /** Profiles a batch; ragged records are skipped (they are reported when the table is built). */
  add(records: readonly (readonly string[])[]): void {
    const width = this.width;
    for (let c = 0; c < width; c++) {
      const profile = this.profiles[c];
      if (profile === null || profile === undefined) continue;
      for (const record of records) {
        if (record.length === width) profileCell(profile, record[c] as string);
      }
    }
  }

  /** The schema in header order, with notes on decisions a user may want to check. */
  finish(): { schema: Schema; warnings: string[] } {
    const warnings: string[] = [];
    const columns = this.header.map((name, c) => {
      const forced = this.overrides[name];
      if (forced !== undefined) return { name, kind: forced };
      const profile = this.profiles[c];
      if (profile === null || profile === undefined) return { name, kind: 'identifier' as const };
      const decision = decideKind(name, profile);
      if (decision.note !== undefined) warnings.push(decision.note);
      return { name, kind: decision.kind };
    });
    return { schema: { columns }, warnings };
  }
}

/** Options for {@link inferSchema}. */
export interface InferSchemaOptions {
  delimiter?: string;
  /** Kinds to use instead of inferring, by column name. */
  overrides?: SchemaOverrides;
}

/** What {@link inferSchema} learned about a file. */
export interface InferredSchema {
  schema: Schema;
  /** Notes worth showing a user, e.g. a column read as an identifier because its values are distinct. */
  warnings: string[];
  /** Data rows, including ragged ones. */
  nRows: number;
  delimiter: string;
  /** sha256 hex of the file's bytes as stored. */
  fingerprint: string;
}

/**
 * Infers every column's kind from all rows of a CSV file (see {@link decideKind} for the rules),
 * in one streaming pass that also counts rows and fingerprints the file. Ragged rows are skipped
 * here; `readTable` reports them.
 * @example
 * const { schema } = await inferSchema('german_credit.csv');
 * schema.columns.find((c) => c.name === 'purpose')?.kind; // 'categorical'
 */
export async function inferSchema(path: string, options: InferSchemaOptions = {}): Promise<InferredSchema> {
  const hash = createHash('sha256');
  let profiler: SchemaProfiler | undefined;
  let delimiter = options.delimiter ?? ',';
  let nRows = 0;
  for await (const batch of readCsv(path, { delimiter: options.delimiter, onRawBytes: (c) => hash.update(c) })) {
    profiler ??= new SchemaProfiler(batch.header, options.overrides ?? {}, path);
    delimiter = batch.delimiter;
    profiler.add(batch.records);
    nRows += batch.records.length;
  }
  // readCsv throws rather than yield nothing, so a profiler exists here.
  const { schema, warnings } = (profiler as SchemaProfiler).finish();
  return { schema, warnings, nRows, delimiter, fingerprint: hash.digest('hex') };
}
