// Where a thread's time went, from a V8 CPU profile (`node --cpu-prof`, or `npm run bench:service --
// --cpu-profile-dir DIR`, whose first file is the service's main thread): the share of busy samples
// by self time, per category — a folder of src/ (`src/store`), an npm package (`fastify`), a
// node: module, or a native entry such as `writev` or `(garbage collector)` — and per function.
// Only the last --last-seconds of the profile count (default: all of it), so a benchmark's
// warm-up can be left out. Native code called from JavaScript (better-sqlite3's statements, the
// ONNX runtime's run) counts under the JavaScript function that called it.
//
// Run: npm run bench:cpu-profile -- FILE.cpuprofile [--last-seconds 15] [--top 25]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    'last-seconds': { type: 'string' },
    top: { type: 'string', default: '25' },
  },
});
const file = positionals[0];
if (file === undefined) throw new Error('give the .cpuprofile file to read');
const top = Number(values.top);
const lastSeconds = values['last-seconds'] === undefined ? Number.POSITIVE_INFINITY : Number(values['last-seconds']);
if (!(lastSeconds > 0)) throw new Error(`--last-seconds must be a positive number, got ${values['last-seconds']}`);
if (!Number.isInteger(top) || top < 1) throw new Error(`--top must be a whole number ≥ 1, got ${values.top}`);

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
const nodes = new Map(profile.nodes.map((n) => [n.id, n]));

/** The category of a frame: src/<folder>, an npm package, a node: module, or the native entry's name. */
function category({ url, functionName }: CallFrame): string {
  const packageAt = url.lastIndexOf('node_modules/');
  if (packageAt >= 0) {
    const parts = url.slice(packageAt + 'node_modules/'.length).split('/');
    return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  }
  const srcAt = url.lastIndexOf('/src/');
  if (srcAt >= 0) {
    const rest = url.slice(srcAt + '/src/'.length).split('/');
    return `src/${rest[0]}`;
  }
  if (url.startsWith('node:')) return url;
  return url === '' ? functionName : url;
}

function functionLabel(frame: CallFrame): string {
  const srcAt = frame.url.lastIndexOf('/src/');
  const packageAt = frame.url.lastIndexOf('node_modules/');
  const where =
    srcAt >= 0
      ? frame.url.slice(srcAt + 1)
      : packageAt >= 0
        ? frame.url.slice(packageAt + 'node_modules/'.length)
        : frame.url;
  return `${frame.functionName || '(anonymous)'}${where === '' ? '' : ` ${where}`}`;
}

let elapsed = 0;
const times = profile.timeDeltas.map((d) => {
  elapsed += d;
  return elapsed;
});
const from = elapsed - lastSeconds * 1e6;
let total = 0;
let idle = 0;
const byCategory = new Map<string, number>();
const byFunction = new Map<string, number>();
profile.samples.forEach((id, i) => {
  if ((times[i] as number) < from) return;
  total++;
  const frame = (nodes.get(id) as ProfileNode).callFrame;
  if (frame.functionName === '(idle)') {
    idle++;
    return;
  }
  const c = category(frame);
  byCategory.set(c, (byCategory.get(c) ?? 0) + 1);
  const f = functionLabel(frame);
  byFunction.set(f, (byFunction.get(f) ?? 0) + 1);
});
const busy = total - idle;
const shares = (counts: Map<string, number>) =>
  [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, n]) => ({ name, percentOfBusy: Number(((100 * n) / busy).toFixed(1)) }));
console.log(
  JSON.stringify(
    {
      file,
      seconds: Number(((elapsed - Math.max(0, from)) / 1e6).toFixed(1)),
      samples: total,
      busyFraction: Number((busy / total).toFixed(3)),
      selfTimeByCategory: shares(byCategory),
      selfTimeByFunction: shares(byFunction),
    },
    null,
    2,
  ),
);
