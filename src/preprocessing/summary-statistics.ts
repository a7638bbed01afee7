/**
 * The few order and moment statistics the column steps learn from. Kept separate so each is
 * tested once and every step computes them the same way.
 */

/**
 * Quantile `q` (0..1) of an ascending sorted sample with linear interpolation between order
 * statistics (R type 7, numpy's default), so results match what analysts get elsewhere.
 */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  // Equal neighbours would give a - a = 0 anyway, but skipping the product keeps ±Infinity
  // neighbours from turning into NaN.
  return a === b ? a : a + (h - lo) * (b - a);
}

/** Mean and population standard deviation (two passes, for accuracy on large magnitudes). */
export function meanStd(values: ArrayLike<number>): { mean: number; std: number } {
  const n = values.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i] as number;
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    ss += d * d;
  }
  return { mean, std: Math.sqrt(ss / n) };
}

/** Sample skewness g1 = m3 / m2^1.5 (0 for a constant sample). */
export function skewness(values: ArrayLike<number>): number {
  const n = values.length;
  const { mean } = meanStd(values);
  let m2 = 0;
  let m3 = 0;
  for (let i = 0; i < n; i++) {
    const d = (values[i] as number) - mean;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
  }
  m2 /= n;
  m3 /= n;
  return m2 > 0 ? m3 / m2 ** 1.5 : 0;
}
