import type { CoreKernels } from '../kernels/core.js';
import { reduceIntoVia, tsCoreKernels } from '../ts/core.js';
import type { NativeAddon } from './addon.js';

/*
 * Below this many elements an elementwise op stays in TypeScript: the call
 * into the addon (argument checks included) costs about as much as the loop.
 * Float64 arrays never take the short path, so they always reach the addon's
 * type check and fail loudly.
 */
const SMALL = 256;

/** Core kernels computed by the addon; sum, sumSquares, fill and copy stay in TypeScript (already native speed or order-sensitive). */
export function nativeCoreKernels(addon: NativeAddon): CoreKernels {
  const ts = tsCoreKernels;
  const kernels: CoreKernels = {
    ...ts,
    gemm(tA, tB, M, N, K, alpha, A, aOff, B, bOff, beta, C, cOff) {
      addon.gemm(tA, tB, M, N, K, alpha, A.data, aOff, B.data, bOff, beta, C.data, cOff);
    },
    eventGemm(M, N, K, X, Wt, beta, Y) {
      addon.eventGemm(M, N, K, X.data, Wt.data, beta, Y.data);
    },
    eventGemmGradW(M, N, K, dY, X, dW) {
      addon.eventGemmGradW(M, N, K, dY.data, X.data, dW.data);
    },
    transpose(M, N, A, out) {
      addon.transpose(M, N, A.data, out.data);
    },
    add(a, b, out) {
      const o = out.data;
      if (o.length < SMALL && o instanceof Float32Array) ts.add(a, b, out);
      else addon.add(a.data, b.data, o);
    },
    sub(a, b, out) {
      const o = out.data;
      if (o.length < SMALL && o instanceof Float32Array) ts.sub(a, b, out);
      else addon.sub(a.data, b.data, o);
    },
    mul(a, b, out) {
      const o = out.data;
      if (o.length < SMALL && o instanceof Float32Array) ts.mul(a, b, out);
      else addon.mul(a.data, b.data, o);
    },
    affine(x, alpha, beta, out) {
      const o = out.data;
      if (o.length < SMALL && o instanceof Float32Array) ts.affine(x, alpha, beta, out);
      else addon.affine(x.data, alpha, beta, o);
    },
    axpy(alpha, x, y) {
      const o = y.data;
      if (o.length < SMALL && o instanceof Float32Array) ts.axpy(alpha, x, y);
      else addon.axpy(alpha, x.data, o);
    },
    addRowVector(M, N, Y, b) {
      const o = Y.data;
      if (M * N < SMALL && o instanceof Float32Array) ts.addRowVector(M, N, Y, b);
      else addon.addRowVector(M, N, o, b.data);
    },
    sumRows(M, N, X, beta, out) {
      const o = out.data;
      if (M * N < SMALL && o instanceof Float32Array) ts.sumRows(M, N, X, beta, out);
      else addon.sumRows(M, N, X.data, beta, o);
    },
    countNonzero(x) {
      const a = x.data;
      return a.length < SMALL && a instanceof Float32Array ? ts.countNonzero(x) : addon.countNonzero(a);
    },
    // Through this backend's own scalar kernels (the number is on the host already).
    reduceInto(kind, x, out, outOff, scale) {
      reduceIntoVia(kernels, kind, x, out, outOff, scale);
    },
  };
  return kernels;
}
