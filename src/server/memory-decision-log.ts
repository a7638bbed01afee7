import type { DecisionLog, DecisionRecord, LabelRecord } from './decision-log.js';

/**
 * A {@link DecisionLog} in memory holding the latest `capacity` decisions (oldest dropped first):
 * nothing survives the process. For tests and trying the service out; `vigil serve` keeps its
 * decisions in SQLite.
 */
export class MemoryDecisionLog implements DecisionLog {
  private readonly decisions = new Map<string, DecisionRecord>();
  readonly labels: LabelRecord[] = [];

  constructor(private readonly capacity = 100_000) {}

  has(eventId: string): boolean {
    return this.decisions.has(eventId);
  }

  find(eventId: string): DecisionRecord | undefined {
    return this.decisions.get(eventId);
  }

  async append(records: readonly DecisionRecord[]): Promise<void> {
    for (const r of records) this.decisions.set(r.eventId, r);
    for (const id of this.decisions.keys()) {
      if (this.decisions.size <= this.capacity) break;
      this.decisions.delete(id);
    }
  }

  async appendLabel(label: LabelRecord): Promise<void> {
    this.labels.push(label);
    if (this.labels.length > this.capacity) this.labels.shift();
  }

  close(): void {}
}
