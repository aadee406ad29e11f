// The surrogate table: every surrogate gradient's id, name, parameters (kernel
// order p0, p1, with defaults) and the formulas of g(x) (x = v − θ) and of its
// primitive P(x) (P' = g; only the test-only smooth forward uses it, in
// TypeScript). kernels/generate.mjs compiles the formulas to
//   src/backend/kernels/surrogates.generated.ts   TypeScript (sgGrad, sgPrimitive, ids, parameters)
//   kernels/wasm/surrogate.generated.ts           AssemblyScript (scalar f64 and f64x2 lanes)
//   kernels/native/surrogates.generated.h         C++ (scalar and vector-extension lanes)
// so every backend evaluates the same operations in the same order (f64).
//
// Formula language: a list of lines `name = expr` (a local constant) ending
// with the result expression. expr: numbers, x, p0, p1, earlier locals, PI,
// INV_SQRT_PI (1/√π), + − × ÷ (left-associative, as in JS), unary −,
// comparisons < <= > >=, `c ? a : b`, and abs(·), exp(·), atan(·), min(·,·),
// max(·,·), erf(·) (erf: TypeScript only, hence only in primitives). exp is
// sgExp (kernels/exp.mjs), the same operations on every backend, not the
// library's. A g(x) whose x goes through no function but abs and exp (no atan)
// also gets a vector form (GCC vector lanes in C++, f64x2 in wasm) whose
// parameter-only subexpressions are hoisted out of the loop; IEEE operations
// round the same per lane, so lanes equal the scalar bits.
//
// Defaults follow snnTorch where it has the surrogate (fast sigmoid k = 25,
// arctan α = 2, sigmoid k = 25), else semantics.md §2. `positive`: every
// parameter must be > 0.

export const surrogates = [
  {
    id: 0, name: 'fastSigmoid', doc: 'fast sigmoid / SuperSpike, p0 = slope k',
    params: [['slope', 25]], positive: true,
    grad: ['d = 1 + p0 * abs(x)', '1 / (d * d)'],
    primitive: ['1 / p0 + x / (1 + p0 * abs(x))'],
  },
  {
    id: 1, name: 'arctan', doc: 'arctan, p0 = α',
    params: [['alpha', 2]], positive: true,
    grad: ['z = (PI / 2) * p0 * x', 'p0 / 2 / (1 + z * z)'],
    primitive: ['0.5 + atan((PI / 2) * p0 * x) / PI'],
  },
  {
    id: 2, name: 'sigmoid', doc: 'sigmoid, p0 = slope k: k·σ(kx)(1 − σ(kx)) written with e^{-k|x|} so it never overflows',
    params: [['slope', 25]], positive: true,
    grad: ['e = exp(-p0 * abs(x))', '(p0 * e) / ((1 + e) * (1 + e))'],
    primitive: ['x >= 0 ? 1 / (1 + exp(-p0 * x)) : exp(p0 * x) / (1 + exp(p0 * x))'],
  },
  {
    id: 3, name: 'piecewiseQuadratic', doc: 'piecewise quadratic, p0 = α',
    params: [['alpha', 1]], positive: true,
    grad: ['ax = abs(x)', 'ax <= 1 / p0 ? p0 - p0 * p0 * ax : 0'],
    primitive: ['q = (p0 * p0 * x * x) / 2', 'x <= -1 / p0 ? 0 : x >= 1 / p0 ? 1 : x < 0 ? 0.5 + p0 * x + q : 0.5 + p0 * x - q'],
  },
  {
    id: 4, name: 'piecewiseExponential', doc: 'piecewise exponential, p0 = α',
    params: [['alpha', 1]], positive: true,
    grad: ['(p0 / 2) * exp(-p0 * abs(x))'],
    primitive: ['x < 0 ? 0.5 * exp(p0 * x) : 1 - 0.5 * exp(-p0 * x)'],
  },
  {
    id: 5, name: 'softSign', doc: 'soft sign, p0 = α',
    params: [['alpha', 2]], positive: true,
    grad: ['d = 1 + p0 * abs(x)', 'p0 / (2 * d * d)'],
    primitive: ['0.5 + (0.5 * p0 * x) / (1 + p0 * abs(x))'],
  },
  {
    id: 6, name: 'erf', doc: 'erf / Gaussian, p0 = α',
    params: [['alpha', 2]], positive: true,
    grad: ['p0 * INV_SQRT_PI * exp(-p0 * p0 * x * x)'],
    primitive: ['0.5 * (1 + erf(p0 * x))'],
  },
  {
    id: 7, name: 'rectangle', doc: 'rectangle, p0 = width a',
    params: [['width', 1]], positive: true,
    grad: ['abs(x) < p0 / 2 ? 1 / p0 : 0'],
    primitive: ['min(1, max(0, x / p0 + 0.5))'],
  },
  {
    id: 8, name: 'triangle', doc: 'triangle, p0 = height γ, p1 = half-width w',
    params: [['height', 1], ['width', 1]], positive: true,
    grad: ['r = 1 - abs(x) / p1', 'r > 0 ? p0 * r : 0'],
    primitive: ['x <= -p1 ? 0 : x >= p1 ? p0 * p1 : x < 0 ? (p0 * (x + p1) * (x + p1)) / (2 * p1) : p0 * (p1 / 2 + x - (x * x) / (2 * p1))'],
  },
  {
    id: 9, name: 'straightThrough', doc: 'straight-through estimator',
    params: [],
    grad: ['1'],
    primitive: ['x'],
  },
  {
    id: 10, name: 'snntorchTriangle', doc: "snnTorch's triangular() as implemented: +threshold below 0, −threshold from 0 up (p0 = threshold)",
    params: [['threshold', 1]],
    grad: ['x < 0 ? p0 : -p0'],
    primitive: ['-p0 * abs(x)'],
  },
];

/** TypeScript-only helpers the primitives call, copied verbatim into the generated TS module. */
export const tsHelpers = `
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
`;
