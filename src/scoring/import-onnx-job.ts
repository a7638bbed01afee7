import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type BundleManifest, checkBundleTarget, writeBundle } from '../bundle/index.js';
import { readSchemaFile } from '../data/index.js';
import type { ColumnSchema } from '../data/table.js';
import { ConfigError, DataError, type Issue } from '../errors.js';
import type { Task } from '../models/estimator.js';
import { createOnnxRunnerFromBytes, onnxruntimeVersion } from '../onnx/index.js';
import { VIGIL_VERSION } from '../training/version.js';
import {
  IMPORTED_MODEL_KIND,
  type ImportedOnnxParams,
  type ImportedOutput,
  importedProba,
  PASSTHROUGH_KIND,
  type PassthroughState,
} from './imported-onnx-model.js';

/** The ONNX file's name inside an imported bundle. */
export const IMPORTED_ONNX_FILE = 'model.onnx';
/** The label column an imported bundle's evaluation reads (the model itself never saw one). */
export const IMPORTED_TARGET_COLUMN = 'target';

export interface ImportOnnxJobOptions {
  /** The external `.onnx` file. */
  modelPath: string;
  /** Schema file listing the model's input columns, in the order the model takes them, with their kinds. */
  schemaPath: string;
  outDir: string;
  /** Default `'binary'`. */
  task?: Task;
  /** What the chosen output holds (default `'proba'` for classifiers, `'value'` for regression). */
  output?: ImportedOutput;
  inputName?: string;
  outputName?: string;
}

export interface ImportOnnxJobResult {
  bundleDir: string;
  manifest: BundleManifest;
  inputColumns: string[];
  idColumn?: string;
  inputName: string;
  outputName: string;
  /** Values per row of the model's output. */
  outputWidth: number;
  /** The model's `predictProba`-form output for one all-zero row, as a sanity check. */
  probe: number[];
}

function checkTaskAndOutput(task: Task, output: ImportedOutput): void {
  if (task === 'regression' && output !== 'value') {
    throw new ConfigError('invalid_flag', `--output ${output} does not fit --task regression; use --output value`);
  }
  if (task !== 'regression' && output === 'value') {
    throw new ConfigError(
      'invalid_flag',
      `--output value needs --task regression; a ${task} model gives proba or logit`,
    );
  }
}

/** Splits the schema into model inputs (in order) and an optional id column, refusing what cannot be fed. */
async function inputColumnsFrom(schemaPath: string): Promise<{ inputs: ColumnSchema[]; idColumn?: string }> {
  const overrides = await readSchemaFile(schemaPath);
  const issues: Issue[] = [];
  const inputs: ColumnSchema[] = [];
  const ids: string[] = [];
  for (const [name, kind] of Object.entries(overrides)) {
    // Object keys that look like array indices are ordered numerically by JavaScript, not as written.
    if (/^(0|[1-9]\d*)$/.test(name)) {
      issues.push({
        code: 'unordered_column_name',
        path: [name],
        message: `column ${JSON.stringify(name)}: a purely numeric column name cannot keep its position in the schema; rename the column`,
      });
    } else if (kind === 'numeric' || kind === 'boolean') {
      inputs.push({ name, kind });
    } else if (kind === 'identifier') {
      ids.push(name);
    } else {
      issues.push({
        code: 'unsupported_column_kind',
        path: [name],
        message:
          kind === 'categorical'
            ? `column ${name} is categorical; an imported model takes numbers only (encode it in the exported model or as numeric codes)`
            : `column ${name} is ${kind}; an imported model takes numeric and boolean columns only`,
      });
    }
  }
  if (ids.length > 1) {
    issues.push({
      code: 'several_identifiers',
      path: [ids[1] as string],
      message: `the schema lists ${ids.length} identifier columns (${ids.join(', ')}); keep one (echoed in predictions)`,
    });
  }
  if (inputs.length === 0 && issues.length === 0) {
    issues.push({
      code: 'no_inputs',
      path: ['columns'],
      message: 'the schema lists no numeric or boolean input column',
    });
  }
  if (issues.length > 0) {
    const first = issues[0] as Issue;
    const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : '';
    throw new DataError(first.code, `${schemaPath}: ${first.message}${more}`, { issues });
  }
  return { inputs, ...(ids[0] !== undefined ? { idColumn: ids[0] } : {}) };
}

/**
 * Wraps an ONNX model trained elsewhere (PyTorch, skl2onnx, onnxmltools…) in a verified Vigil
 * bundle that `loadScoringModel` and `vigil predict` score like any other. The schema's numeric
 * and boolean columns are the model's input, in schema order, as one `[N, columns]` float tensor
 * (missing values as NaN); an identifier column is echoed in predictions.
 *
 * Checked before anything is written: onnxruntime loads the file, the input width it states (if
 * any) equals the number of input columns, and one all-zero probe row runs and gives an output
 * that fits the task (finite, probabilities in [0, 1], one value per row for regression).
 *
 * @throws ConfigError `invalid_flag` (task and output do not fit), `file_not_found`, `out_not_bundle`;
 *   DataError `invalid_onnx_model`, `input_width_mismatch`, `probe_failed`, `unsupported_column_kind`, ….
 * @example
 * await runImportOnnxJob({ modelPath: 'pd.onnx', schemaPath: 'pd-schema.json', outDir: 'models/pd-torch' });
 */
