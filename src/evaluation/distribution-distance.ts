/**
 * Distances between two samples' distributions, as the synthetic-data report and the synthesizer
 * tests compare a synthetic column with the real one: the two-sample Kolmogorov–Smirnov statistic
 * for numbers and the total-variation distance for counts per level.
 */

/** The finite values of `values`, sorted ascending. */
export function sortedFinite(values: Float64Array): Float64Array {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i] as number)) n++;
  const out = new Float64Array(n);
  let at = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isNaN(v)) out[at++] = v;
  }
  return out.sort();
}

/**
 * Two-sample Kolmogorov–Smirnov statistic of two ascending samples: the largest gap between their
 * empirical CDFs (scipy's `ks_2samp` statistic). Ties are stepped over together, so identical
 * samples give exactly 0. An empty sample against a non-empty one gives 1, two empty ones 0.
 *
 * @example ksStatistic(Float64Array.of(1, 2, 3), Float64Array.of(2, 3, 4)) // 1/3
 */
export function ksStatistic(a: Float64Array, b: Float64Array): number {
  const na = a.length;
  const nb = b.length;
  if (na === 0 || nb === 0) return na === nb ? 0 : 1;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < na && j < nb) {
    const v = Math.min(a[i] as number, b[j] as number);
    while (i < na && (a[i] as number) <= v) i++;
    while (j < nb && (b[j] as number) <= v) j++;
    const gap = Math.abs(i / na - j / nb);
    if (gap > d) d = gap;
  }
  return d;
}

/**
 * Total-variation distance of two count vectors: ½ Σ |p − q| of their shares. Two empty vectors
 * give 0, one empty one 1.
 */
export function totalVariationDistance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ta = 0;
  let tb = 0;
  for (let i = 0; i < a.length; i++) ta += a[i] as number;
  for (let i = 0; i < b.length; i++) tb += b[i] as number;
  if (ta === 0 || tb === 0) return ta === tb ? 0 : 1;
  let sum = 0;
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) sum += Math.abs((a[i] ?? 0) / ta - (b[i] ?? 0) / tb);
  return sum / 2;
}
