import { once } from 'node:events';
import { ConfigError } from '../errors.js';
import { OnlineScorer, type ScoringEngine } from '../scoring/index.js';
import { API_KEYS_ENV, ApiKeys, buildRiskService, createPseudonymiser, PSEUDONYM_KEY_ENV } from '../server/index.js';
import { AlertStore, AuditStore, EntityDecisions } from '../store/index.js';
import { parseIntegerFlag } from './flags.js';
import type { CliIO } from './output.js';

export interface ServeFlags {
  model: string;
  db?: string;
  port?: string;
  host?: string;
  engine?: ScoringEngine;
  reviewFrom?: string;
  insecureNoAuth?: boolean;
}

export interface RunningService {
  /** `http://host:port` it listens on. */
  url: string;
  scorer: OnlineScorer;
  /** Keys configured; 0 with --insecure-no-auth. */
  apiKeys: number;
  close(): Promise<void>;
}

/** Default port of `vigil serve`. */
export const DEFAULT_PORT = 8080;
/** Default audit store file of `vigil serve`. */
export const DEFAULT_DB = 'vigil.db';

/**
 * Starts the service the flags describe (the pseudonymisation key from `env`) and returns once
 * it listens.
 *
 * @throws ConfigError `missing_pseudonym_key` without VIGIL_PSEUDONYM_KEY, `no_api_keys` without
 *   VIGIL_API_KEYS (unless --insecure-no-auth), `invalid_api_keys`
 */
export async function startService(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): Promise<RunningService> {
  const port = flags.port === undefined ? DEFAULT_PORT : parseIntegerFlag('--port', flags.port, { min: 0, max: 65535 });
  let reviewFrom: number | undefined;
  if (flags.reviewFrom !== undefined) {
    reviewFrom = Number(flags.reviewFrom);
    if (flags.reviewFrom.trim() === '' || !Number.isFinite(reviewFrom))
      throw new ConfigError('invalid_flag', `--review-from must be a score, got ${JSON.stringify(flags.reviewFrom)}`);
  }
  const key = env[PSEUDONYM_KEY_ENV];
  if (key === undefined || key === '')
    throw new ConfigError(
      'missing_pseudonym_key',
      `set ${PSEUDONYM_KEY_ENV} to a secret of 32+ characters (e.g. openssl rand -hex 32): customer, IP and device ids are stored only as keyed HMACs`,
    );
  const pseudonymiser = createPseudonymiser(key);
  const keys = ApiKeys.parse(env[API_KEYS_ENV] ?? '');
  if (keys.size === 0 && flags.insecureNoAuth !== true)
    throw new ConfigError(
      'no_api_keys',
      `no API keys: set ${API_KEYS_ENV}="scorer:KEY,analyst:KEY,admin:KEY" (keys of 16+ characters), or pass --insecure-no-auth to serve without authentication`,
    );
  const auth = flags.insecureNoAuth === true ? 'none' : keys;
  const scorer = await OnlineScorer.load(flags.model, {
    ...(flags.engine === undefined ? {} : { engine: flags.engine }),
    ...(reviewFrom === undefined ? {} : { reviewFrom }),
  }).catch((error: unknown) => {
    if (error instanceof ConfigError && error.code === 'invalid_option')
      throw new ConfigError('invalid_flag', `--review-from: ${error.message}`, { cause: error });
    throw error;
  });
  let store: AuditStore | undefined;
  try {
    store = AuditStore.open(flags.db ?? DEFAULT_DB, { keyFingerprint: pseudonymiser.keyFingerprint });
    // pino at warn: nothing per request, the service's own faults (5xx) with their stack.
    const app = await buildRiskService({
      scorer,
      log: store,
      pseudonymise: pseudonymiser.pseudonymise,
      auth,
      logger: { level: 'warn' },
      // Early warning with its documented defaults, and a model alert for every decline.
      alerting: { store: AlertStore.on(store), entityDecisions: EntityDecisions.on(store) },
    });
    const url = await app.listen({ host: flags.host ?? '127.0.0.1', port });
    return {
      url,
      scorer,
      apiKeys: auth === 'none' ? 0 : keys.size,
      close: async () => {
        await app.close();
        scorer.dispose();
      },
    };
  } catch (error) {
    store?.close();
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
  io.stdout(
    `vigil serve: listening on ${service.url}; audit store ${flags.db ?? DEFAULT_DB}; ${service.apiKeys === 0 ? 'no authentication' : `${service.apiKeys} API key(s)`}; model ${modelVersion}: decline from ${bands.declineFrom.toFixed(4)}, review from ${bands.reviewFrom.toFixed(4)}\n`,
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
