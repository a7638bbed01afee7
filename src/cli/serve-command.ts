import { once } from 'node:events';
import { setFlagsFromString } from 'node:v8';
import { ModelDeployments } from '../deployment/index.js';
import { ConfigError } from '../errors.js';
import type { EarlyWarningOptions } from '../monitoring/index.js';
import {
  BackgroundStateKeeper,
  DEFAULT_SNAPSHOT_POLICY,
  type RecoveryReport,
  recoverOnlineState,
  registerSnapshotMetrics,
} from '../recovery/index.js';
import { readRuleSetJson } from '../rules/index.js';
import { OnlineScorer, type ScoringEngine, SpecModel } from '../scoring/index.js';
import {
  API_KEYS_ENV,
  ApiKeys,
  buildRiskService,
  createPseudonymiser,
  createServiceMetrics,
  PSEUDONYM_KEY_ENV,
  type WarningReplay,
} from '../server/index.js';
import {
  AlertStore,
  AUDIT_DURABILITY,
  type AuditDurability,
  AuditStore,
  EntityDecisions,
  RuleSetStore,
  registerAuditStoreMetrics,
  StateStore,
} from '../store/index.js';
import { parseIntegerFlag } from './flags.js';
import type { CliIO } from './output.js';
import { readServeConfig, type ServeConfig } from './serve-config.js';

export interface ServeFlags {
  /** Required here or in the config file. */
  model?: string;
  /** A JSON config file (see serve-config.ts); the flags here win over it. */
  config?: string;
  /** A rule set file; wins over the set the audit store had active last. */
  rules?: string;
  db?: string;
  port?: string;
  host?: string;
  engine?: ScoringEngine;
  reviewFrom?: string;
  maxLateness?: string;
  durability?: string;
  insecureNoAuth?: boolean;
  /** Snapshot the online state every N events (0: not by count). */
  snapshotEvents?: string;
  /** Snapshot the online state every T seconds (0: not by time). */
  snapshotSeconds?: string;
  /** False (`--no-early-warning`) turns early warning off, whatever the config file says. */
  earlyWarning?: boolean;
  /** False (`--no-model-alerts`) turns model alerts for declines off. */
  modelAlerts?: boolean;
  /** Early-warning thresholds; each wins over the config file's `earlyWarning` entry. */
  alertHighRiskInWindow?: string;
  alertCustomersPerIp?: string;
  alertCustomersPerDevice?: string;
  alertFailedLogins?: string;
  /** How often the snapshot worker follows the log between snapshot points, in ms. */
  snapshotCatchUpMs?: string;
}

/** The early-warning threshold flags and the option each sets. */
const EARLY_WARNING_FLAGS = [
  ['alertHighRiskInWindow', '--alert-high-risk-in-window', 'highRiskInWindow'],
  ['alertCustomersPerIp', '--alert-customers-per-ip', 'customersPerIpPerDay'],
  ['alertCustomersPerDevice', '--alert-customers-per-device', 'customersPerDevicePerDay'],
  ['alertFailedLogins', '--alert-failed-logins', 'failedLoginsInWindow'],
] as const satisfies readonly (readonly [keyof ServeFlags, string, keyof EarlyWarningOptions])[];

/**
 * Early warning from the config file and the flags (flags win): false when turned off, else the
 * options given (the defaults fill the rest).
 */
export function earlyWarningOf(flags: ServeFlags, config: ServeConfig): EarlyWarningOptions | false {
  const fromFlags: Record<string, number> = {};
  for (const [flag, name, option] of EARLY_WARNING_FLAGS) {
    const raw = flags[flag];
    if (typeof raw === 'string') fromFlags[option] = parseIntegerFlag(name, raw, { min: 1 });
  }
  if (flags.earlyWarning === false) return false;
  // A threshold given on the command line turns early warning on over a file's `false`.
  if (config.earlyWarning === false && Object.keys(fromFlags).length === 0) return false;
  return { ...(config.earlyWarning || {}), ...fromFlags };
}

