import { type Column, cellText, findColumn, isDictionaryColumn, type Table } from '../data/table.js';
import { DataError } from '../errors.js';
import type { Task } from '../models/estimator.js';

/** A target column turned into model outputs. */
export interface EncodedTarget {
  task: Task;
  /** Binary 0/1, multiclass index, regression value; NaN where the target is missing. */
  y: Float32Array;
  /** Class labels in output order (binary: [negative, positive]); empty for regression. */
  classes: string[];
  positive?: string;
  missing: number;
}

/** Labels that conventionally mean "the risky outcome", so users rarely need --positive. */
const POSITIVE_LABELS = ['1', 'true', 'yes', 'y', 'bad', 'default', 'defaulted', 'fraud', 'positive', '1.0'];
const MAX_CLASSES = 100;

function distinctLabels(col: Column, nRows: number): string[] {
  const seen = new Set<string>();
  for (let r = 0; r < nRows; r++) {
    const text = cellText(col, r);
    if (text !== null) seen.add(text);
    if (seen.size > MAX_CLASSES) break;
  }
  const labels = [...seen];
  const numeric = labels.every((l) => l.trim() !== '' && Number.isFinite(Number(l)));
  return numeric ? labels.sort((a, b) => Number(a) - Number(b)) : labels.sort();
}

function preview(labels: string[]): string {
  const shown = labels.slice(0, 6).map((l) => JSON.stringify(l));
  return labels.length > 6 ? `${shown.join(', ')}, …` : shown.join(', ');
}

/**
 * Resolves and encodes the target column. The default task is binary, the common case in
 * risk scoring; a target that does not fit the task is an error that says what to do instead.
 */
export function encodeTarget(
  table: Table,
  column: string,
  options: { task?: Task; positive?: string } = {},
): EncodedTarget {
  const col = findColumn(table, column);
  if (!col) {
    const names = table.columns.map((c) => c.name);
    throw new DataError(
      'unknown_target',
      `target column ${JSON.stringify(column)} is not in the data; columns are: ${names.join(', ')}`,
    );
  }
  const task = options.task ?? 'binary';
  const y = new Float32Array(table.nRows);
  let missing = 0;

  if (task === 'regression') {
    if (col.kind !== 'numeric') {
      throw new DataError(
        'target_not_numeric',
        `a regression target must be numeric; ${JSON.stringify(column)} is ${col.kind}`,
      );
    }
    for (let r = 0; r < table.nRows; r++) {
      const v = col.values[r] as number;
      y[r] = v;
      if (Number.isNaN(v)) missing++;
    }
    return { task, y, classes: [], missing };
  }

  const labels = distinctLabels(col, table.nRows);
  if (labels.length < 2) {
    throw new DataError(
      'target_single_class',
      `target ${JSON.stringify(column)} has ${labels.length} distinct value(s) (${preview(labels)}); a classifier needs at least two`,
    );
  }
  let classes: string[];
  let positive: string | undefined;
  if (task === 'binary') {
    if (labels.length > 2) {
      const count = labels.length > MAX_CLASSES ? `more than ${MAX_CLASSES}` : String(labels.length);
      throw new DataError(
        'target_not_binary',
        `target ${JSON.stringify(column)} has ${count} distinct values (${preview(labels)}); a binary target needs exactly two — use --task multiclass or --task regression`,
      );
    }
    if (options.positive !== undefined) {
      if (!labels.includes(options.positive)) {
        throw new DataError(
          'unknown_positive',
          `--positive ${JSON.stringify(options.positive)} is not a value of ${JSON.stringify(column)} (values: ${preview(labels)})`,
        );
      }
      positive = options.positive;
    } else {
      positive = labels.find((l) => POSITIVE_LABELS.includes(l.toLowerCase()));
      if (positive === undefined) {
        throw new DataError(
          'ambiguous_positive',
          `cannot tell which value of ${JSON.stringify(column)} is the positive (risky) class among ${preview(labels)}; pass --positive VALUE`,
        );
      }
    }
    classes = [labels.find((l) => l !== positive) as string, positive];
  } else {
    if (labels.length > MAX_CLASSES) {
      throw new DataError(
        'too_many_classes',
        `target ${JSON.stringify(column)} has more than ${MAX_CLASSES} distinct values; use --task regression for a continuous target`,
      );
    }
    classes = labels;
  }

  const index = new Map(classes.map((c, i) => [c, i]));
  if (isDictionaryColumn(col)) {
    // Map each dictionary entry once rather than each row's string.
    const byCode = col.dictionary.map((d) => index.get(d) ?? Number.NaN);
    for (let r = 0; r < table.nRows; r++) {
      const code = col.codes[r] as number;
      const v = code < 0 ? Number.NaN : (byCode[code] as number);
      y[r] = v;
      if (Number.isNaN(v)) missing++;
    }
  } else {
    for (let r = 0; r < table.nRows; r++) {
      const text = cellText(col, r);
      const v = text === null ? Number.NaN : (index.get(text) ?? Number.NaN);
      y[r] = v;
      if (Number.isNaN(v)) missing++;
    }
  }
  return { task, y, classes, positive, missing };
}
