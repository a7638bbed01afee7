/**
 * Login and behaviour events with their decisions, kept in the audit store's SQLite file and
 * written through its group commit. They sit in a table of their own, beside `decisions`: the
 * model does not score them and the online feature state never takes them, so they have no
 * ordinal, and the restart replay (which reads `decisions` by ordinal) never sees them.
 */
import type Database from 'better-sqlite3';
import type { Decision } from '../scoring/index.js';
import type { AuditStore } from './audit-store.js';
import { EventIdFilter } from './event-id-filter.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS activity_decisions (
  event_id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  received_at_ms INTEGER NOT NULL,
  event_time TEXT NOT NULL,
  customer_ref TEXT NOT NULL,
  event_json TEXT NOT NULL,
  decision TEXT NOT NULL,
  reasons_json TEXT NOT NULL,
  rules_hit_json TEXT NOT NULL,
  rules_version TEXT,
  latency_ms REAL NOT NULL,
  run_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS activity_customer ON activity_decisions (customer_ref, event_time);
`;

/** The kinds of event kept here: the ones the model does not score. */
export type ActivityKind = 'login' | 'behaviour';

/** A login or behaviour event as kept: the request's fields, personal identifiers pseudonymised. */
export interface StoredActivityEvent {
  kind: ActivityKind;
  id: string;
  timestamp: string;
  customerId: string;
  ipAddress?: string;
  deviceId?: string;
  [field: string]: unknown;
}

/** One login or behaviour event's audit record: decided by the rules alone. */
export interface ActivityRecord {
  eventId: string;
  kind: ActivityKind;
  /** When the service received the request, ms since the epoch. */
  receivedAtMs: number;
  event: StoredActivityEvent;
  decision: Decision;
  reasons: string[];
  rulesHit: string[];
  /** The version of the rule set that was evaluated (absent when no rule set was active). */
  rulesVersion?: string;
  latencyMs: number;
  /** Which run of the service decided it. */
  runId: string;
}

interface ActivityRow {
  event_id: string;
  kind: ActivityKind;
  received_at_ms: number;
  event_json: string;
  decision: Decision;
  reasons_json: string;
  rules_hit_json: string;
  rules_version: string | null;
  latency_ms: number;
  run_id: string;
}

/** Where login and behaviour decisions are kept (the service's interface to {@link ActivityStore}). */
export interface ActivityLog {
  has(eventId: string): boolean;
  find(eventId: string): ActivityRecord | undefined;
  /** Keeps the records; resolves once they are committed (with the decisions pending, if any). */
  append(records: readonly ActivityRecord[]): Promise<void>;
  /** Whether any record is kept (until one is, no id can clash with a transaction's). */
  hasAny(): boolean;
}

/**
 * Login and behaviour decisions in an audit store's file (the table is created when missing, so a
 * file of an earlier run opens as it is).
 *
 * @example
 * const activity = ActivityStore.on(auditStore);
 * await activity.append([record]); // committed in the audit store's next group commit
 */
export class ActivityStore implements ActivityLog {
  private readonly insert: Database.Statement;
  private readonly select: Database.Statement<[string], ActivityRow>;
  private readonly exists: Database.Statement<[string], { one: number }>;
  private readonly countAll: Database.Statement<[], { n: number }>;
  private readonly anyRow: Database.Statement<[], { one: number }>;
  /** Every id kept or appended: a transaction's duplicate check asks SQLite only on a "maybe". */
  private readonly eventIds: EventIdFilter;

  private constructor(private readonly audit: AuditStore) {
    const db = audit.connection;
    db.exec(SCHEMA);
    this.insert = db.prepare(
      `INSERT INTO activity_decisions (event_id, kind, received_at_ms, event_time, customer_ref, event_json, decision,
         reasons_json, rules_hit_json, rules_version, latency_ms, run_id)
       VALUES (@eventId, @kind, @receivedAtMs, @eventTime, @customerRef, @event, @decision, @reasons, @rulesHit,
         @rulesVersion, @latencyMs, @runId)`,
    );
    this.select = db.prepare('SELECT * FROM activity_decisions WHERE event_id = ?');
    this.exists = db.prepare('SELECT 1 AS one FROM activity_decisions WHERE event_id = ?');
    this.countAll = db.prepare('SELECT count(*) AS n FROM activity_decisions');
    this.anyRow = db.prepare('SELECT 1 AS one FROM activity_decisions LIMIT 1');
    this.eventIds = new EventIdFilter(Math.max(1 << 16, 2 * this.count()));
    for (const id of db.prepare('SELECT event_id FROM activity_decisions').pluck().iterate())
      this.eventIds.add(id as string);
  }

  /** The activity table of `audit`'s file (created when missing). */
  static on(audit: AuditStore): ActivityStore {
    return new ActivityStore(audit);
  }

  has(eventId: string): boolean {
    return this.eventIds.mightContain(eventId) && this.exists.get(eventId) !== undefined;
  }

  find(eventId: string): ActivityRecord | undefined {
    const row = this.select.get(eventId);
    if (row === undefined) return undefined;
    return {
      eventId: row.event_id,
      kind: row.kind,
      receivedAtMs: row.received_at_ms,
      event: JSON.parse(row.event_json) as StoredActivityEvent,
      decision: row.decision,
      reasons: JSON.parse(row.reasons_json) as string[],
      rulesHit: JSON.parse(row.rules_hit_json) as string[],
      ...(row.rules_version === null ? {} : { rulesVersion: row.rules_version }),
      latencyMs: row.latency_ms,
      runId: row.run_id,
    };
  }

  append(records: readonly ActivityRecord[]): Promise<void> {
    for (const r of records) this.eventIds.add(r.eventId);
    return this.audit.write(() => {
      for (const r of records)
        this.insert.run({
          eventId: r.eventId,
          kind: r.kind,
          receivedAtMs: r.receivedAtMs,
          eventTime: r.event.timestamp,
          customerRef: r.event.customerId,
          event: JSON.stringify(r.event),
          decision: r.decision,
          reasons: JSON.stringify(r.reasons),
          rulesHit: JSON.stringify(r.rulesHit),
          rulesVersion: r.rulesVersion ?? null,
          latencyMs: r.latencyMs,
          runId: r.runId,
        });
    });
  }

  hasAny(): boolean {
    return this.anyRow.get() !== undefined;
  }

  /** Login and behaviour decisions kept (a scan of the table). */
  count(): number {
    return this.countAll.get()?.n ?? 0;
  }
}