export interface RunningService {
  /** `http://host:port` it listens on. */
  url: string;
  scorer: OnlineScorer;
  /** Keys configured; 0 with --insecure-no-auth. */
  apiKeys: number;
  /** The audit store file. */
  db: string;
  /** What an answered decision survives (`--durability`). */
  durability: AuditDurability;
  /** The active rule set's version and rule count, if any. */
  rules?: { version: string; ruleCount: number };
  /** How the online state was recovered from the store. */
  recovery: RecoveryReport;
  /** What early warning took again from the log at start (absent when it is off). */
  warningReplay?: WarningReplay;
  /** Warnings of the start (snapshots ignored, shadows not restored). */
  warnings: string[];
  close(): Promise<void>;
}

/** What startService settled on from the flags, the config file and the defaults. */
interface Settings {
  model: string;
  db: string;
  port: number;
  host: string;
  rules?: string;
  reviewFrom?: number;
  config: ServeConfig;
}

function settingsOf(flags: ServeFlags, config: ServeConfig): Settings {
  const model = flags.model ?? config.model;
  if (model === undefined)
    throw new ConfigError('invalid_flag', 'give the model bundle: --model DIR (or "model" in the --config file)');
  const port =
    flags.port === undefined
      ? (config.port ?? DEFAULT_PORT)
      : parseIntegerFlag('--port', flags.port, { min: 0, max: 65535 });
  let reviewFrom = config.reviewFrom;
  if (flags.reviewFrom !== undefined) {
    reviewFrom = Number(flags.reviewFrom);
    if (flags.reviewFrom.trim() === '' || !Number.isFinite(reviewFrom))
      throw new ConfigError('invalid_flag', `--review-from must be a score, got ${JSON.stringify(flags.reviewFrom)}`);
  }
  const rules = flags.rules ?? config.rules;
  return {
    model,
    db: flags.db ?? config.db ?? DEFAULT_DB,
    port,
    host: flags.host ?? config.host ?? DEFAULT_HOST,
    ...(rules === undefined ? {} : { rules }),
    ...(reviewFrom === undefined ? {} : { reviewFrom }),
    config,
  };
}

/** Default port of `vigil serve`. */
export const DEFAULT_PORT = 8080;
/** Default audit store file of `vigil serve`. */
export const DEFAULT_DB = 'vigil.db';
/** Default address of `vigil serve`: loopback only. */
export const DEFAULT_HOST = '127.0.0.1';

/**
 * Starts the service the flags describe (the pseudonymisation key from `env`) and returns once
 * it listens.
 *
 * @throws ConfigError `missing_pseudonym_key` without VIGIL_PSEUDONYM_KEY, `no_api_keys` without
 *   VIGIL_API_KEYS (unless --insecure-no-auth), `invalid_api_keys`
 */
