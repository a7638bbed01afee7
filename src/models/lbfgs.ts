/**
 * Limited-memory BFGS on Float64Array with a strong-Wolfe line search (Nocedal & Wright,
 * algorithms 7.4, 3.5 and 3.6). Plain TypeScript, no tensors: the linear models are small
 * enough that a deterministic CPU solver beats round-trips to the tensor backend.
 */

/** Writes the gradient at `x` into `grad` and returns the objective value. */
export type Objective = (x: Float64Array, grad: Float64Array) => number;

export interface LbfgsOptions {
  /** Maximum number of iterations (direction updates). */
  maxIter: number;
  /** Stop when the largest absolute gradient entry is at most this (scipy's `gtol`). */
  tol: number;
  /** Number of correction pairs kept (default 10, as scipy). */
  memory?: number;
  /** Stop when the relative decrease of the objective is below this (default 64·ε, as scikit-learn). */
  ftol?: number;
}

export interface LbfgsResult {
  x: Float64Array;
  f: number;
  nIter: number;
  /** True when the gradient or the relative-decrease criterion was met. */
  converged: boolean;
}

const C1 = 1e-4;
const C2 = 0.9;
const MAX_LINE_SEARCH = 25;

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i] as number) * (b[i] as number);
  return s;
}

function maxAbs(a: Float64Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] as number));
  return m;
}

interface Point {
  a: number;
  phi: number;
  dphi: number;
}

/**
 * Minimises a smooth function from `x0`. Deterministic: the same objective and start give the
 * same iterates bit for bit.
 */
