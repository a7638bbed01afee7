// Side-by-side engine benchmark: trains and scores the models of shapes.json (MLP, LSTM, CNN,
// autoencoder, GAN) with stock tfjs-wasm, with Vigil's engine, and with single-threaded PyTorch
// when /usr/bin/python3 has torch, all in one run on the same shapes and batch sizes.
//
// Per model the engines run back to back (stock, Vigil, PyTorch, then stock and Vigil scoring),
// so machine drift on a shared host hits each alike; with --rounds N stock, Vigil and PyTorch
// training alternate N times and the medians are kept. Progress goes to stderr, the result to stdout.
//
// Run: npm run bench:engine [-- --json] [--seconds 5] [--only mlp,lstm] [--threads 2] [--rounds 1]
//                             [--no-torch | --python /usr/bin/python3]
import { execFile } from 'node:child_process';
import os from 'node:os';
import { parseArgs, promisify } from 'node:util';
import { initRuntime, setFastKernels, tf } from '../../src/engine/index.js';
import { type EngineBenchFactory, type EngineBenchInput, type EngineBenchModel, median } from './bench-model.js';
import { loadShapes, MODEL_NAMES, type ModelName, makeBenchData, SHAPES_PATH } from './shapes.js';
import { createStockModel } from './stock-models.js';
import { createVigilModel } from './vigil-models.js';

const TORCH_SCRIPT = new URL('./torch-reference.py', import.meta.url).pathname;

const { values } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    seconds: { type: 'string', default: '5' },
    only: { type: 'string' },
    threads: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '1' },
    'no-torch': { type: 'boolean', default: false },
    // Debian's python3-torch lives here; another interpreter (a venv with a newer torch) can be given.
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});
const python = values.python;
const seconds = Number(values.seconds);
const threads = Number(values.threads);
const rounds = Number(values.rounds);
// Scoring calls are short; a fifth of the training time per row count gives hundreds of calls.
const scoreSeconds = Math.max(0.5, seconds / 5);
const names = values.only ? (values.only.split(',') as ModelName[]) : [...MODEL_NAMES];
for (const name of names) {
  if (!MODEL_NAMES.includes(name)) usage(`--only: unknown model '${name}' (models: ${MODEL_NAMES.join(', ')})`);
}
if (!(seconds > 0)) usage('--seconds must be a positive number');
if (!(Number.isInteger(threads) && threads >= 1)) usage('--threads must be a positive integer');
if (!(Number.isInteger(rounds) && rounds >= 1)) usage('--rounds must be a positive integer');

function usage(message: string): never {
  console.error(`bench:engine: ${message}`);
  process.exit(2);
}

// Progress on stderr keeps stdout a single JSON document with --json.
const log = (message: string) => console.error(message);

/** A figure, or why there is none. */
type Measured = { value: number; error?: undefined } | { value: null; error: string };

/** One model's torch-reference.py result, or the reason there is none. */
interface TorchResult {
  trainRowsPerSec: number | null;
  score1: number | null;
  score1000: number | null;
  error?: string;
  version?: string;
  threads?: unknown;
}

