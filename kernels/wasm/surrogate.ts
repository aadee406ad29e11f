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

/*
 * Two surrogate gradients at once (f64x2 lanes) for the SIMD LIF backward.
 * The algebraic ids repeat sgGrad's double operations in the same order
 * (IEEE +, −, ×, ÷ and abs round identically per lane, and ternaries become
 * bitselects), so each lane equals sgGrad bit for bit. What sgGrad derives
 * from p0/p1 (p0/2, 1/p0, …) is computed once per call by sgConst and passed
 * in as k0..k2, so the loop does no per-element divisions of constants. The
 * exp-based ids (2, 4, 6) run sgGrad lane by lane.
 */

/** The per-call constant `k` (0, 1 or 2) that sgGradV expects for surrogate `id`. */
export function sgConst(id: i32, p0: f64, p1: f64, k: i32): f64 {
  switch (id) {
    case 0:
    case 5:
      return p0;
    case 1:
      return k == 0 ? (Math.PI / 2) * p0 : p0 / 2;
    case 3:
      return k == 0 ? 1 / p0 : k == 1 ? p0 : p0 * p0;
    case 7:
      return k == 0 ? p0 / 2 : 1 / p0;
    case 8:
      return k == 0 ? p1 : p0;
    case 10:
      return k == 0 ? p0 : -p0;
    default:
      return 0;
  }
}

// @ts-ignore: decorator
@inline
export function sgGradV(id: i32, p0: f64, p1: f64, k0: v128, k1: v128, k2: v128, x: v128): v128 {
  const one = f64x2.splat(1), zero = f64x2.splat(0);
  switch (id) {
    case 0: {
      const d = f64x2.add(one, f64x2.mul(k0, f64x2.abs(x)));
      return f64x2.div(one, f64x2.mul(d, d));
    }
    case 1: {
      const z = f64x2.mul(k0, x);
      return f64x2.div(k1, f64x2.add(one, f64x2.mul(z, z)));
    }
    case 3: {
      const ax = f64x2.abs(x);
      return v128.bitselect(f64x2.sub(k1, f64x2.mul(k2, ax)), zero, f64x2.le(ax, k0));
    }
    case 5: {
      const d = f64x2.add(one, f64x2.mul(k0, f64x2.abs(x)));
      return f64x2.div(k0, f64x2.mul(f64x2.mul(f64x2.splat(2), d), d));
    }
    case 7:
      return v128.and(k1, f64x2.lt(f64x2.abs(x), k0));
    case 8: {
      const r = f64x2.sub(one, f64x2.div(f64x2.abs(x), k0));
      return v128.and(f64x2.mul(k1, r), f64x2.gt(r, zero));
    }
    case 9:
      return one;
    case 10:
      return v128.bitselect(k0, k1, f64x2.lt(x, zero));
    default: {
      const lo = sgGrad(id, p0, p1, f64x2.extract_lane(x, 0));
      return f64x2.replace_lane(f64x2.splat(lo), 1, sgGrad(id, p0, p1, f64x2.extract_lane(x, 1)));
    }
  }
}
