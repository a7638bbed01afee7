/**
 * An entity's recent decisions, read from the audit store for entity profiles. The decisions
 * table keeps the customer and terminal as columns and the IP and device inside the event JSON;
 * indexes on the terminal and on those two JSON fields make each lookup an index range, at the
 * price of three more index entries per decision written.
 */
import type Database from 'better-sqlite3';
import type { EntityKind } from '../monitoring/entity-kinds.js';
import type { AuditStore } from './audit-store.js';
import type { DecisionRecord } from './decision-log.js';

const INDEXES = `
CREATE INDEX IF NOT EXISTS decisions_terminal ON decisions (terminal_id);
CREATE INDEX IF NOT EXISTS decisions_ip ON decisions (json_extract(event_json, '$.ipAddress'));
CREATE INDEX IF NOT EXISTS decisions_device ON decisions (json_extract(event_json, '$.deviceId'));
`;

/** The expression each kind is looked up by (the indexed one, verbatim, so SQLite uses the index). */
const COLUMN: Record<EntityKind, string> = {
  customer: 'customer_ref',
  terminal: 'terminal_id',
  ip: "json_extract(event_json, '$.ipAddress')",
  device: "json_extract(event_json, '$.deviceId')",
};

/** Reads an entity's decisions from an audit store's file. */
export class EntityDecisions {
  private readonly statements: Record<EntityKind, Database.Statement<[string, number], { event_id: string }>>;

  private constructor(private readonly audit: AuditStore) {
    const db = audit.connection;
    db.exec(INDEXES);
    const statement = (kind: EntityKind) =>
      db.prepare<[string, number], { event_id: string }>(
        // rowid grows with insertion, and events are decided in time order: newest first.
        `SELECT event_id FROM decisions WHERE ${COLUMN[kind]} = ? ORDER BY rowid DESC LIMIT ?`,
      );
    this.statements = {
      customer: statement('customer'),
      terminal: statement('terminal'),
      ip: statement('ip'),
      device: statement('device'),
    };
  }

  /** Lookups on `audit`'s file (creating the indexes they need when missing). */
  static on(audit: AuditStore): EntityDecisions {
    return new EntityDecisions(audit);
  }

  /** The entity's last `limit` decisions, newest first; `entityId` as stored (a pseudonym for personal kinds). */
  recent(kind: EntityKind, entityId: string, limit: number): DecisionRecord[] {
    return this.statements[kind]
      .all(entityId, limit)
      .map((r) => this.audit.find(r.event_id))
      .filter((r): r is DecisionRecord => r !== undefined);
  }
}