export function minimizeLbfgs(objective: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length;
  const m = options.memory ?? 10;
  const ftol = options.ftol ?? 64 * Number.EPSILON;
  const x = Float64Array.from(x0);
  const g = new Float64Array(n);
  let f = objective(x, g);
  if (maxAbs(g) <= options.tol) return { x, f, nIter: 0, converged: true };

  const sList: Float64Array[] = [];
  const yList: Float64Array[] = [];
  const rhoList: number[] = [];
  const alphaTmp = new Float64Array(m);
  const d = new Float64Array(n);
  const xTrial = new Float64Array(n);
  const gTrial = new Float64Array(n);

  const evaluate = (a: number): Point => {
    for (let i = 0; i < n; i++) xTrial[i] = (x[i] as number) + a * (d[i] as number);
    const phi = objective(xTrial, gTrial);
    return { a, phi, dphi: dot(gTrial, d) };
  };

  // Strong-Wolfe line search; on success xTrial/gTrial hold the accepted point.
  const lineSearch = (a0: number, phi0: number, dphi0: number): Point | undefined => {
    const zoom = (loIn: Point, hiIn: Point): Point | undefined => {
      let lo = loIn;
      let hi = hiIn;
      for (let i = 0; i < MAX_LINE_SEARCH; i++) {
        const a = interpolate(lo, hi);
        const p = evaluate(a);
        if (p.phi > phi0 + C1 * a * dphi0 || p.phi >= lo.phi) {
          hi = p;
        } else {
          if (Math.abs(p.dphi) <= -C2 * dphi0) return p;
          if (p.dphi * (hi.a - lo.a) >= 0) hi = lo;
          lo = p;
        }
        if (Math.abs(hi.a - lo.a) <= 1e-16 * Math.max(1, lo.a)) break;
      }
      // No strong-Wolfe point found: accept the best sufficient-decrease point if any.
      if (lo.a > 0 && lo.phi < phi0) return evaluate(lo.a);
      return undefined;
    };

    let prev: Point = { a: 0, phi: phi0, dphi: dphi0 };
    let a = a0;
    for (let i = 0; i < MAX_LINE_SEARCH; i++) {
      const p = evaluate(a);
      if (!Number.isFinite(p.phi)) {
        // Overflow far along the direction: shrink towards the last good point.
        a = prev.a + (a - prev.a) / 4;
        continue;
      }
      if (p.phi > phi0 + C1 * a * dphi0 || (i > 0 && p.phi >= prev.phi)) return zoom(prev, p);
      if (Math.abs(p.dphi) <= -C2 * dphi0) return p;
      if (p.dphi >= 0) return zoom(p, prev);
      prev = p;
      a *= 2;
    }
    return undefined;
  };

  let nIter = 0;
  let converged = false;
  while (nIter < options.maxIter) {
    nIter++;
    // Two-loop recursion: d = -H·g.
    for (let i = 0; i < n; i++) d[i] = -(g[i] as number);
    const k = sList.length;
    for (let j = k - 1; j >= 0; j--) {
      const aj = (rhoList[j] as number) * dot(sList[j] as Float64Array, d);
      alphaTmp[j] = aj;
      const yj = yList[j] as Float64Array;
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) - aj * (yj[i] as number);
    }
    if (k > 0) {
      const sLast = sList[k - 1] as Float64Array;
      const yLast = yList[k - 1] as Float64Array;
      const gamma = dot(sLast, yLast) / dot(yLast, yLast);
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) * gamma;
    }
    for (let j = 0; j < k; j++) {
      const yj = yList[j] as Float64Array;
      const sj = sList[j] as Float64Array;
      const b = (rhoList[j] as number) * dot(yj, d);
      const c = (alphaTmp[j] as number) - b;
      for (let i = 0; i < n; i++) d[i] = (d[i] as number) + c * (sj[i] as number);
    }
    let dphi0 = dot(g, d);
    if (!(dphi0 < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      sList.length = 0;
      yList.length = 0;
      rhoList.length = 0;
      for (let i = 0; i < n; i++) d[i] = -(g[i] as number);
      dphi0 = dot(g, d);
    }
    const a0 = sList.length === 0 ? Math.min(1, 1 / Math.sqrt(-dphi0)) : 1;
    let step = lineSearch(a0, f, dphi0);
    if (step === undefined && sList.length > 0) {
      sList.length = 0;
      yList.length = 0;
      rhoList.length = 0;
      for (let i = 0; i < n; i++) d[i] = -(g[i] as number);
      dphi0 = dot(g, d);
      step = lineSearch(Math.min(1, 1 / Math.sqrt(-dphi0)), f, dphi0);
    }
    if (step === undefined) break;

    const s = new Float64Array(n);
    const y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      s[i] = (xTrial[i] as number) - (x[i] as number);
      y[i] = (gTrial[i] as number) - (g[i] as number);
    }
    const sy = dot(s, y);
    if (sy > 1e-10 * dot(y, y)) {
      if (sList.length === m) {
        sList.shift();
        yList.shift();
        rhoList.shift();
      }
      sList.push(s);
      yList.push(y);
      rhoList.push(1 / sy);
    }
    const fOld = f;
    x.set(xTrial);
    g.set(gTrial);
    f = step.phi;
    if (maxAbs(g) <= options.tol || (fOld - f) / Math.max(Math.abs(fOld), Math.abs(f), 1) <= ftol) {
      converged = true;
      break;
    }
  }
  return { x, f, nIter, converged };
}

/** Safeguarded cubic interpolation of the step inside [lo, hi]; bisection when it misbehaves. */
function interpolate(lo: Point, hi: Point): number {
  const left = Math.min(lo.a, hi.a);
  const right = Math.max(lo.a, hi.a);
  const width = right - left;
  const d1 = lo.dphi + hi.dphi - (3 * (lo.phi - hi.phi)) / (lo.a - hi.a);
  const disc = d1 * d1 - lo.dphi * hi.dphi;
  if (disc >= 0) {
    const d2 = Math.sign(hi.a - lo.a) * Math.sqrt(disc);
    const a = hi.a - ((hi.a - lo.a) * (hi.dphi + d2 - d1)) / (hi.dphi - lo.dphi + 2 * d2);
    if (Number.isFinite(a) && a >= left + 0.1 * width && a <= right - 0.1 * width) return a;
  }
  return (lo.a + hi.a) / 2;
}
