// Test hook for the generated surrogate code (kernels/wasm/surrogate.generated.ts).
import { sgConst, sgExp, sgExpV, sgGrad, sgGradV } from './surrogate.generated';

/**
 * out[i] = g_sid(x[i]) with parameters p0, p1, or e^{x[i]} (sgExp) for sid = -1,
 * over n doubles at byte offsets x and out. simd = 1 runs the f64x2 lane code
 * the SIMD LIF backward uses (pairs, then the odd last one in scalar code),
 * simd = 0 the scalar code, so tests can compare both to the TypeScript
 * reference bit for bit. sid is validated on the JavaScript side.
 */
export function surrogateEval(sid: i32, p0: f64, p1: f64, x: usize, out: usize, n: i32, simd: i32): void {
  let i = 0;
  if (simd != 0) {
    const k0 = f64x2.splat(sgConst(sid, p0, p1, 0)), k1 = f64x2.splat(sgConst(sid, p0, p1, 1)), k2 = f64x2.splat(sgConst(sid, p0, p1, 2));
    for (; i + 2 <= n; i += 2) {
      const v = v128.load(x + (<usize>i << 3));
      v128.store(out + (<usize>i << 3), sid < 0 ? sgExpV(v) : sgGradV(sid, p0, p1, k0, k1, k2, v));
    }
  }
  for (; i < n; i++) {
    const v = load<f64>(x + (<usize>i << 3));
    store<f64>(out + (<usize>i << 3), sid < 0 ? sgExp(v) : sgGrad(sid, p0, p1, v));
  }
}
