/*
 * The one definition of every surrogate gradient g(x) (x = v − θ) and of its
 * primitive P(x) (P' = g; used only by the test-only smooth forward). Written
 * as switch-on-id scalar functions with numeric parameters so V8 inlines them
 * into the scan loops and a wasm backend can port them line by line.
 * Ids and parameter meanings: src/backend/kernels/neuron.ts (SurrogateId).
 */

const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);

export function sgGrad(id: number, p0: number, p1: number, x: number): number {
  switch (id) {
    case 0: {
      // fast sigmoid / SuperSpike, p0 = slope k
      const d = 1 + p0 * Math.abs(x);
      return 1 / (d * d);
    }
    case 1: {
      // arctan, p0 = α
      const z = (Math.PI / 2) * p0 * x;
      return p0 / 2 / (1 + z * z);
    }
    case 2: {
      // sigmoid, p0 = slope k: k·σ(kx)(1 − σ(kx)) written with e^{-k|x|} so it never overflows
      const e = Math.exp(-p0 * Math.abs(x));
      return (p0 * e) / ((1 + e) * (1 + e));
    }
    case 3: {
      // piecewise quadratic, p0 = α
      const ax = Math.abs(x);
      return ax <= 1 / p0 ? p0 - p0 * p0 * ax : 0;
    }
    case 4:
      // piecewise exponential, p0 = α
      return (p0 / 2) * Math.exp(-p0 * Math.abs(x));
    case 5: {
      // soft sign, p0 = α
      const d = 1 + p0 * Math.abs(x);
      return p0 / (2 * d * d);
    }
    case 6:
      // erf / Gaussian, p0 = α
      return p0 * INV_SQRT_PI * Math.exp(-p0 * p0 * x * x);
    case 7:
      // rectangle, p0 = width a
      return Math.abs(x) < p0 / 2 ? 1 / p0 : 0;
    case 8: {
      // triangle, p0 = height γ, p1 = half-width w
      const r = 1 - Math.abs(x) / p1;
      return r > 0 ? p0 * r : 0;
    }
    case 9:
      return 1;
    case 10:
      // snnTorch's triangular() as implemented: +threshold below 0, −threshold from 0 up (p0 = threshold)
      return x < 0 ? p0 : -p0;
    default:
      throw new Error(`unknown surrogate id ${id}`);
  }
}

export function sgPrimitive(id: number, p0: number, p1: number, x: number): number {
  switch (id) {
    case 0:
      return 1 / p0 + x / (1 + p0 * Math.abs(x));
    case 1:
      return 0.5 + Math.atan((Math.PI / 2) * p0 * x) / Math.PI;
    case 2:
      return x >= 0 ? 1 / (1 + Math.exp(-p0 * x)) : Math.exp(p0 * x) / (1 + Math.exp(p0 * x));
    case 3: {
      if (x <= -1 / p0) return 0;
      if (x >= 1 / p0) return 1;
      const q = (p0 * p0 * x * x) / 2;
      return x < 0 ? 0.5 + p0 * x + q : 0.5 + p0 * x - q;
    }
    case 4:
      return x < 0 ? 0.5 * Math.exp(p0 * x) : 1 - 0.5 * Math.exp(-p0 * x);
    case 5:
      return 0.5 + (0.5 * p0 * x) / (1 + p0 * Math.abs(x));
    case 6:
      return 0.5 * (1 + erf(p0 * x));
    case 7:
      return Math.min(1, Math.max(0, x / p0 + 0.5));
    case 8: {
      if (x <= -p1) return 0;
      if (x >= p1) return p0 * p1;
      return x < 0 ? (p0 * (x + p1) * (x + p1)) / (2 * p1) : p0 * (p1 / 2 + x - (x * x) / (2 * p1));
    }
    case 9:
      return x;
    case 10:
      return -p0 * Math.abs(x);
    default:
      throw new Error(`unknown surrogate id ${id}`);
  }
}

/**
 * erf to ~1e-15: Maclaurin series below |x| = 2.5, Lentz continued fraction for
 * erfc above (JavaScript has no Math.erf; only the smooth test forward needs it).
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    const x2 = x * x;
    for (let n = 1; n < 200; n++) {
      term *= -x2 / n;
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
    }
    return 2 * INV_SQRT_PI * sum;
  }
  // erfc(x) = exp(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated bottom-up.
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = (Math.exp(-ax * ax) * INV_SQRT_PI) / f;
  return x > 0 ? 1 - erfc : erfc - 1;
}
