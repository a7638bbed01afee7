/**
 * Alerts, kept in the audit store's SQLite file and written through its group commit: an alert
 * raised while an event is decided commits in the same transaction as the decision. An alert that
 * is raised again while it is not resolved (same kind, entity and rule) is updated — its count,
 * last-seen time and evidence — rather than duplicated; a partial unique index holds that.
 */
import type Database from 'better-sqlite3';
import { VigilError } from '../errors.js';
import {
  type AlertEvidence,
  type AlertKind,
  type AlertOutcome,
  type AlertSeverity,
  type AlertStatus,
  maxSeverity,
  type RaiseAlertInput,
} from '../monitoring/alert.js';
import type { EntityKind } from '../monitoring/entity-kinds.js';
import type { AuditStore } from './audit-store.js';

/** An alert operation that cannot be done: `alert_not_found`, or `invalid_transition` (e.g. resolving a resolved alert). */
export class AlertError extends VigilError {}

/** Event ids an alert's evidence keeps at most: the newest, as it is raised again and again. */
export const MAX_EVIDENCE_EVENTS = 200;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS alerts (
  id INTEGER PRIMARY KEY,
  created_at_ms INTEGER NOT NULL,
  last_seen_at_ms INTEGER NOT NULL,
  count INTEGER NOT NULL,
  kind TEXT NOT NULL,
  rule TEXT NOT NULL,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  entity_kind TEXT NOT NULL,
  entity_id TEXT NOT NULL,
  title TEXT NOT NULL,
  evidence_json TEXT NOT NULL,
  acked_by TEXT,
  acked_at_ms INTEGER,
  resolved_by TEXT,
  resolved_at_ms INTEGER,
  outcome TEXT,
  note TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS alerts_active ON alerts (kind, entity_kind, entity_id, rule) WHERE status != 'resolved';
CREATE INDEX IF NOT EXISTS alerts_entity ON alerts (entity_kind, entity_id);
CREATE INDEX IF NOT EXISTS alerts_status ON alerts (status, severity);
`;

/** An alert as kept. Times are ms since the epoch on the service's clock. */
export interface AlertRecord {
  id: number;
  createdAtMs: number;
  /** When it was last raised (equal to `createdAtMs` until raised again). */
  lastSeenAtMs: number;
  /** How many times it was raised while not resolved. */
  count: number;
  kind: AlertKind;
  rule: string;
  severity: AlertSeverity;
  status: AlertStatus;
  entityKind: EntityKind;
  entityId: string;
  title: string;
  evidence: AlertEvidence;
  acknowledgedBy: string | null;
  acknowledgedAtMs: number | null;
  resolvedBy: string | null;
  resolvedAtMs: number | null;
  outcome: AlertOutcome | null;
  note: string | null;
}

interface AlertRow {
  id: number;
  created_at_ms: number;
  last_seen_at_ms: number;
  count: number;
  kind: AlertKind;
  rule: string;
  severity: AlertSeverity;
  status: AlertStatus;
  entity_kind: EntityKind;
  entity_id: string;
  title: string;
  evidence_json: string;
  acked_by: string | null;
  acked_at_ms: number | null;
  resolved_by: string | null;
  resolved_at_ms: number | null;
  outcome: AlertOutcome | null;
  note: string | null;
}

function recordOf(row: AlertRow): AlertRecord {
  return {
    id: row.id,
    createdAtMs: row.created_at_ms,
    lastSeenAtMs: row.last_seen_at_ms,
    count: row.count,
    kind: row.kind,
    rule: row.rule,
    severity: row.severity,
    status: row.status,
    entityKind: row.entity_kind,
    entityId: row.entity_id,
    title: row.title,
    evidence: JSON.parse(row.evidence_json) as AlertEvidence,
    acknowledgedBy: row.acked_by,
    acknowledgedAtMs: row.acked_at_ms,
    resolvedBy: row.resolved_by,
    resolvedAtMs: row.resolved_at_ms,
    outcome: row.outcome,
    note: row.note,
  };
}

/** Which alerts to list; every field narrows, lists mean any of. */
export interface AlertFilter {
  status?: readonly AlertStatus[];
  severity?: readonly AlertSeverity[];
  kind?: readonly AlertKind[];
  entityKind?: EntityKind;
  entityId?: string;
  /** Created at or after, ms. */
  createdFromMs?: number;
  /** Created before, ms. */
  createdToMs?: number;
  /** Only alerts older than this id (the `next` cursor of the page before). */
  beforeId?: number;
  /** Page size (default 50). */
  limit?: number;
}

/** A page of alerts, newest first, and the cursor of the next page (undefined on the last). */
export interface AlertPage {
  alerts: AlertRecord[];
  nextBeforeId: number | undefined;
}

/** The result of raising an alert: the alert as kept, and whether it is new or an update of one not resolved. */
export interface RaisedAlert {
  alert: AlertRecord;
  created: boolean;
}

function mergeEvidence(old: AlertEvidence, next: AlertEvidence): AlertEvidence {
  const ids = [...old.eventIds];
  const seen = new Set(ids);
  for (const id of next.eventIds) if (!seen.has(id)) ids.push(id);
  return { ...old, ...next, eventIds: ids.slice(-MAX_EVIDENCE_EVENTS) };
}

/**
 * The alerts of an {@link AuditStore}'s file. Reads go straight to its connection; every write
 * joins its group commit, and a write's checks (does the alert exist, may it move to that status)
 * run inside that transaction, so two analysts resolving the same alert get one success and one
 * `invalid_transition`.
 *
 * @example
 * const alerts = AlertStore.on(AuditStore.open('vigil.db', { keyFingerprint }));
 * const { alert } = await alerts.raise({ kind: 'model', severity: 'high', entityKind: 'customer',
 *   entityId: pseudonym, rule: 'decline', title: 'declined: score 0.97', evidence: { eventIds: ['t1'] } }, Date.now());
 * await alerts.resolve(alert.id, { by: 'analyst:1a2b3c4d', atMs: Date.now(), outcome: 'fraud' });
 */
export class AlertStore {
  private readonly db: Database.Database;
  private readonly selectById: Database.Statement<[number], AlertRow>;
  private readonly selectActive: Database.Statement<[string, string, string, string], AlertRow>;
  private readonly insert: Database.Statement;
  private readonly update: Database.Statement;

  private constructor(private readonly audit: AuditStore) {
    this.db = audit.connection;
    this.db.exec(SCHEMA);
    this.selectById = this.db.prepare('SELECT * FROM alerts WHERE id = ?');
    this.selectActive = this.db.prepare(
      "SELECT * FROM alerts WHERE kind = ? AND entity_kind = ? AND entity_id = ? AND rule = ? AND status != 'resolved'",
    );
    this.insert = this.db.prepare(
      `INSERT INTO alerts (created_at_ms, last_seen_at_ms, count, kind, rule, severity, status, entity_kind, entity_id,
         title, evidence_json)
       VALUES (@atMs, @atMs, 1, @kind, @rule, @severity, 'open', @entityKind, @entityId, @title, @evidence)`,
    );
    this.update = this.db.prepare(
      `UPDATE alerts SET last_seen_at_ms = @atMs, count = count + 1, severity = @severity, title = @title,
         evidence_json = @evidence WHERE id = @id`,
    );
  }

  /** The alerts kept in `audit`'s file (the table is created when missing). */
  static on(audit: AuditStore): AlertStore {
    return new AlertStore(audit);
  }

  /**
   * Raises an alert at `atMs`: a new one, or an update of the same alert while it is not resolved
   * (count + 1, last seen, the more severe severity, the latest title and indicators, the event
   * ids merged). Resolves once committed.
   */
  raise(input: RaiseAlertInput, atMs: number): Promise<RaisedAlert> {
    let result: RaisedAlert | undefined;
    return this.audit
      .write(() => {
        const old = this.selectActive.get(input.kind, input.entityKind, input.entityId, input.rule);
        if (old === undefined) {
          const { lastInsertRowid } = this.insert.run({
            atMs,
            kind: input.kind,
            rule: input.rule,
            severity: input.severity,
            entityKind: input.entityKind,
            entityId: input.entityId,
            title: input.title,
            evidence: JSON.stringify(input.evidence),
          });
          result = { alert: recordOf(this.selectById.get(Number(lastInsertRowid)) as AlertRow), created: true };
        } else {
          const evidence = mergeEvidence(JSON.parse(old.evidence_json) as AlertEvidence, input.evidence);
          this.update.run({
            id: old.id,
            atMs,
            severity: maxSeverity(old.severity, input.severity),
            title: input.title,
            evidence: JSON.stringify(evidence),
          });
          result = { alert: recordOf(this.selectById.get(old.id) as AlertRow), created: false };
        }
      })
      .then(() => result as RaisedAlert);
  }

  /** The alert with this id. */
  get(id: number): AlertRecord | undefined {
    const row = this.selectById.get(id);
    return row === undefined ? undefined : recordOf(row);
  }

  /** Alerts matching `filter`, newest first (by id, which grows with creation), one page. */
  list(filter: AlertFilter = {}): AlertPage {
    const where: string[] = [];
    const params: (string | number)[] = [];
    const anyOf = (column: string, values: readonly string[] | undefined) => {
      if (values === undefined || values.length === 0) return;
      where.push(`${column} IN (${values.map(() => '?').join(', ')})`);
      params.push(...values);
    };
    anyOf('status', filter.status);
    anyOf('severity', filter.severity);
    anyOf('kind', filter.kind);
    if (filter.entityKind !== undefined) {
      where.push('entity_kind = ?');
      params.push(filter.entityKind);
    }
    if (filter.entityId !== undefined) {
      where.push('entity_id = ?');
      params.push(filter.entityId);
    }
    if (filter.createdFromMs !== undefined) {
      where.push('created_at_ms >= ?');
      params.push(filter.createdFromMs);
    }
    if (filter.createdToMs !== undefined) {
      where.push('created_at_ms < ?');
      params.push(filter.createdToMs);
    }
    if (filter.beforeId !== undefined) {
      where.push('id < ?');
      params.push(filter.beforeId);
    }
    const limit = filter.limit ?? 50;
    const rows = this.db
      .prepare<(string | number)[], AlertRow>(
        `SELECT * FROM alerts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`,
      )
      .all(...params, limit + 1);
    const alerts = rows.slice(0, limit).map(recordOf);
    return { alerts, nextBeforeId: rows.length > limit ? alerts[alerts.length - 1]?.id : undefined };
  }

  /** Alerts of an entity that are not resolved, newest first. */
  activeFor(entityKind: EntityKind, entityId: string): AlertRecord[] {
    return this.list({ entityKind, entityId, status: ['open', 'acknowledged'], limit: 100 }).alerts;
  }

  /**
   * Marks an open alert acknowledged by `by` at `atMs`.
   *
   * @throws AlertError `alert_not_found`; `invalid_transition` unless the alert is open
   */
  acknowledge(id: number, { by, atMs, note }: { by: string; atMs: number; note?: string }): Promise<AlertRecord> {
    return this.transition(id, ['open'], 'acknowledge', () =>
      this.db
        .prepare(
          "UPDATE alerts SET status = 'acknowledged', acked_by = ?, acked_at_ms = ?, note = coalesce(?, note) WHERE id = ?",
        )
        .run(by, atMs, note ?? null, id),
    );
  }

  /**
   * Resolves an open or acknowledged alert with an outcome. The caller turns the outcome into
   * labels of the alert's events.
   *
   * @throws AlertError `alert_not_found`; `invalid_transition` for an alert already resolved
   */
  resolve(
    id: number,
    { by, atMs, outcome, note }: { by: string; atMs: number; outcome: AlertOutcome; note?: string },
  ): Promise<AlertRecord> {
    return this.transition(id, ['open', 'acknowledged'], 'resolve', () =>
      this.db
        .prepare(
          "UPDATE alerts SET status = 'resolved', resolved_by = ?, resolved_at_ms = ?, outcome = ?, note = coalesce(?, note) WHERE id = ?",
        )
        .run(by, atMs, outcome, note ?? null, id),
    );
  }

  /** Alerts with status open, by kind and severity (for the open-alerts gauge). */
  openCounts(): { kind: AlertKind; severity: AlertSeverity; n: number }[] {
    return this.db
      .prepare<[], { kind: AlertKind; severity: AlertSeverity; n: number }>(
        "SELECT kind, severity, count(*) AS n FROM alerts WHERE status = 'open' GROUP BY kind, severity",
      )
      .all();
  }

  private transition(id: number, from: readonly AlertStatus[], verb: string, apply: () => void): Promise<AlertRecord> {
    // The check runs in the write's transaction; a refusal is returned, not thrown, so it does not
    // make the group commit retry everyone else's writes one by one.
    let outcome: AlertRecord | AlertError | undefined;
    return this.audit
      .write(() => {
        const row = this.selectById.get(id);
        if (row === undefined) outcome = new AlertError('alert_not_found', `no alert ${id}`);
        else if (!from.includes(row.status))
          outcome = new AlertError(
            'invalid_transition',
            `alert ${id} is ${row.status}: only ${from.join(' or ')} alerts can be ${verb}d`,
            { issues: [{ code: 'invalid_transition', path: ['status'], message: `the alert is ${row.status}` }] },
          );
        else {
          apply();
          outcome = recordOf(this.selectById.get(id) as AlertRow);
        }
      })
      .then(() => {
        if (outcome instanceof AlertError) throw outcome;
        return outcome as AlertRecord;
      });
  }
}
