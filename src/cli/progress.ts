import cliProgress from 'cli-progress';
import type { EpochLogs } from '../models/estimator.js';
import type { CliIO } from './output.js';

/**
 * Epoch progress: a bar on a terminal, one line per epoch with --verbose elsewhere, nothing
 * otherwise (so logs and pipes stay clean).
 */
export function epochProgress(io: CliIO, maxEpochs: number, verbose: boolean) {
  let bar: cliProgress.SingleBar | undefined;
  const format = (logs: EpochLogs) => {
    const parts = [`loss ${logs.loss.toFixed(4)}`];
    if (logs.valLoss !== undefined) parts.push(`val_loss ${logs.valLoss.toFixed(4)}`);
    if (logs.valAuc !== undefined) parts.push(`val_auc ${logs.valAuc.toFixed(4)}`);
    return parts.join('  ');
  };
  return {
    onEpochEnd(logs: EpochLogs) {
      if (io.isTTY) {
        bar ??= new cliProgress.SingleBar(
          { format: 'training |{bar}| epoch {value}/{total}  {metrics}', stream: process.stderr, hideCursor: true },
          cliProgress.Presets.shades_classic,
        );
        if (logs.epoch === 1 || !bar.isActive) bar.start(maxEpochs, 0, { metrics: '' });
        bar.update(logs.epoch, { metrics: format(logs) });
      } else if (verbose) {
        io.stderr(`epoch ${logs.epoch}  ${format(logs)}\n`);
      }
    },
    stop() {
      if (bar?.isActive) {
        // Early stopping ends before maxEpochs; show the bar as complete at the epoch reached.
        bar.setTotal(bar.getProgress() * maxEpochs || 1);
        bar.stop();
      }
    },
  };
}
