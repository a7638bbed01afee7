import type { Random } from '../random.js';
import type { Target, Task } from './estimator.js';

/**
 * Splits row indices into train and validation parts. Classification splits are stratified
 * (each class contributes `round(fraction · count)` rows, at least one when it has two or more)
 * so a rare default class is represented in both parts; regression splits are plain random.
 * Both index lists come back sorted, so the draw depends only on `rng`.
 */
export function stratifiedSplit(
  task: Task,
  y: Target,
  fraction: number,
  rng: Random,
): { train: Uint32Array; validation: Uint32Array } {
  const n = y.length;
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = task === 'regression' ? 0 : (y[i] as number);
    let g = groups.get(key);
    if (g === undefined) {
      g = [];
      groups.set(key, g);
    }
    g.push(i);
  }
  const isValidation = new Uint8Array(n);
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = rng.shuffle(groups.get(key) as number[]);
    let take = Math.round(fraction * rows.length);
    if (task !== 'regression' && rows.length >= 2) take = Math.min(rows.length - 1, Math.max(1, take));
    for (let i = 0; i < take; i++) isValidation[rows[i] as number] = 1;
  }
  let nVal = 0;
  for (const v of isValidation) nVal += v;
  const train = new Uint32Array(n - nVal);
  const validation = new Uint32Array(nVal);
  let a = 0;
  let b = 0;
  for (let i = 0; i < n; i++) {
    if (isValidation[i]) validation[b++] = i;
    else train[a++] = i;
  }
  return { train, validation };
}
