import { ShapeError } from '../../errors.js';
import type { CoreKernels, Reduction } from '../kernels/core.js';
import type { Storage } from '../storage.js';
import { gemm, eventGemm, eventGemmGradW, transposeInto } from './gemm.js';

/** reduceInto through a backend's scalar kernels (every CPU backend: the host holds the number anyway). */
export function reduceIntoVia(k: Pick<CoreKernels, Reduction>, kind: Reduction, x: Storage, out: Storage, outOff: number, scale: number): void {
  if (!Number.isInteger(outOff) || outOff < 0 || outOff >= out.length) throw new ShapeError(`reduceInto: offset ${outOff} is outside the output's ${out.length} elements`);
  const v = k[kind](x);
  out.data[outOff] = scale * v;
}

/** Reference implementation of the core kernels on typed arrays. */
export const tsCoreKernels: CoreKernels = {
  gemm(tA, tB, M, N, K, alpha, A, aOff, B, bOff, beta, C, cOff) {
    gemm(tA, tB, M, N, K, alpha, A.data, aOff, B.data, bOff, beta, C.data, cOff);
  },
  eventGemm(M, N, K, X, Wt, beta, Y) {
    eventGemm(M, N, K, X.data, Wt.data, beta, Y.data);
  },
  eventGemmGradW(M, N, K, dY, X, dW) {
    eventGemmGradW(M, N, K, dY.data, X.data, dW.data);
  },
  transpose(M, N, A, out) {
    transposeInto(M, N, A.data, 0, out.data, 0);
  },
  fill(x, value) {
    x.data.fill(value);
  },
  copy(src, srcOff, dst, dstOff, n) {
    dst.data.set(src.data.subarray(srcOff, srcOff + n), dstOff);
  },
  add(a, b, out) {
    const x = a.data, y = b.data, o = out.data;
    for (let i = 0; i < o.length; i++) o[i] = x[i]! + y[i]!;
  },
  sub(a, b, out) {
    const x = a.data, y = b.data, o = out.data;
    for (let i = 0; i < o.length; i++) o[i] = x[i]! - y[i]!;
  },
  mul(a, b, out) {
    const x = a.data, y = b.data, o = out.data;
    for (let i = 0; i < o.length; i++) o[i] = x[i]! * y[i]!;
  },
  affine(x, alpha, beta, out) {
    const a = x.data, o = out.data;
    for (let i = 0; i < o.length; i++) o[i] = alpha * a[i]! + beta;
  },
  axpy(alpha, x, y) {
    const a = x.data, o = y.data;
    for (let i = 0; i < o.length; i++) o[i] += alpha * a[i]!;
  },
  addRowVector(M, N, Y, b) {
    const y = Y.data, v = b.data;
    for (let m = 0; m < M; m++) {
      const r = m * N;
      for (let n = 0; n < N; n++) y[r + n] += v[n]!;
    }
  },
  sumRows(M, N, X, beta, out) {
    const x = X.data, o = out.data;
    if (beta === 0) o.fill(0, 0, N);
    else if (beta !== 1) for (let n = 0; n < N; n++) o[n]! *= beta;
    for (let m = 0; m < M; m++) {
      const r = m * N;
      for (let n = 0; n < N; n++) o[n] += x[r + n]!;
    }
  },
  reduceInto(kind, x, out, outOff, scale) {
    reduceIntoVia(tsCoreKernels, kind, x, out, outOff, scale);
  },
  sum(x) {
    const a = x.data;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]!;
    return s;
  },
  sumSquares(x) {
    const a = x.data;
    let s = 0;
    for (let i = 0; i < a.length; i++) s += a[i]! * a[i]!;
    return s;
  },
  countNonzero(x) {
    const a = x.data;
    let c = 0;
    for (let i = 0; i < a.length; i++) if (a[i] !== 0) c++;
    return c;
  },
};
