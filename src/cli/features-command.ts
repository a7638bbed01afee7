import { loadFeatureSpec, replayTransactions, transactionsFromCsv, writeFeaturesCsv } from '../features/index.js';
import type { CliIO } from './output.js';

export interface FeaturesFlags {
  data: string;
  spec: string;
  out: string;
  json?: boolean;
}

/** Replays a transaction file through a feature spec and writes each row's features as CSV. */
export async function runFeaturesCommand(flags: FeaturesFlags, io: CliIO): Promise<void> {
  const spec = loadFeatureSpec(flags.spec);
  const readStart = performance.now();
  const tx = await transactionsFromCsv(flags.data, spec);
  const readSeconds = (performance.now() - readStart) / 1000;
  const replayStart = performance.now();
  const replay = replayTransactions(spec, tx);
  const replaySeconds = (performance.now() - replayStart) / 1000;
  await writeFeaturesCsv(flags.out, tx, replay);
  const summary = {
    out: flags.out,
    spec: spec.name,
    transactions: tx.nRows,
    features: replay.featureNames,
    readSeconds: Number(readSeconds.toFixed(3)),
    replaySeconds: Number(replaySeconds.toFixed(3)),
    transactionsPerSec: Math.round(tx.nRows / Math.max(replaySeconds, 1e-9)),
    entities: replay.executor.entityCounts(),
  };
  if (flags.json) {
    io.stdout(`${JSON.stringify(summary)}\n`);
    return;
  }
  io.stdout(
    `${flags.out}: ${tx.nRows} transactions × ${replay.featureNames.length} features of '${spec.name}' ` +
      `(read ${readSeconds.toFixed(1)} s, features ${replaySeconds.toFixed(2)} s = ${summary.transactionsPerSec} transactions/s)\n`,
  );
}
