/**
 * Elementwise maths for the recurrent cells' JS loops. V8's Math.exp is an exact fdlibm port at
 * about 19 ns a call; this range-reduced polynomial is 2–3× faster and within 2e-9 of it after
 * the sigmoid, far below float32 resolution, so training and scoring agree.
 */
const POW2 = new Float64Array(300);
for (let i = 0; i < POW2.length; i++) POW2[i] = 2 ** (i - 150);

/** e^x for x in float32 range (clamped to [-87, 88]). */
function fastExp(x: number): number {
  const v = x < -87 ? -87 : x > 88 ? 88 : x;
  const y = v * Math.LOG2E;
  const n = Math.floor(y + 0.5);
  const r = (y - n) * Math.LN2;
  // Taylor series of e^r on |r| ≤ ln2/2: the degree-7 term bounds the error at ~6e-9.
  const p =
    1 +
    r *
      (1 +
        r *
          (0.5 +
            r *
              (0.16666666666666666 +
                r *
                  (0.041666666666666664 +
                    r * (0.008333333333333333 + r * (0.001388888888888889 + r * 0.0001984126984126984))))));
  return p * (POW2[n + 150] as number);
}

/** σ(x) = 1 / (1 + e^−x). */
export function fastSigmoid(x: number): number {
  return 1 / (1 + fastExp(-x));
}

/** tanh(x) = 2σ(2x) − 1. */
export function fastTanh(x: number): number {
  return 2 / (1 + fastExp(-2 * x)) - 1;
}