export async function startService(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  // V8 allocates an allocation site's objects straight in the old generation once enough of them
  // survived a young collection (pretenuring). Under load, a burst or a batch makes the sites of a
  // decision's objects (rows, JSON, features) look long-lived, and from then on every decision's
  // garbage went to the old generation: a full collection every few seconds, with pauses of
  // 10-30 ms and the request tails behind them (docs/benchmarks.md, "Load"). The flag is read at
  // every collection, so setting it here covers the service's code.
  setFlagsFromString('--no-allocation-site-pretenuring');
  const config = flags.config === undefined ? { apiKeys: [] } : await readServeConfig(flags.config);
  const { model, db, port, host, rules: rulesPath, reviewFrom } = settingsOf(flags, config);
  let maxLatenessSeconds = config.maxLatenessSeconds;
  if (flags.maxLateness !== undefined) {
    maxLatenessSeconds = Number(flags.maxLateness);
    if (flags.maxLateness.trim() === '' || !Number.isFinite(maxLatenessSeconds) || maxLatenessSeconds < 0)
      throw new ConfigError(
        'invalid_flag',
        `--max-lateness must be 0 or more seconds, got ${JSON.stringify(flags.maxLateness)}`,
      );
  }
  const durabilityGiven = flags.durability ?? config.durability ?? 'process';
  if (!(AUDIT_DURABILITY as readonly string[]).includes(durabilityGiven))
    throw new ConfigError(
      'invalid_flag',
      `--durability must be one of ${AUDIT_DURABILITY.join(', ')}, got ${JSON.stringify(durabilityGiven)}`,
    );
  const durability = durabilityGiven as AuditDurability;
  const rules = rulesPath === undefined ? undefined : await readRuleSetJson(rulesPath);
  const key = env[PSEUDONYM_KEY_ENV];
  if (key === undefined || key === '')
    throw new ConfigError(
      'missing_pseudonym_key',
      `set ${PSEUDONYM_KEY_ENV} to a secret of 32+ characters (e.g. openssl rand -hex 32): customer, IP and device ids are stored only as keyed HMACs`,
    );
  const pseudonymiser = createPseudonymiser(key);
  // Keys from both the environment and the config file are accepted.
  const keys = ApiKeys.parse(env[API_KEYS_ENV] ?? '').withHashes(config.apiKeys);
  if (keys.size === 0 && flags.insecureNoAuth !== true)
    throw new ConfigError(
      'no_api_keys',
      `no API keys: set ${API_KEYS_ENV}="scorer:KEY,analyst:KEY,admin:KEY" (keys of 16+ characters) or apiKeys in the --config file, or pass --insecure-no-auth to serve without authentication`,
    );
  const auth = flags.insecureNoAuth === true ? 'none' : keys;
  const snapshotPolicy = {
    everyEvents:
      flags.snapshotEvents === undefined
        ? DEFAULT_SNAPSHOT_POLICY.everyEvents
        : parseIntegerFlag('--snapshot-events', flags.snapshotEvents, { min: 0 }),
    everySeconds:
      flags.snapshotSeconds === undefined
        ? DEFAULT_SNAPSHOT_POLICY.everySeconds
        : parseIntegerFlag('--snapshot-seconds', flags.snapshotSeconds, { min: 0 }),
  };
  const earlyWarning = earlyWarningOf(flags, config);
  const modelAlerts = flags.modelAlerts === false ? false : (config.modelAlerts ?? true);
  const catchUpMs =
    flags.snapshotCatchUpMs === undefined
      ? undefined
      : parseIntegerFlag('--snapshot-catch-up-ms', flags.snapshotCatchUpMs, { min: 10 });
  const engineOption = flags.engine === undefined ? {} : { engine: flags.engine };
  const scorer = await OnlineScorer.load(model, {
    ...(flags.engine === undefined ? {} : { engine: flags.engine }),
    ...(reviewFrom === undefined ? {} : { reviewFrom }),
    ...(maxLatenessSeconds === undefined ? {} : { maxLatenessSeconds }),
  }).catch((error: unknown) => {
    if (error instanceof ConfigError && error.code === 'invalid_option')
      throw new ConfigError('invalid_flag', `--review-from: ${error.message}`, { cause: error });
    throw error;
  });
  let store: AuditStore | undefined;
  let ruleSets: RuleSetStore | undefined;
  let state: StateStore | undefined;
  let models: ModelDeployments | undefined;
  let keeper: BackgroundStateKeeper | undefined;
  try {
    store = AuditStore.open(db, {
      keyFingerprint: pseudonymiser.keyFingerprint,
      durability,
    });
    ruleSets = RuleSetStore.open(db);
    state = StateStore.open(db);
    const warnings: string[] = [];
    const warn = (message: string) => void warnings.push(message);
    const recovery = recoverOnlineState(scorer, state, { warn });
    models = await ModelDeployments.restore(scorer, state, { load: (dir) => SpecModel.load(dir, engineOption), warn });
    // Before listening a warning is printed with the start's; after, it goes to the service's log.
    let warnLater = warn;
    // Snapshots by a worker thread that follows the committed log: the service's thread writes none.
    keeper = new BackgroundStateKeeper(scorer, state, snapshotPolicy, {
      recovery,
      warn: (message) => warnLater(message),
      ...(catchUpMs === undefined ? {} : { catchUpMs }),
    });
    const metrics = createServiceMetrics();
    let warningReplay: WarningReplay | undefined;
    registerSnapshotMetrics(metrics.registry, keeper);
    registerAuditStoreMetrics(metrics.registry, store);
    // pino at warn: nothing per request, the service's own faults (5xx) with their stack.
    const app = await buildRiskService({
      scorer,
      log: store,
      ruleSets,
      ...(rules === undefined ? {} : { rules, rulesSource: rulesPath }),
      pseudonymise: pseudonymiser.pseudonymise,
      auth,
      logger: { level: 'warn' },
      ...(config.bodyLimitBytes === undefined ? {} : { bodyLimitBytes: config.bodyLimitBytes }),
      ...(config.rateLimit === undefined ? {} : { rateLimit: config.rateLimit }),
      onlineState: keeper,
      metrics,
      models,
      // Early warning with the defaults the config file and flags leave, and a model alert for
      // every decline unless turned off.
      alerting: {
        store: AlertStore.on(store),
        entityDecisions: EntityDecisions.on(store),
        earlyWarning,
        modelAlerts,
        // Its indicators continue from the log's recent decisions instead of starting empty.
        history: { store, replayed: (replay) => void (warningReplay = replay) },
      },
    });
    // The active set is the store's latest: the --rules set was recorded as it became active.
    const active = ruleSets.latest();
    const url = await app.listen({ host, port });
    warnLater = (message) => {
      app.log.warn(message);
    };
    return {
      url,
      scorer,
      db,
      durability,
      ...(active === undefined
        ? {}
        : {
            rules: {
              version: active.version,
              ruleCount: (JSON.parse(active.json) as { rules: unknown[] }).rules.length,
            },
          }),
      apiKeys: auth === 'none' ? 0 : keys.size,
      recovery,
      ...(warningReplay === undefined ? {} : { warningReplay }),
      warnings,
      close: async () => {
        await app.close();
        state?.close();
        scorer.dispose();
      },
    };
  } catch (error) {
    await keeper?.abandon();
    models?.close();
    state?.close();
    store?.close();
    ruleSets?.close();
    scorer.dispose();
    throw error;
  }
}

