/**
 * What the service keeps of each decision and label, and the interface of the store that keeps
 * them. `append` resolves only once the records are committed: the service answers after that.
 */
import type { Decision } from '../scoring/index.js';

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
  /** The event's ordinal in the executor of the service run `runId` (late labels find it with these). */
  ordinal: number;
  runId: string;
}

/** A label as kept. */
export interface LabelRecord {
  eventId: string;
  label: number;
  receivedAtMs: number;
  appliedOnline: boolean;
}

/** Where decisions and labels are kept. */
export interface DecisionLog {
  /** Whether a decision for this event id is kept. */
  has(eventId: string): boolean;
  /** The decision kept for an event id. */
  find(eventId: string): DecisionRecord | undefined;
  /** Keeps the records; resolves once they are committed. */
  append(records: readonly DecisionRecord[]): Promise<void>;
  /** Keeps a label; resolves once it is committed. */
  appendLabel(label: LabelRecord): Promise<void>;
  close(): void;
}
