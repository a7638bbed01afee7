import type * as Ort from 'onnxruntime-node';
import type { NetworkRunner, NetworkRunnerFactory, NetworkWeight } from '../engine/network-runner.js';
import type { NetworkSpec } from '../engine/network-spec.js';
import { DataError } from '../errors.js';
import { NETWORK_INPUT_NAME, NETWORK_OUTPUT_NAME, networkToOnnx } from './network-to-onnx.js';
import { type OnnxSession, type OnnxSessionOptions, type OnnxValueMetadata, openOnnxSession } from './onnx-session.js';

/** Options of the onnxruntime runners (see {@link OnnxSessionOptions}). */
export type OnnxRunnerOptions = OnnxSessionOptions;

/** A runner over an ONNX model, with what onnxruntime reports about its input and output. */
export interface OnnxModelRunner extends NetworkRunner {
  readonly runtime: 'onnxruntime';
  readonly input: OnnxValueMetadata;
  readonly output: OnnxValueMetadata;
  /** Values per input row when the model states it (the product of its fixed non-batch sizes). */
  readonly inputWidth: number | undefined;
}

const FLOAT_INPUTS = new Set(['float32', 'float64']);

function fixedWidth(shape: (number | string)[] | undefined): number | undefined {
  if (shape === undefined || shape.length === 0) return undefined;
  const rest = shape.slice(1);
  if (rest.some((d) => typeof d !== 'number' || d < 0)) return undefined;
  return (rest as number[]).reduce((a, b) => a * b, 1);
}

function runnerOver(session: OnnxSession, inputName: string, outputName: string): OnnxModelRunner {
  const { ort } = session;
  const input = session.inputs.find((m) => m.name === inputName) as OnnxValueMetadata;
  const output = session.outputs.find((m) => m.name === outputName) as OnnxValueMetadata;
  const inputWidth = fixedWidth(input.shape);
  // A [N, a, b] model gets [nRows, a, b]; a model with unknown inner sizes gets [nRows, width].
  const innerDims =
    input.shape !== undefined && inputWidth !== undefined ? (input.shape.slice(1) as number[]) : undefined;
  const float64 = input.type === 'float64';
  const outputs = [outputName];
  let disposed = false;
  return {
    runtime: 'onnxruntime',
    input,
    output,
    inputWidth,
    async run(x: Float32Array, nRows: number): Promise<Float32Array> {
      if (disposed) throw new DataError('runner_disposed', 'this ONNX runner was disposed');
      if (!Number.isInteger(nRows) || nRows < 0) {
        throw new DataError('bad_shape', `nRows must be a non-negative integer, got ${nRows}`);
      }
      if (nRows === 0) return new Float32Array(0);
      const width = x.length / nRows;
      if (!Number.isInteger(width) || (inputWidth !== undefined && width !== inputWidth)) {
        throw new DataError(
          'bad_shape',
          `the model takes ${inputWidth ?? 'a whole number of'} values per row; got ${x.length} values for ${nRows} rows`,
        );
      }
      const dims = innerDims === undefined ? [nRows, width] : [nRows, ...innerDims];
      const tensor = float64
        ? new ort.Tensor('float64', Float64Array.from(x), dims)
        : new ort.Tensor('float32', x, dims);
      let result: Ort.Tensor;
      try {
        result = (await session.run({ [inputName]: tensor }, outputs))[outputName] as Ort.Tensor;
      } catch (cause) {
        // A shape the graph rejects, an op failing on the values: onnxruntime's own words, as a Vigil error.
        throw new DataError('onnx_run_failed', `onnxruntime could not run the model: ${(cause as Error).message}`, {
          cause,
        });
      }
      const data = result.data;
      if (data instanceof Float32Array) return data;
      if (data instanceof Float64Array) return Float32Array.from(data);
      throw new DataError(
        'unsupported_output',
        `output ${outputName} is ${result.type}; Vigil reads float32 or float64 outputs`,
      );
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      session.release();
    },
  };
}

/**
 * Builds a runner for a Vigil network on onnxruntime (CPU): the network is converted with
 * {@link networkToOnnx} and loaded once; `run` accepts any number of rows. Implements
 * {@link NetworkRunnerFactory}; its outputs equal the TF.js runner's within 1e-5.
 *
 * @example
 * const runner = await createOnnxRunner(spec, weights);
 * const logits = await runner.run(rows, nRows);
 * runner.dispose();
 */
