import type { CoreKernels } from '../kernels/core.js';
import type { WasmContext } from './context.js';
import { reduceIntoVia } from '../ts/core.js';

/*
 * CoreKernels on wasm. Each method checks that its storages live in this
 * backend's memory (otherwise the TypeScript reference runs on the `.data`
 * views) and that sizes fit, then passes byte pointers: no copies.
 */
export function wasmCoreKernels(ctx: WasmContext, ts: CoreKernels): CoreKernels {
  const k = ctx.k;
  const kernels: CoreKernels = {
    gemm(tA, tB, M, N, K, alpha, A, aOff, B, bOff, beta, C, cOff) {
      if (!ctx.owns(A) || !ctx.owns(B) || !ctx.owns(C)) return ts.gemm(tA, tB, M, N, K, alpha, A, aOff, B, bOff, beta, C, cOff);
      ctx.need(A, aOff + M * K, 'gemm', 'A');
      ctx.need(B, bOff + K * N, 'gemm', 'B');
      ctx.need(C, cOff + M * N, 'gemm', 'C');
      let ap = 0, bp = 0;
      if (alpha !== 0 && M > 0 && N > 0 && K > 0) {
        ap = ctx.scratch('gemmA', k.gemmScratchA(M, K));
        bp = ctx.scratch('gemmB', k.gemmScratchB(N, K));
      }
      k.gemm(tA ? 1 : 0, tB ? 1 : 0, M, N, K, alpha, A.at(aOff), B.at(bOff), beta, C.at(cOff), ap, bp);
    },
    eventGemm(M, N, K, X, Wt, beta, Y) {
      if (!ctx.owns(X) || !ctx.owns(Wt) || !ctx.owns(Y)) return ts.eventGemm(M, N, K, X, Wt, beta, Y);
      ctx.need(X, M * K, 'eventGemm', 'X');
      ctx.need(Wt, K * N, 'eventGemm', 'Wt');
      ctx.need(Y, M * N, 'eventGemm', 'Y');
      const idx = ctx.scratch('evIdx', K * 4);
      const val = ctx.scratch('evVal', K * 4);
      k.eventGemm(M, N, K, X.ptr, Wt.ptr, beta, Y.ptr, idx, val);
    },
    eventGemmGradW(M, N, K, dY, X, dW) {
      if (!ctx.owns(dY) || !ctx.owns(X) || !ctx.owns(dW)) return ts.eventGemmGradW(M, N, K, dY, X, dW);
      ctx.need(dY, M * N, 'eventGemmGradW', 'dY');
      ctx.need(X, M * K, 'eventGemmGradW', 'X');
      ctx.need(dW, N * K, 'eventGemmGradW', 'dW');
      const acc = ctx.scratch('evAcc', K * N * 4);
      const idx = ctx.scratch('evIdx', K * 4);
      const val = ctx.scratch('evVal', K * 4);
      k.eventGemmGradW(M, N, K, dY.ptr, X.ptr, dW.ptr, acc, idx, val);
    },
    transpose(M, N, A, out) {
      // Aliased operands have no defined result; keep the reference's.
      if (!ctx.owns(A) || !ctx.owns(out) || A === out) return ts.transpose(M, N, A, out);
      ctx.need(A, M * N, 'transpose', 'A');
      ctx.need(out, M * N, 'transpose', 'out');
      k.transpose(M, N, A.ptr, out.ptr);
    },
    fill(x, value) {
      if (!ctx.owns(x)) return ts.fill(x, value);
      k.fill(x.ptr, x.length, value);
    },
    copy(src, srcOff, dst, dstOff, n) {
      if (!ctx.owns(src) || !ctx.owns(dst)) return ts.copy(src, srcOff, dst, dstOff, n);
      ctx.need(src, srcOff + n, 'copy', 'source');
      ctx.need(dst, dstOff + n, 'copy', 'destination');
      k.copy(src.at(srcOff), dst.at(dstOff), n);
    },
    add(a, b, out) {
      if (!ctx.owns(a) || !ctx.owns(b) || !ctx.owns(out)) return ts.add(a, b, out);
      ctx.need(a, out.length, 'add', 'a');
      ctx.need(b, out.length, 'add', 'b');
      k.binary(0, a.ptr, b.ptr, out.ptr, out.length);
    },
    sub(a, b, out) {
      if (!ctx.owns(a) || !ctx.owns(b) || !ctx.owns(out)) return ts.sub(a, b, out);
      ctx.need(a, out.length, 'sub', 'a');
      ctx.need(b, out.length, 'sub', 'b');
      k.binary(1, a.ptr, b.ptr, out.ptr, out.length);
    },
    mul(a, b, out) {
      if (!ctx.owns(a) || !ctx.owns(b) || !ctx.owns(out)) return ts.mul(a, b, out);
      ctx.need(a, out.length, 'mul', 'a');
      ctx.need(b, out.length, 'mul', 'b');
      k.binary(2, a.ptr, b.ptr, out.ptr, out.length);
    },
    affine(x, alpha, beta, out) {
      if (!ctx.owns(x) || !ctx.owns(out)) return ts.affine(x, alpha, beta, out);
      ctx.need(x, out.length, 'affine', 'x');
      k.affine(x.ptr, alpha, beta, out.ptr, out.length);
    },
    axpy(alpha, x, y) {
      if (!ctx.owns(x) || !ctx.owns(y)) return ts.axpy(alpha, x, y);
      ctx.need(x, y.length, 'axpy', 'x');
      k.axpy(alpha, x.ptr, y.ptr, y.length);
    },
    addRowVector(M, N, Y, b) {
      if (!ctx.owns(Y) || !ctx.owns(b)) return ts.addRowVector(M, N, Y, b);
      ctx.need(Y, M * N, 'addRowVector', 'Y');
      ctx.need(b, N, 'addRowVector', 'b');
      k.addRowVector(M, N, Y.ptr, b.ptr);
    },
    sumRows(M, N, X, beta, out) {
      if (!ctx.owns(X) || !ctx.owns(out)) return ts.sumRows(M, N, X, beta, out);
      ctx.need(X, M * N, 'sumRows', 'X');
      ctx.need(out, N, 'sumRows', 'out');
      k.sumRows(M, N, X.ptr, beta, out.ptr);
    },
    sum(x) {
      return ctx.owns(x) ? k.sum(x.ptr, x.length, 0) : ts.sum(x);
    },
    sumSquares(x) {
      return ctx.owns(x) ? k.sum(x.ptr, x.length, 1) : ts.sumSquares(x);
    },
    countNonzero(x) {
      return ctx.owns(x) ? k.countNonzero(x.ptr, x.length) : ts.countNonzero(x);
    },
    // Through this backend's own scalar kernels (the number is on the host already).
    reduceInto(kind, x, out, outOff, scale) {
      reduceIntoVia(kernels, kind, x, out, outOff, scale);
    },
  };
  return kernels;
}