export async function runImportOnnxJob(options: ImportOnnxJobOptions): Promise<ImportOnnxJobResult> {
  const task = options.task ?? 'binary';
  const output = options.output ?? (task === 'regression' ? 'value' : 'proba');
  checkTaskAndOutput(task, output);
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(options.modelPath));
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(
      code === 'ENOENT' ? 'file_not_found' : 'unreadable_file',
      code === 'ENOENT' ? `${options.modelPath}: no such ONNX file` : `${options.modelPath}: cannot read it (${code})`,
      { cause },
    );
  }
  const { inputs, idColumn } = await inputColumnsFrom(options.schemaPath);
  await checkBundleTarget(options.outDir);

  const named = (e: unknown): never => {
    if (e instanceof DataError) throw new DataError(e.code, `${options.modelPath}: ${e.message}`, { cause: e });
    throw e;
  };
  const runner = await createOnnxRunnerFromBytes(bytes, {
    inputName: options.inputName,
    outputName: options.outputName,
  }).catch(named);
  let raw: Float32Array;
  try {
    if (runner.inputWidth !== undefined && runner.inputWidth !== inputs.length) {
      throw new DataError(
        'input_width_mismatch',
        `${options.modelPath}: input ${runner.input.name} takes ${runner.inputWidth} values per row, but ${options.schemaPath} lists ${inputs.length} numeric/boolean column(s)`,
      );
    }
    raw = await runner.run(new Float32Array(inputs.length), 1).catch((e: unknown) => {
      throw new DataError(
        'probe_failed',
        `${options.modelPath}: a probe row of ${inputs.length} value(s) did not run: ${(e as Error).message}`,
        { cause: e },
      );
    });
  } finally {
    runner.dispose();
  }
  const outputWidth = raw.length;
  const probeFailure = (why: string) =>
    new DataError('probe_failed', `${options.modelPath}: output ${runner.output.name} ${why}`);
  if (outputWidth === 0) throw probeFailure('is empty for one row');
  if (task === 'regression' && outputWidth !== 1) {
    throw probeFailure(
      `has ${outputWidth} values per row; a regression model gives 1 (choose another with --output-name)`,
    );
  }
  if (task === 'binary' && outputWidth > 2) {
    throw probeFailure(`has ${outputWidth} values per row; a binary model gives 1 or 2 (use --task multiclass?)`);
  }
  if (task === 'multiclass' && outputWidth < 2) {
    throw probeFailure('has 1 value per row; a multiclass model gives one per class');
  }
  if (!raw.every(Number.isFinite))
    throw probeFailure(`is not finite for an all-zero row (${Array.from(raw).join(', ')})`);
  if (output === 'proba' && !raw.every((v) => v >= 0 && v <= 1)) {
    throw probeFailure(
      `holds ${Array.from(raw).join(', ')}, not probabilities; if these are logits, pass --output logit`,
    );
  }
  const probe = Array.from(importedProba(task, output, raw, 1, outputWidth).data);

  const nClasses = task === 'multiclass' ? outputWidth : task === 'binary' ? 2 : 0;
  const classes = Array.from({ length: nClasses }, (_, i) => String(i));
  const params: ImportedOnnxParams = {
    file: IMPORTED_ONNX_FILE,
    source: basename(options.modelPath),
    inputName: runner.input.name,
    outputName: runner.output.name,
    output,
    outputWidth,
  };
  const preprocessing: PassthroughState = { kind: PASSTHROUGH_KIND, version: 1, columns: inputs };
  const manifest = await writeBundle(
    options.outDir,
    {
      createdAt: new Date().toISOString(),
      inputSchema: { columns: [...inputs, ...(idColumn ? [{ name: idColumn, kind: 'identifier' as const }] : [])] },
      ...(idColumn ? { idColumn } : {}),
      target: {
        column: IMPORTED_TARGET_COLUMN,
        kind: 'numeric',
        task,
        classes,
        ...(task === 'binary' ? { positive: '1' } : {}),
      },
      preprocessing,
      model: {
        kind: IMPORTED_MODEL_KIND,
        task,
        params,
        nInputs: inputs.length,
        nOutputs: task === 'regression' ? 1 : nClasses,
      },
      ...(task === 'binary' ? { threshold: { value: 0.5, policy: { kind: 'fixed', reason: 'imported model' } } } : {}),
      metrics: {},
      data: {
        // The training data never passed through Vigil: nothing to fingerprint.
        fingerprint: 'unknown',
        file: params.source,
        nRows: 0,
        trainRows: 0,
        testRows: 0,
        split: { kind: 'imported' },
      },
      versions: { vigil: VIGIL_VERSION, onnxruntime: await onnxruntimeVersion() },
    },
    [],
    { files: { [IMPORTED_ONNX_FILE]: bytes } },
  );
  return {
    bundleDir: options.outDir,
    manifest,
    inputColumns: inputs.map((c) => c.name),
    ...(idColumn ? { idColumn } : {}),
    inputName: params.inputName,
    outputName: params.outputName,
    outputWidth,
    probe,
  };
}
