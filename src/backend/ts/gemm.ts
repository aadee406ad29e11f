import type { Floats } from '../storage.js';

/*
 * Plain-TypeScript GEMM. V8 does not vectorise, so speed comes from reuse:
 * four rows of A share each load of a B row, and B is walked in (k, j) blocks
 * that stay in L2. Transposed operands are first copied into the NN layout:
 * O(size) work next to O(M·N·K), and it keeps a single inner loop to tune.
 */

const KB = 128;
const JB = 512;

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

/** C[M,N] = alpha·A[M,K]·B[K,N] + beta·C, all contiguous row-major. */
function gemmNN(M: number, N: number, K: number, alpha: number, A: Floats, aOff: number, B: Floats, bOff: number, beta: number, C: Floats, cOff: number): void {
  const total = M * N;
  if (beta === 0) C.fill(0, cOff, cOff + total);
  else if (beta !== 1) for (let i = cOff; i < cOff + total; i++) C[i]! *= beta;
  if (alpha === 0 || K === 0) return;
  for (let k0 = 0; k0 < K; k0 += KB) {
    const k1 = Math.min(K, k0 + KB);
    for (let j0 = 0; j0 < N; j0 += JB) {
      const j1 = Math.min(N, j0 + JB);
      let i = 0;
      for (; i + 4 <= M; i += 4) {
        const a0r = aOff + i * K, a1r = a0r + K, a2r = a1r + K, a3r = a2r + K;
        const c0 = cOff + i * N, c1 = c0 + N, c2 = c1 + N, c3 = c2 + N;
        for (let k = k0; k < k1; k++) {
          const a0 = alpha * A[a0r + k]!, a1 = alpha * A[a1r + k]!, a2 = alpha * A[a2r + k]!, a3 = alpha * A[a3r + k]!;
          if (a0 === 0 && a1 === 0 && a2 === 0 && a3 === 0) continue;
          const br = bOff + k * N;
          for (let j = j0; j < j1; j++) {
            const b = B[br + j]!;
            C[c0 + j] += a0 * b;
            C[c1 + j] += a1 * b;
            C[c2 + j] += a2 * b;
            C[c3 + j] += a3 * b;
          }
        }
      }
      for (; i < M; i++) {
        const ar = aOff + i * K, c0 = cOff + i * N;
        for (let k = k0; k < k1; k++) {
          const a = alpha * A[ar + k]!;
          if (a === 0) continue;
          const br = bOff + k * N;
          for (let j = j0; j < j1; j++) C[c0 + j] += a * B[br + j]!;
        }
      }
    }
  }
}

export function gemm(tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, A: Floats, aOff: number, B: Floats, bOff: number, beta: number, C: Floats, cOff: number): void {
  let a = A, ao = aOff, b = B, bo = bOff;
  if (tA) {
    a = makeLike(A, M * K);
    transposeInto(K, M, A, aOff, a, 0);
    ao = 0;
  }
  if (tB) {
    b = makeLike(B, K * N);
    transposeInto(N, K, B, bOff, b, 0);
    bo = 0;
  }
  gemmNN(M, N, K, alpha, a, ao, b, bo, beta, C, cOff);
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
