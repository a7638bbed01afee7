import { once } from 'node:events';
import { ConfigError } from '../errors.js';
import { OnlineScorer, type ScoringEngine } from '../scoring/index.js';
import { buildRiskService, MemoryDecisionLog } from '../server/index.js';
import { parseIntegerFlag } from './flags.js';
import type { CliIO } from './output.js';

export interface ServeFlags {
  model: string;
  port?: string;
  host?: string;
  engine?: ScoringEngine;
  reviewFrom?: string;
}

export interface RunningService {
  /** `http://host:port` it listens on. */
  url: string;
  scorer: OnlineScorer;
  close(): Promise<void>;
}

/** Default port of `vigil serve`. */
export const DEFAULT_PORT = 8080;

/** Starts the service the flags describe and returns once it listens. */
export async function startService(flags: ServeFlags): Promise<RunningService> {
  const port = flags.port === undefined ? DEFAULT_PORT : parseIntegerFlag('--port', flags.port, { min: 0, max: 65535 });
  let reviewFrom: number | undefined;
  if (flags.reviewFrom !== undefined) {
    reviewFrom = Number(flags.reviewFrom);
    if (flags.reviewFrom.trim() === '' || !Number.isFinite(reviewFrom))
      throw new ConfigError('invalid_flag', `--review-from must be a score, got ${JSON.stringify(flags.reviewFrom)}`);
  }
  const scorer = await OnlineScorer.load(flags.model, {
    ...(flags.engine === undefined ? {} : { engine: flags.engine }),
    ...(reviewFrom === undefined ? {} : { reviewFrom }),
  }).catch((error: unknown) => {
    if (error instanceof ConfigError && error.code === 'invalid_option')
      throw new ConfigError('invalid_flag', `--review-from: ${error.message}`, { cause: error });
    throw error;
  });
  try {
    const app = await buildRiskService({ scorer, log: new MemoryDecisionLog() });
    const url = await app.listen({ host: flags.host ?? '127.0.0.1', port });
    return {
      url,
      scorer,
      close: async () => {
        await app.close();
        scorer.dispose();
      },
    };
  } catch (error) {
    scorer.dispose();
    throw error;
  }
}

/**
 * `vigil serve`: starts the service, prints where it listens and its decision bands, and runs
 * until SIGINT or SIGTERM (or `signal` aborts), then closes it.
 */
export async function runServeCommand(flags: ServeFlags, io: CliIO, signal?: AbortSignal): Promise<void> {
  const service = await startService(flags);
  const { modelVersion, bands } = service.scorer;
  io.stdout(
    `vigil serve: listening on ${service.url}; model ${modelVersion}: decline from ${bands.declineFrom.toFixed(4)}, review from ${bands.reviewFrom.toFixed(4)}\n`,
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
