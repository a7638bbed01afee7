import { runExportJob } from '../scoring/index.js';
import type { CliIO } from './output.js';

export interface ExportFlags {
  model: string;
  format: 'onnx';
  out?: string;
  json?: boolean;
}

/** `vigil export`: writes the bundle's network(s) as ONNX and says how to read their outputs. */
export async function runExportCommand(flags: ExportFlags, io: CliIO): Promise<void> {
  const result = await runExportJob({
    modelDir: flags.model,
    format: flags.format,
    outPath: flags.out,
  });
  if (flags.json) {
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return;
  }
  for (const file of result.files) {
    const listed = file.checksummed ? ' (listed in the bundle SHA256SUMS)' : '';
    io.stdout(
      `Wrote ${file.path}: network ${file.network}, input [N, ${file.inputShape.join(', ')}], ${file.bytes} bytes${listed}\n`,
    );
  }
  for (const note of result.notes) io.stdout(`  - ${note}\n`);
}
