/**
 * Test support for the service suites (tests only): a small spec bundle trained from a simulated
 * stream, the stream's events as request bodies, and a JSON client for a loopback server.
 */
import { join } from 'node:path';
import { ModelDeployments } from '../deployment/index.js';
import { type BUILTIN_FEATURE_SPECS, builtinFeatureSpec, transactionsFromCsv } from '../features/index.js';
import type { ModelKind } from '../models/index.js';
import type { EarlyWarningOptions } from '../monitoring/index.js';
import {
  BackgroundStateKeeper,
  OnlineStateKeeper,
  type RecoveryReport,
  recoverOnlineState,
  type SnapshotPolicy,
} from '../recovery/index.js';
import { OnlineScorer, SpecModel } from '../scoring/index.js';
import { writeTransactionsCsv } from '../simulation/index.js';
import { ActivityStore, AlertStore, AuditStore, EntityDecisions, StateStore } from '../store/index.js';
import { runTrainJob } from '../training/index.js';
import type { WarningReplay } from './alert-routes.js';
import type { ApiKeys } from './api-keys.js';
import type { Pseudonymiser } from './pseudonymiser.js';
import type { BehaviourBody, EventBody, LoginBody, TransactionBody } from './request-schemas.js';
import { buildRiskService } from './risk-service.js';

export interface TestStream {
  dataPath: string;
  bundleDir: string;
  /** Every transaction of the stream, in time order, as `POST /v1/events` bodies. */
  events: TransactionBody[];
}

/** Simulates a small stream into `dir` and trains a logistic model on fraud-behaviour (threads: 1). */
export async function trainTestStream(dir: string): Promise<TestStream> {
  const dataPath = join(dir, 'transactions.csv');
  await writeTransactionsCsv({ customers: 80, terminals: 160, days: 40, seed: 5 }, dataPath);
  const spec = builtinFeatureSpec('fraud-behaviour');
  const { bundleDir } = await runTrainJob({
    dataPath,
    target: 'TX_FRAUD',
    model: 'logistic',
    split: { kind: 'time', column: 'TX_DATETIME', testFrom: '2025-02-01' },
    seed: 1,
    epochs: 1,
    threads: 1,
    outDir: join(dir, 'bundle'),
    features: { spec },
  });
  const tx = await transactionsFromCsv(dataPath, spec);
  const events = Array.from({ length: tx.nRows }, (_, i): TransactionBody => {
    const e = tx.event(i);
    return {
      kind: 'transaction',
      id: tx.ids[i] as string,
      timestamp: new Date(e.timestampSeconds * 1000).toISOString(),
      customerId: String(e.customerId),
      terminalId: String(e.terminalId),
      amount: e.amount,
      ...(e.channel === undefined ? {} : { channel: e.channel }),
      ...(e.latitude === undefined || Number.isNaN(e.latitude) ? {} : { latitude: e.latitude }),
      ...(e.longitude === undefined || Number.isNaN(e.longitude) ? {} : { longitude: e.longitude }),
      ...(e.ipAddress === undefined ? {} : { ipAddress: e.ipAddress }),
      ...(e.deviceId === undefined ? {} : { deviceId: e.deviceId }),
    };
  });
  return { dataPath, bundleDir, events };
}

/**
 * Trains another bundle on the stream of `dataPath` (threads: 1): on another model kind for a
 * shadow on the same spec, or on another built-in spec for one the online state cannot serve.
 */
export async function trainSpecBundle(
  dataPath: string,
  outDir: string,
  {
    spec = 'fraud-behaviour',
    model = 'logistic',
  }: { spec?: (typeof BUILTIN_FEATURE_SPECS)[number]; model?: ModelKind } = {},
): Promise<string> {
  const { bundleDir } = await runTrainJob({
    dataPath,
    target: 'TX_FRAUD',
    model,
    split: { kind: 'time', column: 'TX_DATETIME', testFrom: '2025-02-01' },
    seed: 2,
    epochs: 1,
    threads: 1,
    outDir,
    features: { spec: builtinFeatureSpec(spec) },
  });
  return bundleDir;
}

