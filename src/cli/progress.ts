import cliProgress from 'cli-progress';
import type { EpochLogs } from '../models/estimator.js';
import type { CliIO } from './output.js';

/**
 * Epoch progress: a bar on a terminal, one line per epoch with --verbose elsewhere, nothing
 * otherwise (so logs and pipes stay clean).
 */
export function epochProgress(io: CliIO, maxEpochs: number, verbose: boolean) {
  let bar: cliProgress.SingleBar | undefined;
  let lastEpoch = 0;
  const format = (logs: EpochLogs) => {
    const parts = [`loss ${logs.loss.toFixed(4)}`];
    if (logs.valLoss !== undefined) parts.push(`val_loss ${logs.valLoss.toFixed(4)}`);
    if (logs.valAuc !== undefined) parts.push(`val_auc ${logs.valAuc.toFixed(4)}`);
    return parts.join('  ');
  };
  return {
    onEpochEnd(logs: EpochLogs) {
      // Epochs are 0-based, as in Keras; people count from 1.
      lastEpoch = logs.epoch + 1;
      if (io.isTTY) {
        bar ??= new cliProgress.SingleBar(
          { format: 'training |{bar}| epoch {value}/{total}  {metrics}', stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        if (!bar.isActive) bar.start(maxEpochs, 0, { metrics: '' });
        bar.update(lastEpoch, { metrics: format(logs) });
      } else if (verbose) {
        io.stderr(`epoch ${lastEpoch}  ${format(logs)}\n`);
      }
    },
    stop() {
      if (bar?.isActive) {
        // Early stopping ends before maxEpochs; show the bar as complete at the epoch reached.
        bar.setTotal(Math.max(1, lastEpoch));
        bar.update(lastEpoch);
        bar.stop();
      }
    },
  };
}
