import { writeFile } from 'node:fs/promises';
import { type ReportData, renderEvaluationReport } from '../evaluation/index.js';
import { column } from '../matrix.js';
import type { EvaluateJobResult } from './evaluate-job.js';

/** Writes the self-contained HTML report for an evaluation run. */
export async function writeEvaluationReport(path: string, result: EvaluateJobResult, dataLabel: string): Promise<void> {
  const { manifest } = result.model;
  const { task, classes } = manifest.target;
  let data: ReportData;
  if (task === 'binary') {
    data = {
      task,
      yTrue: result.y,
      score: column(result.proba, 1),
      policy: { kind: 'fixed', threshold: manifest.threshold?.value ?? 0.5 },
      classNames: [classes[0] as string, classes[1] as string],
    };
  } else if (task === 'regression') {
    data = { task, yTrue: result.y, prediction: result.proba.data };
  } else {
    data = { task, yTrue: result.y, probs: result.proba, classNames: classes };
  }
  const html = renderEvaluationReport({
    title: `${manifest.target.column}: ${manifest.model.kind} model`,
    model: {
      kind: manifest.model.kind,
      task,
      createdAt: manifest.createdAt,
      dataFingerprint: manifest.data.fingerprint,
      nRows: manifest.data.trainRows,
    },
    dataLabel,
    metadata: {
      bundle: result.model.dir,
      'training file': manifest.data.file,
      'evaluated file sha256': result.dataFingerprint,
      split: JSON.stringify(manifest.data.split),
      ...(manifest.threshold ? { 'threshold policy': JSON.stringify(manifest.threshold.policy) } : {}),
      'vigil version': manifest.versions.vigil ?? 'unknown',
    },
    data,
    generatedAt: new Date().toISOString(),
  });
  await writeFile(path, html);
}