async function measure(run: () => Promise<number>): Promise<Measured> {
  try {
    return { value: await run() };
  } catch (error) {
    return { value: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** An engine that cannot even build the model reports that on every measurement instead of ending the run. */
function createOrExplain(create: EngineBenchFactory, input: EngineBenchInput): EngineBenchModel {
  try {
    return create(input);
  } catch (error) {
    const fail = () => Promise.reject(error);
    return { name: input.name, trainRowsPerSec: fail, scoreMicrosPerRow: fail, dispose() {} };
  }
}

/** Stock tfjs-wasm runs on stock kernels; Vigil's engine on the runtime's default (fast) ones. */
const ENGINES: { key: 'stock' | 'vigil'; create: EngineBenchFactory; fastKernels: boolean }[] = [
  { key: 'stock', create: createStockModel, fastKernels: false },
  { key: 'vigil', create: createVigilModel, fastKernels: true },
];

async function runTorch(name: ModelName): Promise<TorchResult> {
  const none = { trainRowsPerSec: null, score1: null, score1000: null };
  if (values['no-torch']) return { ...none, error: 'skipped (--no-torch)' };
  const args = [TORCH_SCRIPT, '--shapes', SHAPES_PATH, '--seconds', String(seconds)];
  args.push('--score-seconds', String(scoreSeconds), '--only', name);
  try {
    const { stdout } = await promisify(execFile)(python, args, { maxBuffer: 1 << 20, timeout: (seconds + 120) * 1000 });
    const out = JSON.parse(stdout) as {
      torchVersion: string;
      threads: unknown;
      models: Record<string, { trainRowsPerSec: number; scoreMicrosPerRow1: number; scoreMicrosPerRow1000: number }>;
    };
    const m = out.models[name];
    if (!m) return { ...none, error: `torch-reference.py returned no '${name}'` };
    return {
      trainRowsPerSec: m.trainRowsPerSec,
      score1: m.scoreMicrosPerRow1,
      score1000: m.scoreMicrosPerRow1000,
      version: out.torchVersion,
      threads: out.threads,
    };
  } catch (error) {
    // torch-reference.py prints {"error"} and exits 3 when torch is not importable.
    const e = error as { code?: string | number; stdout?: string; message?: string };
    let reason = e.code === 'ENOENT' ? `${python} not found` : (e.message ?? String(error));
    try {
      reason = (JSON.parse(e.stdout ?? '') as { error?: string }).error ?? reason;
    } catch {}
    return { ...none, error: reason };
  }
}

const round = (v: number | null, digits = 0) => (v === null ? null : Number(v.toFixed(digits)));
const ratio = (a: number | null, b: number | null) => (a === null || b === null ? null : round(a / b, 2));

const loadAtStart = os.loadavg()[0] ?? null;
await initRuntime();
const shapes = loadShapes();
const results: Record<string, Record<string, unknown>> = {};
let torchInfo: { version?: string; threads?: unknown; note?: string } = {};

for (const name of names) {
  const shape = shapes.models[name];
  const data = makeBenchData(shapes, name);
  const models = new Map<'stock' | 'vigil', EngineBenchModel>();
  const train: Record<'stock' | 'vigil', Measured[]> = { stock: [], vigil: [] };
  const torchRuns: Awaited<ReturnType<typeof runTorch>>[] = [];
  for (const engine of ENGINES) models.set(engine.key, createOrExplain(engine.create, { name, shape, data }));
  for (let r = 0; r < rounds; r++) {
    for (const engine of ENGINES) {
      setFastKernels(engine.fastKernels);
      log(`${name}: training on ${engine.key} (${seconds} s)…`);
      const model = models.get(engine.key)!;
      train[engine.key].push(await measure(() => model.trainRowsPerSec({ seconds, threads })));
    }
    // PyTorch runs in every round too, so all three medians see the same stretch of machine time.
    log(`${name}: PyTorch…`);
    torchRuns.push(await runTorch(name));
  }
  const torchTrain = torchRuns.flatMap((t) =>
    t.trainRowsPerSec === null || t.trainRowsPerSec === undefined ? [] : [t.trainRowsPerSec],
  );
  const torch = {
    ...(torchRuns[0] as Awaited<ReturnType<typeof runTorch>>),
    trainRowsPerSec: torchTrain.length > 0 ? median(torchTrain) : null,
  };
  if (torch.version) torchInfo = { version: torch.version, threads: torch.threads };
  else torchInfo.note ??= torch.error;

  const score: Record<string, Measured> = {};
  for (const engine of ENGINES) {
    setFastKernels(engine.fastKernels);
    log(`${name}: scoring on ${engine.key}…`);
    const model = models.get(engine.key)!;
    for (const rows of [1, 1000]) {
      score[`${engine.key}${rows}`] = await measure(() =>
        model.scoreMicrosPerRow({ rows, seconds: scoreSeconds, threads }),
      );
    }
    model.dispose();
  }
  setFastKernels(true);

  const rowsPerSec = (runs: Measured[]) => {
    const ok = runs.flatMap((m) => (m.value === null ? [] : [m.value]));
    return ok.length === 0 ? null : median(ok);
  };
  const firstError = (runs: Measured[]) => runs.find((m) => m.error !== undefined)?.error;
  const stock = rowsPerSec(train.stock);
  const vigil = rowsPerSec(train.vigil);
  const micros = (m: Measured | undefined) => round(m?.value ?? null, 2);
  results[name] = {
    stockRowsPerSec: round(stock),
    vigilRowsPerSec: round(vigil),
    torchRowsPerSec: round(torch.trainRowsPerSec),
    vigilToTorch: ratio(vigil, torch.trainRowsPerSec),
    stockToTorch: ratio(stock, torch.trainRowsPerSec),
    vigilToStock: ratio(vigil, stock),
    // The headline figure: one row through Vigil's scoring runtime (onnxruntime); details below.
    scoreMicrosPerRow: micros(score.vigil1),
    scoring: {
      vigilOnnx1: micros(score.vigil1),
      vigilOnnx1000: micros(score.vigil1000),
      stock1: micros(score.stock1),
      stock1000: micros(score.stock1000),
      torch1: round(torch.score1, 2),
      torch1000: round(torch.score1000, 2),
    },
    ...(rounds > 1 && {
      stockRuns: train.stock.map((m) => round(m.value)),
      vigilRuns: train.vigil.map((m) => round(m.value)),
      torchRuns: torchRuns.map((t) => round(t.trainRowsPerSec ?? null)),
    }),
    ...(firstError(train.stock) && { stockError: firstError(train.stock) }),
    ...(firstError(train.vigil) && { vigilError: firstError(train.vigil) }),
    ...(torch.error && { torchError: torch.error }),
    ...((score.stock1?.error || score.stock1000?.error) && {
      stockScoreError: score.stock1?.error ?? score.stock1000?.error,
    }),
    ...((score.vigil1?.error || score.vigil1000?.error) && {
      vigilScoreError: score.vigil1?.error ?? score.vigil1000?.error,
    }),
  };
  log(`${name}: ${JSON.stringify(results[name])}`);
}

const cpus = os.cpus();
const report = {
  machine: {
    cpus: cpus.length,
    model: cpus[0]?.model.trim() ?? 'unknown',
    node: process.versions.node,
    // The hosts are shared: a load above the core count means the figures below shared the CPU.
    loadAverage1m: { atStart: round(loadAtStart, 2), atEnd: round(os.loadavg()[0] ?? null, 2) },
    tfjs: tf.version.tfjs,
    tfjsBackend: tf.getBackend(),
    torch: torchInfo.version ?? null,
    torchThreads: torchInfo.threads ?? null,
    ...(torchInfo.note && !torchInfo.version && { torchNote: torchInfo.note }),
  },
  settings: {
    secondsPerTraining: seconds,
    secondsPerScoring: scoreSeconds,
    vigilThreads: threads,
    stockThreads: 1,
    torchThreads: 1,
    rounds,
    dataRows: shapes.data.rows,
    row: 'one training example; for the GAN one real row (a step = one D update on real + generated rows, one G update)',
    ratios: 'a/b of training rows/s; above 1 means a is faster',
  },
  models: results,
};

if (values.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  printTable();
}

function printTable(): void {
  const fmt = (v: unknown, digits = 0) =>
    typeof v === 'number' ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—';
  const header = [
    'model',
    'stock rows/s',
    'vigil rows/s',
    'torch rows/s',
    'vigil/torch',
    'stock/torch',
    'vigil/stock',
    'µs/row @1 (stock·onnx·torch)',
    'µs/row @1000 (stock·onnx·torch)',
  ];
  const rows = Object.entries(results).map(([name, r]) => {
    const s = r.scoring as Record<string, number | null>;
    return [
      name,
      fmt(r.stockRowsPerSec),
      fmt(r.vigilRowsPerSec),
      fmt(r.torchRowsPerSec),
      fmt(r.vigilToTorch, 2),
      fmt(r.stockToTorch, 2),
      fmt(r.vigilToStock, 2),
      [s.stock1, s.vigilOnnx1, s.torch1].map((v) => fmt(v, 1)).join(' · '),
      [s.stock1000, s.vigilOnnx1000, s.torch1000].map((v) => fmt(v, 2)).join(' · '),
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] as string).length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  const m = report.machine;
  console.log(
    `${m.cpus} × ${m.model}, Node ${m.node}, tfjs ${m.tfjs} (${m.tfjsBackend}), torch ${m.torch ?? `absent (${m.torchNote ?? 'no reason given'})`}`,
  );
  console.log(`load average (1 min): ${m.loadAverage1m.atStart} at start, ${m.loadAverage1m.atEnd} at end`);
  console.log(line(header));
  for (const row of rows) console.log(line(row));
  for (const [name, r] of Object.entries(results)) {
    for (const key of ['stockError', 'vigilError', 'torchError', 'stockScoreError', 'vigilScoreError']) {
      if (r[key]) console.log(`${name} ${key}: ${r[key]}`);
    }
  }
}