/**
 * `vigil serve`: starts the service, prints where it listens and its decision bands, and runs
 * until SIGINT or SIGTERM (or `signal` aborts), then closes it.
 */
export async function runServeCommand(
  flags: ServeFlags,
  io: CliIO,
  { signal, env }: { signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {},
): Promise<void> {
  const service = await startService(flags, env);
  const { modelVersion, bands } = service.scorer;
  if (flags.insecureNoAuth === true)
    io.stderr('vigil serve: warning: --insecure-no-auth: every route is open to anyone who can reach the port\n');
  for (const warning of service.warnings) io.stderr(`vigil serve: warning: ${warning}\n`);
  const { recovery } = service;
  io.stdout(
    `vigil serve: online state: ${recovery.snapshot === undefined ? 'no snapshot' : `snapshot ${recovery.snapshot.id} (${recovery.snapshot.seenEvents} events)`}, ${recovery.replayedEvents} logged event(s) and ${recovery.reappliedLabels} label(s) replayed in ${recovery.durationMs.toFixed(0)} ms\n`,
  );
  if (service.warningReplay !== undefined) {
    const { decisions, activity, durationMs } = service.warningReplay;
    io.stdout(
      `vigil serve: early warning: ${decisions} logged decision(s) and ${activity} login/behaviour event(s) replayed in ${durationMs.toFixed(0)} ms\n`,
    );
  }
  io.stdout(
    `vigil serve: listening on ${service.url}; audit store ${service.db} (durability ${service.durability}); ${service.apiKeys === 0 ? 'no authentication' : `${service.apiKeys} API key(s)`}; model ${modelVersion}: decline from ${bands.declineFrom.toFixed(4)}, review from ${bands.reviewFrom.toFixed(4)}; ${service.rules === undefined ? 'no rules' : `rules ${service.rules.version} (${service.rules.ruleCount})`}\n`,
  );
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  signal?.addEventListener('abort', onSignal, { once: true });
  try {
    if (!stop.signal.aborted && !signal?.aborted) await once(stop.signal, 'abort');
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await service.close();
    io.stdout('vigil serve: stopped\n');
  }
}
