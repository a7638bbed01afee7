// Training speed of the fraud sequence models (cnn, lstm, lstm-attention) against the same-shape
// networks in single-threaded PyTorch. Vigil's side is the estimator itself — SequenceClassifier
// with its default network, fitted for a fixed number of epochs on random sequences of 6 steps ×
// 15 features (no validation part, no early stopping) — so the figure is what a user's `fit` pays
// per row, worker threads included. PyTorch trains the estimator's exact network (its
// `networks()` spec: input [6, 16] with the padding indicator) through bench/engine/torch-reference.py,
// with the same batch size, loss and optimiser, on one thread.
//
// Each model runs Vigil (one untimed 1-epoch fit to start the workers and warm the JIT, then the
// timed fit) and then PyTorch back to back, so load on a shared machine hits both alike.
//
// Run: npm run bench:sequence [-- --json] [--rows 50000] [--epochs 3] [--threads N] [--only cnn,lstm]
//                               [--torch-seconds 10] [--no-torch | --python /usr/bin/python3]
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { closeReplicaWorkers, initRuntime } from '../src/engine/index.js';
import type { Matrix } from '../src/matrix.js';
import { SEQUENCE_ARCHITECTURES, type SequenceArchitecture, SequenceClassifier } from '../src/models/index.js';
import { Random } from '../src/random.js';

const TORCH_SCRIPT = new URL('./engine/torch-reference.py', import.meta.url).pathname;
const STEPS = 6;
const FEATURES = 15;
const BATCH_SIZE = 256;
const LEARNING_RATE = 1e-3;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    rows: { type: 'string', default: '50000' },
    epochs: { type: 'string', default: '3' },
    threads: { type: 'string' },
    only: { type: 'string' },
    'torch-seconds': { type: 'string', default: '10' },
    'no-torch': { type: 'boolean', default: false },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const nRows = Number(values.rows);
const epochs = Number(values.epochs);
const threads = values.threads === undefined ? undefined : Number(values.threads);
const torchSeconds = Number(values['torch-seconds']);
const names = values.only ? (values.only.split(',') as SequenceArchitecture[]) : [...SEQUENCE_ARCHITECTURES];
for (const name of names) {
  if (!SEQUENCE_ARCHITECTURES.includes(name)) usage(`--only: unknown model '${name}'`);
}
if (!(Number.isInteger(nRows) && nRows >= BATCH_SIZE)) usage(`--rows must be an integer ≥ ${BATCH_SIZE}`);
if (!(Number.isInteger(epochs) && epochs >= 1)) usage('--epochs must be a positive integer');
if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1))
  usage('--threads must be a positive integer');
if (!(torchSeconds > 0)) usage('--torch-seconds must be a positive number');

function usage(message: string): never {
  console.error(`bench:sequence: ${message}`);
  process.exit(2);
}

const log = (message: string) => console.error(message);

/** Standard normal sequences and a label from a fixed linear rule plus noise (about 30 % positive), as bench/engine. */
function benchData(seed: number): { x: Matrix; y: Float32Array } {
  const random = new Random(seed);
  const width = STEPS * FEATURES;
  const data = new Float32Array(nRows * width);
  for (let i = 0; i < data.length; i++) data[i] = random.normal();
  const w = Float64Array.from({ length: width }, () => random.normal());
  const norm = Math.hypot(...w);
  const y = new Float32Array(nRows);
  for (let r = 0; r < nRows; r++) {
    let z = 0;
    for (let j = 0; j < width; j++) z += (w[j] as number) * (data[r * width + j] as number);
    y[r] = z / norm + 0.5 * random.normal() > 0.6 ? 1 : 0;
  }
  return { x: { data, nRows, nCols: width }, y };
}

interface VigilResult {
  rowsPerSec: number;
  threads: number;
  spec: unknown;
}

async function vigilRowsPerSec(architecture: SequenceArchitecture, x: Matrix, y: Float32Array): Promise<VigilResult> {
  const params = {
    architecture,
    seed: 1,
    batchSize: BATCH_SIZE,
    learningRate: LEARNING_RATE,
    validationSplit: 0,
    earlyStopping: false as const,
    ...(threads !== undefined ? { threads } : {}),
  };
  await new SequenceClassifier({ ...params, epochs: 1 }).fit(x, y);
  const model = new SequenceClassifier({ ...params, epochs });
  const started = performance.now();
  await model.fit(x, y);
  const seconds = (performance.now() - started) / 1000;
  return { rowsPerSec: (nRows * epochs) / seconds, threads: model.trainedThreads, spec: model.networks()[0]?.spec };
}

