/**
 * One onnxruntime-node inference session on the CPU, behind a small interface so the rest of
 * Vigil never touches onnxruntime's API directly.
 *
 * Speed matters for single-row scoring: onnxruntime-node's public `InferenceSession.run` defers
 * every call by a `setImmediate` and re-wraps its outputs, about 5 µs of a ~25 µs call for a
 * small MLP. Its native binding runs synchronously on the calling thread (as the public call
 * does after that deferral), so this module uses the binding when it has the shape this code
 * knows (that of onnxruntime-node 1.30) and falls back to the public API otherwise. Both paths
 * produce identical outputs (checked in onnx-session.test.ts).
 */
import { createRequire } from 'node:module';
import type * as Ort from 'onnxruntime-node';
import { DataError } from '../errors.js';

/** How a session runs. Defaults suit request-time scoring: one thread, every graph optimisation. */
export interface OnnxSessionOptions {
  /** Threads inside one operator (default 1: single rows gain nothing from more, and the caller may run several sessions). */
  intraOpNumThreads?: number;
  /** `'binding'` (default when available) or `'public'` (onnxruntime-node's InferenceSession API). */
  api?: 'binding' | 'public';
}

/** A graph input or output as onnxruntime reports it. */
export interface OnnxValueMetadata {
  name: string;
  isTensor: boolean;
  /** `'float32'`, `'float64'`, `'int64'`, … (tensors only). */
  type?: string;
  /** Sizes, with symbolic dimensions (such as a batch `'N'`) as strings and unknown ones as `-1`. */
  shape?: (number | string)[];
}

/** A loaded model ready to run. */
export interface OnnxSession {
  readonly api: 'binding' | 'public';
  readonly inputs: OnnxValueMetadata[];
  readonly outputs: OnnxValueMetadata[];
  /** Runs the graph; returns the requested outputs. */
  run(feeds: Record<string, Ort.Tensor>, outputNames: string[]): Promise<Record<string, Ort.Tensor>>;
  /** Frees the native session. */
  release(): void;
  /** The onnxruntime module, for building input tensors. */
  readonly ort: typeof Ort;
}

/** The undocumented native session of onnxruntime-node (dist/binding.js), as far as it is used here. */
interface NativeSession {
  loadModel(buffer: ArrayBufferLike, byteOffset: number, byteLength: number, options: object): void;
  run(feeds: object, fetches: object, options: object): Record<string, Ort.Tensor>;
  dispose(): void;
  inputMetadata: NativeMetadata[];
  outputMetadata: NativeMetadata[];
}
interface NativeMetadata {
  name: string;
  isTensor: boolean;
  type: number;
  shape: number[];
  symbolicDimensions: string[];
}
interface NativeBinding {
  binding: { InferenceSession: new () => NativeSession };
  initOrt: () => void;
}

// TensorProto data types in onnxruntime-node's order (backend.js); index = ONNX type number.
const DATA_TYPES = [
  undefined,
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
];

let ortModule: Promise<typeof Ort> | undefined;
/** Loaded on first use, so commands that never score through onnxruntime do not load its native library. */
function loadOrt(): Promise<typeof Ort> {
  ortModule ??= import('onnxruntime-node').then(
    (m) => ((m as unknown as { default?: typeof Ort }).default ?? m) as typeof Ort,
  );
  return ortModule;
}

let nativeBinding: NativeBinding | null | undefined;
function loadNativeBinding(): NativeBinding | null {
  if (nativeBinding !== undefined) return nativeBinding;
  try {
    const required = createRequire(import.meta.url)('onnxruntime-node/dist/binding.js') as Partial<NativeBinding>;
    const ok = typeof required.initOrt === 'function' && typeof required.binding?.InferenceSession === 'function';
    nativeBinding = ok ? (required as NativeBinding) : null;
  } catch {
    nativeBinding = null;
  }
  return nativeBinding;
}

/** The onnxruntime-node version in use, for bundle provenance. */
export async function onnxruntimeVersion(): Promise<string> {
  const ort = await loadOrt();
  return ort.env.versions?.node ?? 'unknown';
}

function sessionOptions(options: OnnxSessionOptions): Ort.InferenceSession.SessionOptions {
  const threads = options.intraOpNumThreads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new DataError('bad_option', `intraOpNumThreads must be a positive integer, got ${threads}`);
  }
  return {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // Warnings (such as unused initializers in third-party files) are not the user's problem.
    logSeverityLevel: 3,
  };
}

function fromNativeMetadata(m: NativeMetadata): OnnxValueMetadata {
  if (!m.isTensor) return { name: m.name, isTensor: false };
  return {
    name: m.name,
    isTensor: true,
    type: DATA_TYPES[m.type] ?? `type ${m.type}`,
    shape: m.shape.map((d, i) => (d === -1 ? (m.symbolicDimensions[i] ?? -1) : d)),
  };
}

function loadError(cause: unknown): DataError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new DataError('invalid_onnx_model', `onnxruntime cannot load the model: ${detail}`, { cause });
}

/**
 * Loads ONNX bytes into a CPU session.
 *
 * @throws DataError `invalid_onnx_model` with onnxruntime's reason when the bytes are not a
 *   model it can run.
 */
export async function openOnnxSession(bytes: Uint8Array, options: OnnxSessionOptions = {}): Promise<OnnxSession> {
  const ort = await loadOrt();
  const sessionOpts = sessionOptions(options);
  const native = options.api === 'public' ? null : loadNativeBinding();
  if (native !== null) {
    native.initOrt();
    const session = new native.binding.InferenceSession();
    try {
      session.loadModel(bytes.buffer, bytes.byteOffset, bytes.byteLength, sessionOpts);
    } catch (cause) {
      throw loadError(cause);
    }
    const runOptions = {};
    return {
      api: 'binding',
      ort,
      inputs: session.inputMetadata.map(fromNativeMetadata),
      outputs: session.outputMetadata.map(fromNativeMetadata),
      run: async (feeds, outputNames) => {
        const fetches: Record<string, null> = {};
        for (const name of outputNames) fetches[name] = null;
        return session.run(feeds, fetches, runOptions);
      },
      release: () => session.dispose(),
    };
  }
  let session: Ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(bytes, sessionOpts);
  } catch (cause) {
    throw loadError(cause);
  }
  const metadata = (list: readonly Ort.InferenceSession.ValueMetadata[]): OnnxValueMetadata[] =>
    list.map((m) => (m.isTensor ? { name: m.name, isTensor: true, type: m.type, shape: [...m.shape] } : m));
  return {
    api: 'public',
    ort,
    inputs: metadata(session.inputMetadata),
    outputs: metadata(session.outputMetadata),
    run: async (feeds, outputNames) => (await session.run(feeds, outputNames)) as Record<string, Ort.Tensor>,
    release: () => void session.release(),
  };
}
