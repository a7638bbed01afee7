import { runPredictJob } from '../scoring/index.js';
import type { CliIO } from './output.js';

export interface PredictFlags {
  model: string;
  data: string;
  delimiter?: string;
  out: string;
}

export async function runPredictCommand(flags: PredictFlags, io: CliIO): Promise<void> {
  const result = await runPredictJob({
    modelDir: flags.model,
    dataPath: flags.data,
    outPath: flags.out,
    delimiter: flags.delimiter,
  });
  const rate = result.elapsedMs > 0 ? Math.round((result.rows / result.elapsedMs) * 1000) : result.rows;
  const flagged = result.positives !== undefined ? `, ${result.positives} at or above the threshold` : '';
  io.stdout(
    `Scored ${result.rows} rows in ${(result.elapsedMs / 1000).toFixed(2)}s (${rate} rows/s)${flagged}; wrote ${flags.out}\n`,
  );
}