interface TorchResult {
  rowsPerSec: number | null;
  version?: string;
  threads?: unknown;
  error?: string;
}

async function torchRowsPerSec(name: SequenceArchitecture, spec: unknown, dir: string): Promise<TorchResult> {
  if (values['no-torch']) return { rowsPerSec: null, error: 'skipped (--no-torch)' };
  const shapesPath = join(dir, `${name}.json`);
  const shapes = {
    data: { rows: nRows, seed: 20240611 },
    models: {
      [name]: {
        kind: 'classifier',
        network: spec,
        loss: 'bceWithLogits',
        batchSize: BATCH_SIZE,
        optimizer: { name: 'adam', learningRate: LEARNING_RATE },
      },
    },
  };
  writeFileSync(shapesPath, JSON.stringify(shapes));
  const args = [TORCH_SCRIPT, '--shapes', shapesPath, '--seconds', String(torchSeconds), '--score-seconds', '0.2'];
  try {
    const { stdout } = await promisify(execFile)(values.python, [...args, '--only', name], {
      maxBuffer: 1 << 20,
      timeout: (torchSeconds + 120) * 1000,
    });
    const out = JSON.parse(stdout) as {
      torchVersion: string;
      threads: unknown;
      models: Record<string, { trainRowsPerSec: number }>;
    };
    const m = out.models[name];
    if (!m) return { rowsPerSec: null, error: `torch-reference.py returned no '${name}'` };
    return { rowsPerSec: m.trainRowsPerSec, version: out.torchVersion, threads: out.threads };
  } catch (error) {
    // torch-reference.py prints {"error"} and exits 3 when torch is not importable.
    const e = error as { code?: string | number; stdout?: string; message?: string };
    let reason = e.code === 'ENOENT' ? `${values.python} not found` : (e.message ?? String(error));
    try {
      reason = (JSON.parse(e.stdout ?? '') as { error?: string }).error ?? reason;
    } catch {}
    return { rowsPerSec: null, error: reason };
  }
}

const round = (v: number | null, digits = 0) => (v === null ? null : Number(v.toFixed(digits)));

const loadAtStart = os.loadavg()[0] ?? null;
await initRuntime();
const { x, y } = benchData(1);
const dir = mkdtempSync(join(os.tmpdir(), 'vigil-sequence-speed-'));
const results: Record<string, Record<string, unknown>> = {};
let torchInfo: { version?: string; threads?: unknown; note?: string } = {};
try {
  for (const name of names) {
    log(`${name}: Vigil, ${epochs} epoch(s) of ${nRows} rows…`);
    const vigil = await vigilRowsPerSec(name, x, y);
    log(`${name}: PyTorch (${torchSeconds} s)…`);
    const torch = await torchRowsPerSec(name, vigil.spec, dir);
    if (torch.version) torchInfo = { version: torch.version, threads: torch.threads };
    else torchInfo.note ??= torch.error;
    results[name] = {
      vigilRowsPerSec: round(vigil.rowsPerSec),
      vigilThreads: vigil.threads,
      torchRowsPerSec: round(torch.rowsPerSec),
      vigilToTorch: torch.rowsPerSec === null ? null : round(vigil.rowsPerSec / torch.rowsPerSec, 2),
      network: vigil.spec,
      ...(torch.error ? { torchError: torch.error } : {}),
    };
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
  await closeReplicaWorkers();
}

const summary = {
  machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model, loadAtStart, loadAtEnd: os.loadavg()[0] ?? null },
  data: { rows: nRows, steps: STEPS, features: FEATURES, epochs, batchSize: BATCH_SIZE },
  torch: torchInfo,
  models: results,
};
if (values.json) {
  console.log(JSON.stringify(summary, null, 2));
} else {
  console.log(`sequence models, ${nRows} rows × ${STEPS} steps × ${FEATURES} features, batch ${BATCH_SIZE}`);
  console.log('model           Vigil rows/s (threads)   PyTorch rows/s (1 thread)   Vigil / PyTorch');
  for (const [name, r] of Object.entries(results)) {
    const torchCell = r.torchRowsPerSec === null ? `— (${r.torchError})` : String(r.torchRowsPerSec);
    console.log(
      `${name.padEnd(16)}${`${r.vigilRowsPerSec} (${r.vigilThreads})`.padEnd(25)}${torchCell.padEnd(28)}${r.vigilToTorch ?? '—'}`,
    );
  }
  if (torchInfo.version) console.log(`PyTorch ${torchInfo.version}`);
}
