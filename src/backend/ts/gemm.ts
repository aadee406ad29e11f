import type { Floats } from '../storage.js';

/*
 * Plain-TypeScript GEMM. V8 does not vectorise, so speed comes from keeping a
 * 4×4 block of C in local variables (registers) over a K-panel: per k, 8 loads
 * feed 16 multiply-adds. A and B panels are packed into contiguous float64
 * scratch first, which also absorbs the transposed layouts (packing reads
 * through strides), so NN, NT, TN and TT share one micro-kernel.
 */

const KC = 256;

function makeLike(x: Floats, n: number): Floats {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

export function transposeInto(M: number, N: number, A: Floats, aOff: number, out: Floats, outOff: number): void {
  // Blocked so both sides stay cache-friendly for large matrices.
  const B = 32;
  for (let i0 = 0; i0 < M; i0 += B) {
    const i1 = Math.min(M, i0 + B);
    for (let j0 = 0; j0 < N; j0 += B) {
      const j1 = Math.min(N, j0 + B);
      for (let i = i0; i < i1; i++) {
        const row = aOff + i * N;
        for (let j = j0; j < j1; j++) out[outOff + j * M + i] = A[row + j]!;
      }
    }
  }
}

let packA = new Float64Array(4 * KC);
let packB = new Float64Array(0);

/** C = alpha·op(A)·op(B) + beta·C where op(A)(i,k) = A[aOff + i·sAi + k·sAk] and op(B)(k,j) = B[bOff + k·sBk + j·sBj]. */
function gemmStrided(
  M: number, N: number, K: number, alpha: number,
  A: Floats, aOff: number, sAi: number, sAk: number,
  B: Floats, bOff: number, sBk: number, sBj: number,
  beta: number, C: Floats, cOff: number,
): void {
  const total = M * N;
  if (beta === 0) C.fill(0, cOff, cOff + total);
  else if (beta !== 1) for (let i = cOff; i < cOff + total; i++) C[i]! *= beta;
  if (alpha === 0 || K === 0 || M === 0 || N === 0) return;
  const N4 = (N + 3) & ~3;
  if (packB.length < KC * N4) packB = new Float64Array(KC * N4);
  const ap = packA, bp = packB;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = Math.min(KC, K - k0);
    // B panel as [N4/4][kc][4], zero-padded past N.
    for (let j0 = 0; j0 < N4; j0 += 4) {
      const base = j0 * kc;
      for (let q = 0; q < 4; q++) {
        const j = j0 + q;
        if (j < N) {
          let src = bOff + k0 * sBk + j * sBj;
          for (let k = 0, o = base + q; k < kc; k++, o += 4, src += sBk) bp[o] = B[src]!;
        } else for (let k = 0, o = base + q; k < kc; k++, o += 4) bp[o] = 0;
      }
    }
    for (let i = 0; i < M; i += 4) {
      // A panel rows i..i+3 as [kc][4], zero-padded past M.
      for (let q = 0; q < 4; q++) {
        if (i + q < M) {
          let src = aOff + (i + q) * sAi + k0 * sAk;
          for (let k = 0, o = q; k < kc; k++, o += 4, src += sAk) ap[o] = alpha * A[src]!;
        } else for (let k = 0, o = q; k < kc; k++, o += 4) ap[o] = 0;
      }
      const rows = Math.min(4, M - i);
      for (let j0 = 0; j0 < N; j0 += 4) {
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        let bo = j0 * kc;
        for (let k = 0, ao = 0; k < kc; k++, ao += 4, bo += 4) {
          const a0 = ap[ao]!, a1 = ap[ao + 1]!, a2 = ap[ao + 2]!, a3 = ap[ao + 3]!;
          const b0 = bp[bo]!, b1 = bp[bo + 1]!, b2 = bp[bo + 2]!, b3 = bp[bo + 3]!;
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        const cols = Math.min(4, N - j0);
        let o = cOff + i * N + j0;
        if (cols === 4) {
          C[o] += c00; C[o + 1] += c01; C[o + 2] += c02; C[o + 3] += c03;
          if (rows > 1) { o += N; C[o] += c10; C[o + 1] += c11; C[o + 2] += c12; C[o + 3] += c13; }
          if (rows > 2) { o += N; C[o] += c20; C[o + 1] += c21; C[o + 2] += c22; C[o + 3] += c23; }
          if (rows > 3) { o += N; C[o] += c30; C[o + 1] += c31; C[o + 2] += c32; C[o + 3] += c33; }
        } else {
          const blk = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
          for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) C[o + r * N + c] += blk[r * 4 + c]!;
        }
      }
    }
  }
}

export function gemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Floats, aOff: number, B: Floats, bOff: number, beta: number, C: Floats, cOff: number): void {
  // op(A) is [M,K]: stored [M,K] (row stride K) or, transposed, [K,M] (row stride M).
  const [sAi, sAk] = tA ? [1, M] : [K, 1];
  // op(B) is [K,N]: stored [K,N] or, transposed, [N,K].
  const [sBk, sBj] = tB ? [1, K] : [N, 1];
  gemmStrided(M, N, K, alpha, A, aOff, sAi, sAk, B, bOff, sBk, sBj, beta, C, cOff);
}

/** Y[M,N] = X[M,K]·Wt[K,N] + beta·Y visiting only nonzero X (spikes cost additions only). */
export function eventGemm(M: number, N: number, K: number, X: Floats, Wt: Floats, beta: number, Y: Floats): void {
  if (beta === 0) Y.fill(0, 0, M * N);
  else if (beta !== 1) for (let i = 0; i < M * N; i++) Y[i]! *= beta;
  for (let m = 0; m < M; m++) {
    const xr = m * K, yr = m * N;
    for (let k = 0; k < K; k++) {
      const x = X[xr + k]!;
      if (x === 0) continue;
      const wr = k * N;
      if (x === 1) {
        for (let j = 0; j < N; j++) Y[yr + j] += Wt[wr + j]!;
      } else {
        for (let j = 0; j < N; j++) Y[yr + j] += x * Wt[wr + j]!;
      }
    }
  }
}

/** dW[N,K] += Σ_m dY[m,n]·X[m,k] for nonzero X; accumulates into a [K,N] scratch then transposes once. */
export function eventGemmGradW(M: number, N: number, K: number, dY: Floats, X: Floats, dW: Floats): void {
  const acc = makeLike(dW, K * N);
  for (let m = 0; m < M; m++) {
    const xr = m * K, yr = m * N;
    for (let k = 0; k < K; k++) {
      const x = X[xr + k]!;
      if (x === 0) continue;
      const ar = k * N;
      if (x === 1) {
        for (let j = 0; j < N; j++) acc[ar + j] += dY[yr + j]!;
      } else {
        for (let j = 0; j < N; j++) acc[ar + j] += x * dY[yr + j]!;
      }
    }
  }
  for (let n = 0; n < N; n++) {
    const r = n * K;
    for (let k = 0; k < K; k++) dW[r + k] += acc[k * N + n]!;
  }
}
