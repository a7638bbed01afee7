import { binaryMetrics, multiclassMetrics, regressionMetrics } from '../evaluation/index.js';
import { column, type Matrix } from '../matrix.js';
import type { Task } from '../models/estimator.js';

/**
 * The metrics users see for a task, as one flat JSON-ready object. Binary metrics use the
 * bundle's threshold (chosen on validation data), never one re-chosen on the rows measured.
 */
export function taskMetrics(
  task: Task,
  y: Float32Array,
  proba: Matrix,
  classes: string[],
  threshold: number | undefined,
): Record<string, unknown> {
  if (task === 'binary') {
    return { ...binaryMetrics(y, column(proba, 1), { kind: 'fixed', threshold: threshold ?? 0.5 }) };
  }
  if (task === 'regression') return { ...regressionMetrics(y, proba.data) };
  return { ...multiclassMetrics(y, proba, classes) };
}
