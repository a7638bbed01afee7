/**
 * The standard normal distribution's CDF and quantile function, as the copula needs them: to map
 * ranks to normal scores and back, and to draw a latent exactly from a truncated normal
 * (`normalQuantile` of a uniform draw inside the truncation interval).
 */

/**
 * Complementary error function, by the Chebyshev-fitted formula of Press et al. (Numerical
 * Recipes, `erfcc`): fractional error below 1.2e-7 everywhere, which is far finer than any
 * category interval or quantile knot the copula resolves.
 */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Φ(z): the standard normal CDF. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

// Acklam's rational approximations of the normal quantile (relative error below 1.15e-9), as
// plain constants: this runs once per cell when fitting.
const A0 = -39.69683028665376;
const A1 = 220.9460984245205;
const A2 = -275.9285104469687;
const A3 = 138.357751867269;
const A4 = -30.66479806614716;
const A5 = 2.506628277459239;
const B0 = -54.47609879822406;
const B1 = 161.5858368580409;
const B2 = -155.6989798598866;
const B3 = 66.80131188771972;
const B4 = -13.28068155288572;
const C0 = -0.007784894002430293;
const C1 = -0.3223964580411365;
const C2 = -2.400758277161838;
const C3 = -2.549732539343734;
const C4 = 4.374664141464968;
const C5 = 2.938163982698783;
const D0 = 0.007784695709041462;
const D1 = 0.3224671290700398;
const D2 = 2.445134137142996;
const D3 = 3.754408661907416;
const P_LOW = 0.02425;
const P_MIN = 1e-300;
const P_MAX = 1 - 2 ** -53;

function tail(q0: number): number {
  const q = Math.sqrt(-2 * Math.log(q0));
  return (((((C0 * q + C1) * q + C2) * q + C3) * q + C4) * q + C5) / ((((D0 * q + D1) * q + D2) * q + D3) * q + 1);
}

/**
 * Φ⁻¹(p): the standard normal quantile. `p` is clamped into [1e-300, 1 − 2⁻⁵³] so that the
 * extremes map to large finite scores rather than ±∞.
 */
export function normalQuantile(p: number): number {
  const q0 = p < P_MIN ? P_MIN : p > P_MAX ? P_MAX : p;
  if (q0 < P_LOW) return tail(q0);
  if (q0 > 1 - P_LOW) return -tail(1 - q0);
  const q = q0 - 0.5;
  const r = q * q;
  return (
    ((((((A0 * r + A1) * r + A2) * r + A3) * r + A4) * r + A5) * q) /
    (((((B0 * r + B1) * r + B2) * r + B3) * r + B4) * r + 1)
  );
}

/**
 * Lower Cholesky factor of a symmetric n × n matrix (row-major), or undefined when the matrix is
 * not positive definite (a pivot at or below `minPivot`).
 */
export function cholesky(matrix: Float64Array, n: number, minPivot = 1e-10): Float64Array | undefined {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let sum = matrix[i * n + j] as number;
      for (let k = 0; k < j; k++) sum -= (l[i * n + k] as number) * (l[j * n + k] as number);
      if (i === j) {
        if (!(sum > minPivot)) return undefined;
        l[i * n + i] = Math.sqrt(sum);
      } else {
        l[i * n + j] = sum / (l[j * n + j] as number);
      }
    }
  }
  return l;
}
