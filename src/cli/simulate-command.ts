import { writeTransactionsCsv } from '../simulation/index.js';
import { parseIntegerFlag } from './flags.js';
import type { CliIO } from './output.js';

export interface SimulateFlags {
  customers: string;
  terminals: string;
  days: string;
  seed: string;
  startDate: string;
  out: string;
  labels?: string;
  json?: boolean;
}

const SCENARIO_NAMES = ['genuine', 'large amount', 'compromised terminal', 'compromised card', 'account takeover'];

/** `vigil simulate`: writes a simulated transaction stream (and optionally its late label feed). */
export async function runSimulateCommand(flags: SimulateFlags, io: CliIO): Promise<void> {
  const summary = await writeTransactionsCsv(
    {
      customers: parseIntegerFlag('--customers', flags.customers, { min: 1 }),
      terminals: parseIntegerFlag('--terminals', flags.terminals, { min: 1 }),
      days: parseIntegerFlag('--days', flags.days, { min: 1 }),
      seed: parseIntegerFlag('--seed', flags.seed, { min: 0 }),
      startDate: flags.startDate,
    },
    flags.out,
    { labelsPath: flags.labels },
  );
  if (flags.json) {
    io.stdout(`${JSON.stringify({ out: flags.out, labels: flags.labels, ...summary })}\n`);
    return;
  }
  io.stdout(
    `${flags.out}: ${summary.rows} transactions, ${summary.frauds} frauds (${((100 * summary.frauds) / Math.max(1, summary.rows)).toFixed(2)}%) in ${summary.seconds.toFixed(1)} s\n`,
  );
  for (const [scenario, count] of Object.entries(summary.scenarios))
    io.stdout(`  ${SCENARIO_NAMES[Number(scenario)] ?? scenario}: ${count}\n`);
  if (flags.labels) io.stdout(`${flags.labels}: ${summary.labels} labels\n`);
}
