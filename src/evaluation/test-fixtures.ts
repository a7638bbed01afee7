/**
 * Fixed inputs shared by this folder's tests, built from integer hashes so that the Python
 * snippets quoted in the tests rebuild exactly the same rows (no RNG library on either side).
 * Test-only: not exported from index.ts.
 */
import type { Matrix } from '../matrix.js';

/**
 * 200 rows, 60 positives, scores on a 0.05 grid (20 distinct values, so many ties).
 *
 * Python twin:
 * ```python
 * def fixture(n):
 *     y, s = [], []
 *     for i in range(n):
 *         u1 = ((i * 2654435761 + 12345) % 4294967296) / 4294967296
 *         u2 = ((i * 69069 + 1) % 65536) / 65536
 *         yi = 1 if u1 < 0.3 else 0
 *         y.append(yi)
 *         s.append(np.floor((0.2 * yi + 0.8 * u2) * 20) / 20)
 *     return np.array(y, dtype=np.float64), np.float32(s).astype(np.float64)
 * y, s = fixture(200)
 * ```
 */
export function binaryFixture(n = 200): { y: Float32Array; score: Float32Array } {
  const y = new Float32Array(n);
  const score = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u1 = ((i * 2654435761 + 12345) % 4294967296) / 4294967296;
    const u2 = ((i * 69069 + 1) % 65536) / 65536;
    const yi = u1 < 0.3 ? 1 : 0;
    y[i] = yi;
    score[i] = Math.floor((0.2 * yi + 0.8 * u2) * 20) / 20;
  }
  return { y, score };
}

/**
 * 30 rows, 3 classes; most rows give their true class extra probability mass.
 *
 * Python twin:
 * ```python
 * def mc(n, k):
 *     y, p = [], []
 *     for i in range(n):
 *         c = (i * 7 + 3) % k
 *         y.append(c)
 *         row = [1 + ((i * 13 + j * 5) % 7) for j in range(k)]
 *         row[c] += 3 * ((i % 4) != 0)
 *         tot = sum(row)
 *         p.append([r / tot for r in row])
 *     return np.array(y), np.float32(p).astype(np.float64)
 * y, p = mc(30, 3)
 * ```
 */
export function multiclassFixture(n = 30, k = 3): { y: Float32Array; probs: Matrix } {
  const y = new Float32Array(n);
  const data = new Float32Array(n * k);
  for (let i = 0; i < n; i++) {
    const c = (i * 7 + 3) % k;
    y[i] = c;
    const row = Array.from({ length: k }, (_, j) => 1 + ((i * 13 + j * 5) % 7));
    row[c] = (row[c] as number) + (i % 4 !== 0 ? 3 : 0);
    const total = row.reduce((a, b) => a + b, 0);
    for (let j = 0; j < k; j++) data[i * k + j] = (row[j] as number) / total;
  }
  return { y, probs: { data, nRows: n, nCols: k } };
}

/**
 * 50 rows of a regression target and a noisy prediction.
 *
 * Python twin:
 * ```python
 * def reg(n):
 *     yt, yp = [], []
 *     for i in range(n):
 *         a = ((i * 37 + 11) % 101) / 4
 *         yt.append(a)
 *         yp.append(a + (((i * 53) % 17) - 8) / 3)
 *     return np.float32(yt).astype(np.float64), np.float32(yp).astype(np.float64)
 * yt, yp = reg(50)
 * ```
 */
export function regressionFixture(n = 50): { y: Float32Array; prediction: Float32Array } {
  const y = new Float32Array(n);
  const prediction = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = ((i * 37 + 11) % 101) / 4;
    y[i] = a;
    prediction[i] = a + (((i * 53) % 17) - 8) / 3;
  }
  return { y, prediction };
}
