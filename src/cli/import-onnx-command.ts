import type { Task } from '../models/estimator.js';
import { type ImportedOutput, runImportOnnxJob } from '../scoring/index.js';
import type { CliIO } from './output.js';

export interface ImportOnnxFlags {
  model: string;
  schema: string;
  out: string;
  task: Task;
  output?: ImportedOutput;
  inputName?: string;
  outputName?: string;
  json?: boolean;
}

/** `vigil import-onnx`: wraps an external ONNX model in a verified bundle after a probe run. */
export async function runImportOnnxCommand(flags: ImportOnnxFlags, io: CliIO): Promise<void> {
  const result = await runImportOnnxJob({
    modelPath: flags.model,
    schemaPath: flags.schema,
    outDir: flags.out,
    task: flags.task,
    output: flags.output,
    inputName: flags.inputName,
    outputName: flags.outputName,
  });
  if (flags.json) {
    const { manifest, ...rest } = result;
    const { output } = manifest.model.params as { output: ImportedOutput };
    io.stdout(`${JSON.stringify({ ...rest, task: manifest.target.task, output }, null, 2)}\n`);
    return;
  }
  const columns = result.inputColumns;
  const shown = columns.length > 6 ? `${columns.slice(0, 6).join(', ')}, …` : columns.join(', ');
  io.stdout(
    `Imported ${flags.model} into ${result.bundleDir}: input ${result.inputName} ← ${columns.length} column(s) (${shown}), ` +
      `output ${result.outputName} (${result.outputWidth} per row); probe row scored ${result.probe.map((p) => p.toFixed(4)).join(', ')}\n`,
  );
}
