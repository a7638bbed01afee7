/**
 * Bundles that wrap an ONNX model trained outside Vigil (`vigil import-onnx`): the model file
 * travels inside the bundle, verified by its checksum, and its raw input columns are fed to it
 * as they are, with no Vigil preprocessing.
 */
import type { BundleManifest } from '../bundle/index.js';
import type { ColumnSchema, Table } from '../data/table.js';
import { BundleError, DataError, type Issue } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { Task } from '../models/estimator.js';
import { probaFromScores } from '../models/link.js';
import { createOnnxRunnerFromBytes, type OnnxModelRunner } from '../onnx/index.js';

/** `manifest.model.kind` of an imported model. */
export const IMPORTED_MODEL_KIND = 'onnx';
/** `manifest.preprocessing.kind` of an imported model: columns passed through unchanged. */
export const PASSTHROUGH_KIND = 'passthrough';

/** What the model's output holds: probabilities, logits, or a regression value. */
export type ImportedOutput = 'proba' | 'logit' | 'value';
export const IMPORTED_OUTPUTS: readonly ImportedOutput[] = ['proba', 'logit', 'value'];

/** `manifest.model.params` of an imported model. */
export interface ImportedOnnxParams {
  /** The ONNX file inside the bundle. */
  file: string;
  /** The file's name when it was imported. */
  source: string;
  inputName: string;
  outputName: string;
  output: ImportedOutput;
  /** Values per row of the output (binary: 1 or 2). */
  outputWidth: number;
}

/** `manifest.preprocessing` of an imported model: the columns fed to it, in order. */
export interface PassthroughState {
  kind: typeof PASSTHROUGH_KIND;
  version: 1;
  columns: ColumnSchema[];
}

/**
 * Raw numeric and boolean columns as a float matrix, in `columns` order: numbers as they are,
 * booleans as 0/1, missing values as NaN (tree models from XGBoost or LightGBM route NaN
 * themselves; a network exported from PyTorch would need them filled before export).
 *
 * @throws DataError `missing_column` / `wrong_column_kind`, with every problem in `issues`.
 */
export function passthroughMatrix(table: Table, columns: ColumnSchema[]): Matrix {
  const issues: Issue[] = [];
  const sources: Float64Array[] = [];
  for (const c of columns) {
    const col = table.columns.find((t) => t.name === c.name);
    if (col === undefined) {
      issues.push({ code: 'missing_column', path: [c.name], message: `column ${c.name} is missing` });
    } else if (col.kind !== c.kind || (col.kind !== 'numeric' && col.kind !== 'boolean')) {
      issues.push({
        code: 'wrong_column_kind',
        path: [c.name],
        message: `column ${c.name} is ${col.kind}, expected ${c.kind}`,
      });
    } else {
      sources.push(col.values);
    }
  }
  if (issues.length > 0) {
    const code = issues.every((i) => i.code === 'missing_column') ? 'missing_column' : 'wrong_column_kind';
    throw new DataError(code, issues.map((i) => i.message).join('; '), { issues });
  }
  const nCols = columns.length;
  const data = new Float32Array(table.nRows * nCols);
  for (const [c, values] of sources.entries()) {
    for (let r = 0; r < table.nRows; r++) data[r * nCols + c] = values[r] as number;
  }
  return { data, nRows: table.nRows, nCols };
}

/**
 * Turns the model's raw output into `predictProba` form: binary n × 2 (column 1 positive),
 * multiclass n × k, regression n × 1. A one-column binary output is the positive class; logits
 * go through sigmoid or softmax as Vigil's own models do.
 */
export function importedProba(
  task: Task,
  output: ImportedOutput,
  raw: Float32Array,
  nRows: number,
  width: number,
): Matrix {
  const z: Matrix = { data: raw, nRows, nCols: width };
  if (task === 'regression' || output === 'value') return z;
  if (task === 'binary' && width === 1) {
    if (output === 'logit') return probaFromScores('binary', z);
    const data = new Float32Array(nRows * 2);
    for (let r = 0; r < nRows; r++) {
      data[2 * r] = 1 - (raw[r] as number);
      data[2 * r + 1] = raw[r] as number;
    }
    return { data, nRows, nCols: 2 };
  }
  // Binary with two columns or multiclass: probabilities as they are, logits through softmax.
  return output === 'logit' ? probaFromScores('multiclass', z) : z;
}

/**
 * An imported model, loaded and ready to score: the same two steps as a Vigil model (raw table →
 * matrix, matrix → `predictProba` form), so scoring composes both kinds the same way.
 */
export interface LoadedImportedModel {
  runner: OnnxModelRunner;
  /** Raw table → the model's input matrix (see {@link passthroughMatrix}). */
  pipeline: { transform(table: Table): Matrix };
  predictProba(x: Matrix): Promise<Matrix>;
}

function checkedState(dir: string, manifest: BundleManifest): { params: ImportedOnnxParams; columns: ColumnSchema[] } {
  const params = manifest.model.params as Partial<ImportedOnnxParams> | undefined;
  const pre = manifest.preprocessing as Partial<PassthroughState> | undefined;
  const problems: string[] = [];
  for (const key of ['file', 'inputName', 'outputName', 'output'] as const) {
    if (typeof params?.[key] !== 'string') problems.push(`model.params.${key} is missing`);
  }
  if (params?.output !== undefined && !IMPORTED_OUTPUTS.includes(params.output)) {
    problems.push(`model.params.output '${params.output}' is not one of ${IMPORTED_OUTPUTS.join(', ')}`);
  }
  if (!Number.isInteger(params?.outputWidth)) problems.push('model.params.outputWidth is missing');
  if (pre?.kind !== PASSTHROUGH_KIND || !Array.isArray(pre.columns))
    problems.push('preprocessing is not a passthrough');
  if (problems.length > 0) {
    throw new BundleError(
      'bundle_invalid',
      `model bundle ${dir}: imported model state is invalid: ${problems.join('; ')}`,
    );
  }
  return { params: params as ImportedOnnxParams, columns: pre?.columns as ColumnSchema[] };
}

/**
 * Rebuilds an imported model from its verified bundle files.
 *
 * @throws BundleError `bundle_invalid` when the state is malformed or the ONNX file is not among
 *   the bundle's verified files; DataError from onnxruntime when the file does not load.
 */
export async function loadImportedModel(
  dir: string,
  manifest: BundleManifest,
  files: Record<string, Uint8Array>,
  options: { intraOpNumThreads?: number } = {},
): Promise<LoadedImportedModel> {
  const { params, columns } = checkedState(dir, manifest);
  const bytes = manifest.files[params.file] === undefined ? undefined : files[params.file];
  if (bytes === undefined) {
    throw new BundleError(
      'bundle_invalid',
      `model bundle ${dir}: ${params.file} is not one of the bundle's model files`,
    );
  }
  const runner = await createOnnxRunnerFromBytes(bytes, {
    inputName: params.inputName,
    outputName: params.outputName,
    intraOpNumThreads: options.intraOpNumThreads,
  });
  const { task } = manifest.target;
  return {
    runner,
    pipeline: { transform: (table) => passthroughMatrix(table, columns) },
    async predictProba(x: Matrix): Promise<Matrix> {
      const raw = await runner.run(x.data, x.nRows);
      if (x.nRows > 0 && raw.length !== x.nRows * params.outputWidth) {
        throw new DataError(
          'bad_output',
          `${params.file}: output ${params.outputName} gave ${raw.length / x.nRows} values per row, expected ${params.outputWidth}`,
        );
      }
      return importedProba(task, params.output, raw, x.nRows, params.outputWidth);
    },
  };
}
