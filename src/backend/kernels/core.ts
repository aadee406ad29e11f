import type { Storage } from '../storage.js';

/** The reductions of a whole storage to one number. */
export type Reduction = 'sum' | 'sumSquares' | 'countNonzero';

/**
 * Dense and event-driven linear algebra plus the elementwise kernels autograd
 * needs. All matrices are row-major and contiguous; offsets are in elements.
 */
export interface CoreKernels {
  /** C[M,N] = alpha·op(A)·op(B) + beta·C, op(A) is [M,K] (A stored [K,M] when tA), op(B) is [K,N] (B stored [N,K] when tB). */
  gemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Storage, aOff: number, B: Storage, bOff: number, beta: number, C: Storage, cOff: number): void;
  /**
   * Event-driven forward for inputs that are mostly zero (spikes): Y[M,N] = X[M,K]·Wt[K,N] + beta·Y,
   * visiting only nonzero X entries (a spike of value 1 costs N additions and no multiply).
   */
  eventGemm(M: number, N: number, K: number, X: Storage, Wt: Storage, beta: number, Y: Storage): void;
  /** Event-driven weight gradient: dW[N,K] += Σ_m dY[m,n]·X[m,k], visiting only nonzero X entries. */
  eventGemmGradW(M: number, N: number, K: number, dY: Storage, X: Storage, dW: Storage): void;
  /** out[N,M] = transpose(A[M,N]). */
  transpose(M: number, N: number, A: Storage, out: Storage): void;
  fill(x: Storage, value: number): void;
  copy(src: Storage, srcOff: number, dst: Storage, dstOff: number, n: number): void;
  add(a: Storage, b: Storage, out: Storage): void;
  sub(a: Storage, b: Storage, out: Storage): void;
  mul(a: Storage, b: Storage, out: Storage): void;
  /** out = alpha·x + beta (out may be x). */
  affine(x: Storage, alpha: number, beta: number, out: Storage): void;
  /** y += alpha·x */
  axpy(alpha: number, x: Storage, y: Storage): void;
  /** Y[M,N] += b[N] broadcast over rows. */
  addRowVector(M: number, N: number, Y: Storage, b: Storage): void;
  /** out[N] = beta·out + Σ_m X[m,n]. */
  sumRows(M: number, N: number, X: Storage, beta: number, out: Storage): void;
  /**
   * out[outOff] = scale·(the reduction of x): the device-side form of sum,
   * sumSquares and countNonzero, for a loss or a norm that must stay on a GPU
   * (whose scalar kernels cannot return a number without waiting for it).
   */
  reduceInto(kind: Reduction, x: Storage, out: Storage, outOff: number, scale: number): void;
  sum(x: Storage): number;
  /** Sum of squares (for gradient-norm clipping). */
  sumSquares(x: Storage): number;
  /** Number of nonzero entries (spike counting, density-based kernel choice). */
  countNonzero(x: Storage): number;
}