export interface JsonResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  text: string;
}

/** A request to a loopback server; `body` is sent as JSON unless it is already a string. */
export async function request(
  base: string,
  method: string,
  path: string,
  { body, key, contentType }: { body?: unknown; key?: string; contentType?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}

/** What a client saw of a stream: every answer and every label answer, in order. */
export interface Seen {
  /** `score` and `modelVersion` are null for login and behaviour events. */
  answers: { eventId: string; score: number | null; decision: string; modelVersion: string | null }[];
  labels: { eventId: string; label: number; appliedOnline: boolean }[];
}

/**
 * The login and behaviour events `driveStream` mixes in around transaction `i` of a stream: a
 * login before every fifth transaction (every fourth of those failed), a behaviour event after
 * every seventh, from the transaction's customer, IP and device at its time.
 */
export function activityAround(e: TransactionBody, i: number): { before: EventBody[]; after: EventBody[] } {
  const common = {
    timestamp: e.timestamp,
    customerId: e.customerId,
    ...(e.ipAddress === undefined ? {} : { ipAddress: e.ipAddress }),
    ...(e.deviceId === undefined ? {} : { deviceId: e.deviceId }),
  };
  const login: LoginBody = { kind: 'login', id: `${e.id}-login`, ...common, success: i % 20 !== 0 };
  const behaviour: BehaviourBody = {
    kind: 'behaviour',
    id: `${e.id}-behaviour`,
    ...common,
    sessionId: `s-${e.id}`,
    dwellTimeMs: 1000 + (i % 13) * 700,
    clicks: i % 9,
    page: '/checkout',
  };
  return { before: i % 5 === 0 ? [login] : [], after: i % 7 === 0 ? [behaviour] : [] };
}

/**
 * Scores `events` [from, to) on the server at `base` in batches of 25 and, after each batch,
 * labels every ninth event of it 60 events back (fraud for odd indexes): late labels that cross
 * a restart when a run is cut. With `activity`, each batch also carries the login and behaviour
 * events of {@link activityAround}. Appends what it saw to `seen`.
 */
export async function driveStream(
  base: string,
  events: readonly TransactionBody[],
  from: number,
  to: number,
  seen: Seen,
  key?: string,
  { activity = false }: { activity?: boolean } = {},
): Promise<void> {
  const batchSize = 25;
  for (let i = from; i < to; i += batchSize) {
    const transactions = events.slice(i, Math.min(to, i + batchSize));
    const batch: EventBody[] = activity
      ? transactions.flatMap((e, j) => {
          const { before, after } = activityAround(e, i + j);
          return [...before, e, ...after];
        })
      : transactions;
    const r = await request(base, 'POST', '/v1/events:batch', { body: { events: batch }, ...(key ? { key } : {}) });
    if (r.status !== 200) throw new Error(`batch at ${i}: ${r.status} ${r.text}`);
    for (const a of r.body.results)
      seen.answers.push({ eventId: a.eventId, score: a.score, decision: a.decision, modelVersion: a.modelVersion });
    for (let j = i; j < i + transactions.length; j++) {
      if (j % 9 !== 0 || j < 60) continue;
      const eventId = events[j - 60]?.id as string;
      const l = await request(base, 'POST', '/v1/labels', { body: { eventId, label: j % 2 }, ...(key ? { key } : {}) });
      if (l.status !== 200) throw new Error(`label at ${j}: ${l.status} ${l.text}`);
      seen.labels.push(l.body);
    }
  }
}

export interface TestService {
  base: string;
  scorer: OnlineScorer;
  log: AuditStore;
  /** Login and behaviour decisions, in the same file. */
  activity: ActivityStore;
  state: StateStore;
  keeper: OnlineStateKeeper | BackgroundStateKeeper;
  models: ModelDeployments;
  recovery: RecoveryReport;
  /** What early warning took again from the log at start (with `alerting`). */
  warningReplay?: WarningReplay;
  warnings: string[];
  /** Stops as `vigil serve` does on SIGTERM: the last snapshot, then the store closed. */
  close(): Promise<void>;
  /**
   * Stops without the shutdown snapshot, as after a `kill -9` (what was committed is on disk; the
   * real kill -9 of a `vigil serve` process is in src/cli/serve-recovery.test.ts).
   */
  abandon(): Promise<void>;
}

/**
 * The service as `vigil serve` assembles it, in this process on port 0: the audit store and state
 * store on `dbPath`, the online state recovered, deployments restored, snapshots by `policy`.
 */
export async function startTestService(
  bundleDir: string,
  dbPath: string,
  options: {
    pseudonymiser: Pseudonymiser;
    auth: ApiKeys | 'none';
    policy?: SnapshotPolicy;
    nowMs?: () => number;
    /**
     * Who writes the snapshots: `event-loop` (default) the service's thread, `background` a
     * worker thread following the log, as `vigil serve` runs.
     */
    keeper?: 'event-loop' | 'background';
    /**
     * Alerts and early warning with these thresholds; `history` (default true) replays the log's
     * recent events into early warning at start, as `vigil serve` does.
     */
    alerting?: { earlyWarning: EarlyWarningOptions; history?: boolean };
  },
): Promise<TestService> {
  const scorer = await OnlineScorer.load(bundleDir);
  const log = AuditStore.open(dbPath, { keyFingerprint: options.pseudonymiser.keyFingerprint });
  const state = StateStore.open(dbPath);
  const warnings: string[] = [];
  const warn = (m: string) => void warnings.push(m);
  const recovery = recoverOnlineState(scorer, state, { warn });
  const models = await ModelDeployments.restore(scorer, state, { load: (dir) => SpecModel.load(dir), warn });
  const policy = options.policy ?? { everyEvents: 0, everySeconds: 0 };
  const keeper =
    options.keeper === 'background'
      ? new BackgroundStateKeeper(scorer, state, policy, { recovery, warn, catchUpMs: 100 })
      : new OnlineStateKeeper(scorer, state, policy);
  let crashed = false;
  let warningReplay: WarningReplay | undefined;
  const activity = ActivityStore.on(log);
  const app = await buildRiskService({
    scorer,
    log,
    activity,
    auth: options.auth,
    pseudonymise: options.pseudonymiser.pseudonymise,
    ...(options.nowMs === undefined ? {} : { nowMs: options.nowMs }),
    onlineState: {
      committed: (isQuiet) => keeper.committed(isQuiet),
      close: async () => {
        if (!crashed) await keeper.close();
      },
    },
    models,
    ...(options.alerting === undefined
      ? {}
      : {
          alerting: {
            store: AlertStore.on(log),
            entityDecisions: EntityDecisions.on(log),
            earlyWarning: options.alerting.earlyWarning,
            ...(options.alerting.history === false
              ? {}
              : { history: { store: log, replayed: (r: WarningReplay) => void (warningReplay = r) } }),
          },
        }),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const close = async () => {
    await app.close();
    state.close();
    scorer.dispose();
  };
  return {
    base,
    scorer,
    log,
    activity,
    state,
    keeper,
    models,
    recovery,
    ...(warningReplay === undefined ? {} : { warningReplay }),
    warnings,
    close,
    abandon: async () => {
      crashed = true;
      // The worker follows the committed log to its end first (as it does under a steady load;
      // a real kill -9 of a process is in src/cli/serve-recovery.test.ts), then stops without
      // a last snapshot.
      if (keeper instanceof BackgroundStateKeeper) {
        await keeper.settled();
        await keeper.abandon();
      }
      await close();
    },
  };
}
