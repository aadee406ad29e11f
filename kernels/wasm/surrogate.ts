/*
 * Surrogate gradients g(x), x = v − θ, ported line by line from
 * src/backend/ts/neurons/surrogate-math.ts (ids and parameters in
 * src/backend/kernels/neuron.ts). f64 like the reference so both backends
 * agree to the last bit on the algebraic ones (exp/atan may differ by an ulp).
 */

const INV_SQRT_PI: f64 = 1.0 / Math.sqrt(Math.PI);

// @ts-ignore: decorator
@inline
export function sgGrad(id: i32, p0: f64, p1: f64, x: f64): f64 {
  switch (id) {
    case 0: {
      const d = 1 + p0 * Math.abs(x);
      return 1 / (d * d);
    }
    case 1: {
      const z = (Math.PI / 2) * p0 * x;
      return p0 / 2 / (1 + z * z);
    }
    case 2: {
      const e = Math.exp(-p0 * Math.abs(x));
      return (p0 * e) / ((1 + e) * (1 + e));
    }
    case 3: {
      const ax = Math.abs(x);
      return ax <= 1 / p0 ? p0 - p0 * p0 * ax : 0;
    }
    case 4:
      return (p0 / 2) * Math.exp(-p0 * Math.abs(x));
    case 5: {
      const d = 1 + p0 * Math.abs(x);
      return p0 / (2 * d * d);
    }
    case 6:
      return p0 * INV_SQRT_PI * Math.exp(-p0 * p0 * x * x);
    case 7:
      return Math.abs(x) < p0 / 2 ? 1 / p0 : 0;
    case 8: {
      const r = 1 - Math.abs(x) / p1;
      return r > 0 ? p0 * r : 0;
    }
    case 9:
      return 1;
    case 10:
      return x < 0 ? p0 : -p0;
    default:
      return 0; // ids are validated on the JavaScript side
  }
}
