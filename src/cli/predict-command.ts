import { ConfigError } from '../errors.js';
import { runPredictJob, type ScoringEngine } from '../scoring/index.js';
import type { CliIO } from './output.js';

export interface PredictFlags {
  model: string;
  data: string;
  delimiter?: string;
  out: string;
  engine?: ScoringEngine;
  scoreFrom?: string;
}

export async function runPredictCommand(flags: PredictFlags, io: CliIO): Promise<void> {
  const result = await runPredictJob({
    modelDir: flags.model,
    dataPath: flags.data,
    outPath: flags.out,
    delimiter: flags.delimiter,
    engine: flags.engine,
    ...(flags.scoreFrom !== undefined ? { scoreFrom: flags.scoreFrom } : {}),
  }).catch((error: unknown) => {
    // The flag is valid, but not for this bundle: a usage error (exit 2), named as the flag.
    if (error instanceof ConfigError && error.code === 'unsupported_engine') {
      throw new ConfigError('invalid_flag', `--engine ${flags.engine}: ${error.message}`, { cause: error });
    }
    throw error;
  });
  const rate = result.elapsedMs > 0 ? Math.round((result.rows / result.elapsedMs) * 1000) : result.rows;
  const flagged = result.positives !== undefined ? `, ${result.positives} at or above the threshold` : '';
  const engine = result.engine === undefined ? '' : ` with ${result.engine === 'onnx' ? 'onnxruntime' : 'TF.js'}`;
  const history = result.history ? ` after ${result.history} rows of history` : '';
  io.stdout(
    `Scored ${result.rows} rows${history} in ${(result.elapsedMs / 1000).toFixed(2)}s (${rate} rows/s)${engine}${flagged}; wrote ${flags.out}\n`,
  );
}
