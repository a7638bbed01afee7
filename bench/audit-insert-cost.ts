// What a decision costs the audit store, on the calling thread (writer thread off, as on 2 cores):
// CPU per decision for commits of 1, 5 and 20 decisions, and the bytes written per decision (WAL
// and checkpoints: `wchar` of /proc/self/io), on a
// store holding 20,000 decisions first. The same run with the four indexes of schema version 2
// (decisions by customer, terminal, IP and device) added is the A/B of dropping them: their keys
// come in no order, so each decision dirties a page of each.
//
// Run: node --import tsx bench/audit-insert-cost.ts [--decisions 20000] [--durability process|machine]

import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AuditStore, type DecisionRecord } from '../src/store/index.js';

const { values } = parseArgs({
  options: {
    decisions: { type: 'string', default: '20000' },
    durability: { type: 'string', default: 'process' },
  },
});
const measured = Number(values.decisions);
const durability = values.durability as 'process' | 'machine';

const V2_INDEXES = `
CREATE INDEX decisions_customer ON decisions (customer_ref, event_time);
CREATE INDEX decisions_terminal ON decisions (terminal_id);
CREATE INDEX decisions_ip ON decisions (json_extract(event_json, '$.ipAddress'));
CREATE INDEX decisions_device ON decisions (json_extract(event_json, '$.deviceId'));
`;

/** Decisions shaped as the service's: 15 features, a 32-hex customer pseudonym, 5,000 customers, 10,000 terminals. */
function decisions(from: number, n: number): DecisionRecord[] {
  return Array.from({ length: n }, (_, k) => {
    const i = from + k;
    const customer = ((i * 2654435761) >>> 0) % 5000;
    const features: Record<string, number> = {};
    for (let f = 0; f < 15; f++) features[`FEATURE_${f}_7DAY_WINDOW`] = (i % (f + 7)) * 1.37;
    return {
      eventId: `tx${1_000_000 + i}`,
      receivedAtMs: 1_796_000_000_000 + i,
      event: {
        kind: 'transaction',
        id: `tx${1_000_000 + i}`,
        timestamp: new Date(1_533_686_400_000 + i * 9000).toISOString(),
        customerId: customer.toString(16).padStart(32, 'c'),
        terminalId: `t${((i * 40503) >>> 0) % 10000}`,
        amount: (i % 997) + 0.5,
      },
      features,
      modelVersion: 'mlp-36e2814f2e28',
      score: (i % 1000) / 1000,
      decision: 'approve',
      reasons: [],
      rulesHit: [],
      latencyMs: 0.3,
      ordinal: i,
      runId: 'bench',
    };
  });
}

/** Bytes this process has passed to write calls, every thread (the checkpointer's too). */
const writtenBytes = () => Number(/^wchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'))?.[1]);

const root = await mkdtemp(join(tmpdir(), 'vigil-insert-cost-'));
const rows: Record<string, unknown>[] = [];
try {
  for (const schema of ['v3', 'v3 + the v2 entity indexes'] as const)
    for (const group of [1, 5, 20]) {
      const path = join(root, `${schema.length}-${group}.db`);
      const store = AuditStore.open(path, { durability, writerThread: false });
      if (schema !== 'v3') store.connection.exec(V2_INDEXES);
      for (let i = 0; i < 20_000; i += 1000) await store.append(decisions(i, 1000));
      const written = writtenBytes();
      const cpu = process.cpuUsage();
      for (let i = 20_000; i < 20_000 + measured; i += group) await store.append(decisions(i, group));
      const used = process.cpuUsage(cpu);
      const bytes = writtenBytes() - written;
      rows.push({
        schema,
        decisionsPerCommit: group,
        cpuUsPerDecision: Number(((used.user + used.system) / measured).toFixed(1)),
        writtenKiBPerDecision: Number((bytes / 1024 / measured).toFixed(2)),
      });
      store.close();
    }
  console.log(JSON.stringify({ durability, decisionsMeasured: measured, rows }, null, 2));
} finally {
  await rm(root, { recursive: true, force: true });
}
