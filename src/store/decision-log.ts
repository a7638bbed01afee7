/**
 * What the service keeps of each decision and label, and the interface of the store that keeps
 * them. `append` resolves only once the records are committed: the service answers after that.
 */
import type { LabelTarget, TransactionEvent } from '../features/index.js';
import type { Decision, ShadowScore } from '../scoring/index.js';

/** The event as kept: the request's fields, with personal identifiers already pseudonymised. */
export interface StoredEvent {
  kind: 'transaction';
  id: string;
  timestamp: string;
  customerId: string;
  terminalId: string;
  amount: number;
  channel?: string;
  country?: string;
  currency?: string;
  latitude?: number;
  longitude?: number;
  ipAddress?: string;
  deviceId?: string;
}

type OptionalField = Exclude<keyof StoredEvent, 'kind' | 'id' | 'timestamp' | 'customerId' | 'terminalId' | 'amount'>;
// A record over every optional field, so a field added to StoredEvent fails to compile until it is listed here.
const OPTIONAL: Record<OptionalField, true> = {
  channel: true,
  country: true,
  currency: true,
  latitude: true,
  longitude: true,
  ipAddress: true,
  deviceId: true,
};
const OPTIONAL_FIELDS = Object.keys(OPTIONAL) as OptionalField[];

/** The event as the online state takes it (the stored form: identifiers already pseudonymised). */
export function transactionOfStoredEvent(e: StoredEvent): TransactionEvent {
  // Field by field: an object rest spread here was ~2 % of the service's thread (V8's generic copy).
  const event: TransactionEvent = {
    id: e.id,
    timestampSeconds: Date.parse(e.timestamp) / 1000,
    customerId: e.customerId,
    terminalId: e.terminalId,
    amount: e.amount,
  };
  for (const field of OPTIONAL_FIELDS)
    if (e[field] !== undefined) (event as unknown as Record<string, unknown>)[field] = e[field];
  return event;
}

/**
 * Which event a label is for, as the online state finds it: the stored event's ordinal, time and
 * keys. The label route and the replay of logged labels both build it here, so a label replayed on
 * a restart reaches the same event it reached live.
 */
export function labelTargetOfStoredEvent(e: StoredEvent, ordinal: number): LabelTarget {
  const target: LabelTarget = {
    ordinal,
    timestampSeconds: Date.parse(e.timestamp) / 1000,
    customerId: e.customerId,
    terminalId: e.terminalId,
  };
  if (e.ipAddress !== undefined) target.ipAddress = e.ipAddress;
  if (e.deviceId !== undefined) target.deviceId = e.deviceId;
  return target;
}

/** One decision's audit record. */
export interface DecisionRecord {
  eventId: string;
  /** When the service received the request, ms since the epoch. */
  receivedAtMs: number;
  event: StoredEvent;
  /** The online features the model scored (raw; NaN kept as null in JSON). */
  features: Record<string, number>;
  modelVersion: string;
  score: number;
  decision: Decision;
  reasons: string[];
  rulesHit: string[];
  /** The version of the rule set that was evaluated (absent when no rule set was active). */
  rulesVersion?: string;
  latencyMs: number;
  /**
   * The event's ordinal: its position among every event the store holds, which the online state
   * keeps across restarts (a late label finds the event online by it, its time and keys).
   */
  ordinal: number;
  /** Which run of the service scored it. */
  runId: string;
  /** Shadow models' scores of the event (they decide nothing); kept in `shadow_scores`. */
  shadows?: ShadowScore[];
}

/** A label as kept. */
export interface LabelRecord {
  eventId: string;
  label: number;
  receivedAtMs: number;
  appliedOnline: boolean;
  /** Events the online state had taken when the label was applied: where a replay applies it again. */
  seenEvents?: number;
}

/** Where decisions and labels are kept. */
export interface DecisionLog {
  /** Whether a decision for this event id is kept. */
  has(eventId: string): boolean;
  /** The decision kept for an event id. */
  find(eventId: string): DecisionRecord | undefined;
  /** The ordinal the next event gets: one more than the largest kept (0 for an empty log). */
  nextOrdinal(): number;
  /** Keeps the records; resolves once they are committed. */
  append(records: readonly DecisionRecord[]): Promise<void>;
  /** Keeps a label; resolves once it is committed. */
  appendLabel(label: LabelRecord): Promise<void>;
  close(): void;
}