export async function createOnnxRunner(
  spec: NetworkSpec,
  weights: NetworkWeight[],
  options: OnnxRunnerOptions = {},
): Promise<OnnxModelRunner> {
  const bytes = networkToOnnx(spec, weights);
  const session = await openOnnxSession(bytes, options);
  // The graph states [N, ...inputShape], so run() checks each call's row size against it.
  return runnerOver(session, NETWORK_INPUT_NAME, NETWORK_OUTPUT_NAME);
}

/** A {@link NetworkRunnerFactory} with fixed options, e.g. `onnxRunnerFactory({ intraOpNumThreads: 4 })`. */
export function onnxRunnerFactory(options: OnnxRunnerOptions = {}): NetworkRunnerFactory {
  return (spec, weights) => createOnnxRunner(spec, weights, options);
}

/** Which graph input and output an imported model is scored through. */
export interface OnnxBytesRunnerOptions extends OnnxRunnerOptions {
  /** Default: the model's only input (an error when it has several). */
  inputName?: string;
  /** Default: the model's first tensor output. */
  outputName?: string;
}

function pickValue(
  kind: 'input' | 'output',
  list: OnnxValueMetadata[],
  wanted: string | undefined,
  flag: string,
): OnnxValueMetadata {
  const names = list.map((m) => m.name).join(', ');
  if (wanted !== undefined) {
    const found = list.find((m) => m.name === wanted);
    if (found === undefined) {
      throw new DataError(`unknown_${kind}`, `the model has no ${kind} named '${wanted}'; its ${kind}s are: ${names}`);
    }
    return found;
  }
  if (kind === 'input') {
    if (list.length !== 1) {
      throw new DataError('ambiguous_input', `the model has ${list.length} inputs (${names}); choose one with ${flag}`);
    }
    return list[0] as OnnxValueMetadata;
  }
  const first = list.find((m) => m.isTensor);
  if (first === undefined) {
    throw new DataError('unsupported_output', `the model has no tensor output (outputs: ${names})`);
  }
  return first;
}

/**
 * Builds a runner over an external ONNX model (e.g. exported from PyTorch or skl2onnx): rows go
 * in as one `[nRows, width]` float tensor (float64 when the model asks for it), the chosen output
 * comes back flat as float32.
 *
 * @throws DataError `invalid_onnx_model` (unloadable bytes), `unknown_input` / `unknown_output`
 *   (a name that is not in the model), `ambiguous_input`, `unsupported_input` (not a float
 *   tensor), `unsupported_output` (not a float tensor, e.g. skl2onnx's ZipMap: export with
 *   `zipmap=False`).
 */
export async function createOnnxRunnerFromBytes(
  bytes: Uint8Array,
  options: OnnxBytesRunnerOptions = {},
): Promise<OnnxModelRunner> {
  const session = await openOnnxSession(bytes, options);
  try {
    const input = pickValue('input', session.inputs, options.inputName, '--input-name');
    for (const m of session.inputs) {
      if (m.name !== input.name) {
        throw new DataError(
          'ambiguous_input',
          `the model needs inputs besides ${input.name} (${m.name}); Vigil feeds one`,
        );
      }
    }
    const output = pickValue('output', session.outputs, options.outputName, '--output-name');
    if (!input.isTensor || !FLOAT_INPUTS.has(input.type ?? '')) {
      throw new DataError(
        'unsupported_input',
        `input ${input.name} is ${input.isTensor ? `a ${input.type} tensor` : 'not a tensor'}; Vigil feeds float32 or float64 tensors`,
      );
    }
    if (!output.isTensor || !FLOAT_INPUTS.has(output.type ?? '')) {
      const hint = output.isTensor ? '' : ' (a scikit-learn classifier: export with zipmap=False)';
      throw new DataError(
        'unsupported_output',
        `output ${output.name} is ${output.isTensor ? `a ${output.type} tensor` : 'not a tensor'}${hint}; Vigil reads float32 or float64 outputs`,
      );
    }
    return runnerOver(session, input.name, output.name);
  } catch (error) {
    session.release();
    throw error;
  }
}
