/**
 * An entity's recent decisions, for entity profiles: the ordinals of each customer's, terminal's,
 * IP's and device's last decisions, kept in memory as decisions are appended and rebuilt from the
 * tail of the audit store when the service starts. Indexes of the decisions table by those keys
 * did the same job, but the keys come in no order, so each decision wrote a page of every such
 * index to the WAL: with four of them a decision cost 77 µs of CPU and 17.2 KiB written in
 * commits of 20, against 32 µs and 3.7 KiB without (bench/audit-insert-cost.ts).
 */
import type { EntityKind } from '../monitoring/entity-kinds.js';
import type { AuditStore } from './audit-store.js';
import type { DecisionRecord } from './decision-log.js';
import { recentDecisions } from './recent-history.js';

export interface EntityDecisionsOptions {
  /** Decisions kept per entity (newest first in a profile). */
  perEntity?: number;
  /**
   * How many of the store's latest decisions are read back when the service starts: an entity
   * whose last decision is older than these has none in its profile after a restart.
   */
  historyDecisions?: number;
  /** Entities kept per kind; the one updated longest ago is dropped first. */
  maxEntitiesPerKind?: number;
}

const DEFAULTS: Required<EntityDecisionsOptions> = {
  perEntity: 20,
  historyDecisions: 1_000_000,
  maxEntitiesPerKind: 1_000_000,
};

/** The last `capacity` ordinals of one entity, in a ring. */
class OrdinalRing {
  private readonly ordinals: Float64Array;
  private next = 0;
  private count = 0;

  constructor(capacity: number) {
    this.ordinals = new Float64Array(capacity);
  }

  push(ordinal: number): void {
    this.ordinals[this.next] = ordinal;
    this.next = (this.next + 1) % this.ordinals.length;
    this.count = Math.min(this.count + 1, this.ordinals.length);
  }

  /** Newest first. */
  newest(limit: number): number[] {
    const out: number[] = [];
    const n = this.ordinals.length;
    for (let i = 1; i <= Math.min(limit, this.count); i++) out.push(this.ordinals[(this.next - i + n) % n] as number);
    return out;
  }
}

/**
 * Recent decisions by entity over an audit store: fed by every append from the moment it is made,
 * and filled first with the store's last `historyDecisions`.
 *
 * @example
 * const entities = EntityDecisions.on(store);
 * entities.recent('customer', pseudonym, 20); // newest first
 */
export class EntityDecisions {
  private readonly options: Required<EntityDecisionsOptions>;
  private readonly rings = new Map<EntityKind, Map<string, OrdinalRing>>();

  private constructor(
    private readonly audit: AuditStore,
    options: EntityDecisionsOptions,
  ) {
    this.options = { ...DEFAULTS, ...options };
    for (const kind of ['customer', 'terminal', 'ip', 'device'] as const) this.rings.set(kind, new Map());
    this.readHistory(audit);
    audit.onAppend((records) => {
      for (const { ordinal, event } of records) {
        this.add('customer', event.customerId, ordinal);
        this.add('terminal', event.terminalId, ordinal);
        this.add('ip', event.ipAddress, ordinal);
        this.add('device', event.deviceId, ordinal);
      }
    });
  }

  /** Recent decisions of `audit`'s entities, from its last decisions and every append from now on. */
  static on(audit: AuditStore, options: EntityDecisionsOptions = {}): EntityDecisions {
    return new EntityDecisions(audit, options);
  }

  /** The entity's last `limit` decisions, newest first; `entityId` as stored (a pseudonym for personal kinds). */
  recent(kind: EntityKind, entityId: string, limit: number): DecisionRecord[] {
    const ring = this.rings.get(kind)?.get(entityId);
    return ring === undefined ? [] : this.audit.findByOrdinals(ring.newest(limit));
  }

  /** Entities with decisions in memory, by kind. */
  sizes(): Record<EntityKind, number> {
    const size = (kind: EntityKind) => this.rings.get(kind)?.size ?? 0;
    return { customer: size('customer'), terminal: size('terminal'), ip: size('ip'), device: size('device') };
  }

  private add(kind: EntityKind, id: string | null | undefined, ordinal: number): void {
    if (id === undefined || id === null) return;
    const byId = this.rings.get(kind) as Map<string, OrdinalRing>;
    let ring = byId.get(id);
    if (ring === undefined) {
      ring = new OrdinalRing(this.options.perEntity);
      if (byId.size >= this.options.maxEntitiesPerKind) byId.delete(byId.keys().next().value as string);
    } else byId.delete(id);
    // Map order is insertion order: re-inserting keeps the least recently updated entity first.
    byId.set(id, ring);
    ring.push(ordinal);
  }

  private readHistory(audit: AuditStore): void {
    for (const r of recentDecisions(audit, { maxEvents: this.options.historyDecisions })) {
      this.add('customer', r.customerId, r.ordinal);
      this.add('terminal', r.terminalId, r.ordinal);
      this.add('ip', r.ipAddress, r.ordinal);
      this.add('device', r.deviceId, r.ordinal);
    }
  }
}
