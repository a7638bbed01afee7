import type Database from 'better-sqlite3';
import type { Decision } from '../scoring/index.js';
import type { ActivityKind, StoredActivityEvent } from './activity-store.js';
import type { AuditStore } from './audit-store.js';

/** A logged decision as the in-memory views rebuilt at start read it back (personal ids as pseudonyms). */
export interface LoggedDecision {
  ordinal: number;
  eventId: string;
  timestampSeconds: number;
  customerId: string;
  terminalId: string;
  ipAddress: string | undefined;
  deviceId: string | undefined;
  decision: Decision;
  /** NaN when the model gave none. */
  score: number;
}

/** A logged login or behaviour event with its decision. */
export interface LoggedActivity {
  eventId: string;
  kind: ActivityKind;
  timestampSeconds: number;
  event: StoredActivityEvent;
}

/** Which of the newest logged events to read back. */
export interface RecentBounds {
  /** At most this many, the newest. */
  maxEvents: number;
  /**
   * Only from this many seconds of event time before the newest logged event on (default: no
   * limit). Where the log starts is found by event time, which late events make only nearly
   * ordered: a few events just older than that may come too.
   */
  spanSeconds?: number;
}

interface DecisionRow {
  ordinal: number;
  event_id: string;
  event_time: string;
  customer: string;
  terminal: string;
  ip: string | null;
  device: string | null;
  decision: Decision;
  score: number | null;
}

/**
 * The newest logged decisions within `bounds`, oldest first (ordinal order: the order they were
 * decided in). For the views kept in memory and rebuilt at start: entity profiles' recent
 * decisions, and early warning's indicators.
 */
export function* recentDecisions(audit: AuditStore, bounds: RecentBounds): Generator<LoggedDecision> {
  const rows = rowsInSpan<DecisionRow>(
    audit,
    'decisions',
    'ordinal',
    `ordinal, event_id, event_time, customer_ref AS customer, terminal_id AS terminal,
       json_extract(event_json, '$.ipAddress') AS ip, json_extract(event_json, '$.deviceId') AS device,
       decision, score`,
    bounds,
  );
  for (const r of rows)
    yield {
      ordinal: r.ordinal,
      eventId: r.event_id,
      timestampSeconds: Date.parse(r.event_time) / 1000,
      customerId: r.customer,
      terminalId: r.terminal,
      ipAddress: r.ip ?? undefined,
      deviceId: r.device ?? undefined,
      decision: r.decision,
      score: r.score ?? Number.NaN,
    };
}

/** The newest logged login and behaviour events within `bounds`, oldest first (the order they were kept in). */
export function* recentActivity(audit: AuditStore, bounds: RecentBounds): Generator<LoggedActivity> {
  const rows = rowsInSpan<{ event_id: string; kind: ActivityKind; event_time: string; event_json: string }>(
    audit,
    'activity_decisions',
    'rowid',
    'event_id, kind, event_time, event_json',
    bounds,
  );
  for (const r of rows)
    yield {
      eventId: r.event_id,
      kind: r.kind,
      timestampSeconds: Date.parse(r.event_time) / 1000,
      event: JSON.parse(r.event_json) as StoredActivityEvent,
    };
}

/**
 * `columns` of the rows of `table` that `bounds` takes, in `key` order (`ordinal` or `rowid`, both
 * increasing in the order rows were logged); none when the table is empty or not in the file (a
 * file of a run before it was made).
 */
function rowsInSpan<Row>(
  audit: AuditStore,
  table: 'decisions' | 'activity_decisions',
  key: 'ordinal' | 'rowid',
  columns: string,
  bounds: RecentBounds,
): IterableIterator<Row> {
  const db = audit.connection;
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(table);
  const from = exists === undefined ? undefined : firstInSpan(db, table, key, bounds);
  if (from === undefined) return [][Symbol.iterator]();
  return db.prepare<[number], Row>(`SELECT ${columns} FROM ${table} WHERE ${key} >= ? ORDER BY ${key}`).iterate(from);
}

/**
 * The first key of the rows `bounds` takes, or undefined for an empty table. The span is found by
 * a binary search over the keys on their event times, which are nearly ordered: a handful of
 * lookups instead of a scan.
 */
function firstInSpan(
  db: Database.Database,
  table: 'decisions' | 'activity_decisions',
  key: 'ordinal' | 'rowid',
  bounds: RecentBounds,
): number | undefined {
  const newest = db.prepare<[], { n: number | null }>(`SELECT max(${key}) AS n FROM ${table}`).get()?.n;
  if (newest === null || newest === undefined || bounds.maxEvents <= 0) return undefined;
  const firstFrom = db.prepare<[number], { event_time: string }>(
    `SELECT event_time FROM ${table} WHERE ${key} >= ? ORDER BY ${key} LIMIT 1`,
  );
  // Every key up to `newest` has a row at or after it.
  const timeFromMs = (k: number) => Date.parse((firstFrom.get(k) as { event_time: string }).event_time);
  let lo = Math.max(0, newest - bounds.maxEvents + 1);
  if (bounds.spanSeconds === undefined) return lo;
  const cutoffMs = timeFromMs(newest) - bounds.spanSeconds * 1000;
  // The smallest key in [lo, newest] from which the rows are within the span.
  let hi = newest;
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2);
    if (timeFromMs(mid) >= cutoffMs) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
