/*
 * Single-precision GEMM with WebAssembly SIMD128.
 *
 * C = alpha·op(A)·op(B) + beta·C over packed panels. op(A) and op(B) are read
 * through element strides, so the four layouts (NN, NT, TN, TT) share one
 * micro-kernel: packing absorbs the transposes. The micro-kernel keeps a 4×8
 * tile of C in eight f32x4 accumulators; per k it loads two vectors of B and
 * broadcasts four scalars of A (12 live vectors fits the 16 x64 xmm registers).
 *
 * Blocking (L1 32–64 KiB, L2 ≥ 512 KiB): a K-block of KC is packed for the whole
 * of op(A) once, then B is packed NC columns at a time (KC·NC·4 = 256 KiB, in L2)
 * and every 4-row A micro-panel (4 KiB, in L1) sweeps the B block.
 * The packing buffers are owned by the JavaScript allocator (pointers `ap`, `bp`).
 */

export const GEMM_KC: i32 = 256;
export const GEMM_NC: i32 = 256;

/** ap ← alpha·op(A)[0..mc, 0..kc) as [ceil(mc/4)][kc][4], zero rows past mc. */
function packA(ap: usize, A: usize, sAi: i32, sAk: i32, mc: i32, kc: i32, alpha: f32): void {
  const stepK = <usize>sAk << 2;
  for (let i = 0; i < mc; i += 4) {
    const rows = min(4, mc - i);
    const panel = ap + (<usize>(i * kc) << 2);
    for (let q = 0; q < 4; q++) {
      let o = panel + (<usize>q << 2);
      if (q < rows) {
        let src = A + (<usize>((i + q) * sAi) << 2);
        for (let k = 0; k < kc; k++) {
          store<f32>(o, alpha * load<f32>(src));
          o += 16;
          src += stepK;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          store<f32>(o, 0);
          o += 16;
        }
      }
    }
  }
}

/** bp ← op(B)[0..kc, 0..nc) as [ceil(nc/8)][kc][8], zero columns past nc. */
function packB(bp: usize, B: usize, sBk: i32, sBj: i32, kc: i32, nc: i32): void {
  for (let j = 0; j < nc; j += 8) {
    const cols = min(8, nc - j);
    const panel = bp + (<usize>(j * kc) << 2);
    if (sBj == 1 && cols == 8) {
      // Row-major B: each k contributes 8 contiguous floats.
      let src = B + (<usize>j << 2);
      const step = <usize>sBk << 2;
      let o = panel;
      for (let k = 0; k < kc; k++) {
        v128.store(o, v128.load(src));
        v128.store(o, v128.load(src, 16), 16);
        o += 32;
        src += step;
      }
    } else {
      for (let q = 0; q < 8; q++) {
        let o = panel + (<usize>q << 2);
        if (q < cols) {
          let src = B + (<usize>((j + q) * sBj) << 2);
          const step = <usize>sBk << 2;
          for (let k = 0; k < kc; k++) {
            store<f32>(o, load<f32>(src));
            o += 32;
            src += step;
          }
        } else {
          for (let k = 0; k < kc; k++) {
            store<f32>(o, 0);
            o += 32;
          }
        }
      }
    }
  }
}

/** C[rows, cols] += (packed A micro-panel)·(packed B micro-panel); ldc in bytes; tmp = 32 floats of scratch. */
function kernel4x8(ap: usize, bp: usize, kc: i32, c: usize, ldc: usize, rows: i32, cols: i32, tmp: usize): void {
  let c0a = f32x4.splat(0), c0b = f32x4.splat(0);
  let c1a = f32x4.splat(0), c1b = f32x4.splat(0);
  let c2a = f32x4.splat(0), c2b = f32x4.splat(0);
  let c3a = f32x4.splat(0), c3b = f32x4.splat(0);
  let a = ap, b = bp;
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c0a = f32x4.add(c0a, f32x4.mul(x, b0));
    c0b = f32x4.add(c0b, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 4);
    c1a = f32x4.add(c1a, f32x4.mul(x, b0));
    c1b = f32x4.add(c1b, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 8);
    c2a = f32x4.add(c2a, f32x4.mul(x, b0));
    c2b = f32x4.add(c2b, f32x4.mul(x, b1));
    x = v128.load32_splat(a, 12);
    c3a = f32x4.add(c3a, f32x4.mul(x, b0));
    c3b = f32x4.add(c3b, f32x4.mul(x, b1));
    a += 16;
    b += 32;
  }
  if (rows == 4 && cols == 8) {
    let p = c;
    v128.store(p, f32x4.add(v128.load(p), c0a));
    v128.store(p, f32x4.add(v128.load(p, 16), c0b), 16);
    p += ldc;
    v128.store(p, f32x4.add(v128.load(p), c1a));
    v128.store(p, f32x4.add(v128.load(p, 16), c1b), 16);
    p += ldc;
    v128.store(p, f32x4.add(v128.load(p), c2a));
    v128.store(p, f32x4.add(v128.load(p, 16), c2b), 16);
    p += ldc;
    v128.store(p, f32x4.add(v128.load(p), c3a));
    v128.store(p, f32x4.add(v128.load(p, 16), c3b), 16);
    return;
  }
  // Edge tile: spill the accumulators and add only the valid part.
  v128.store(tmp, c0a); v128.store(tmp, c0b, 16);
  v128.store(tmp, c1a, 32); v128.store(tmp, c1b, 48);
  v128.store(tmp, c2a, 64); v128.store(tmp, c2b, 80);
  v128.store(tmp, c3a, 96); v128.store(tmp, c3b, 112);
  for (let r = 0; r < rows; r++) {
    const row = c + <usize>r * ldc;
    const t = tmp + (<usize>r << 5);
    for (let q = 0; q < cols; q++) {
      const o = row + (<usize>q << 2);
      store<f32>(o, load<f32>(o) + load<f32>(t + (<usize>q << 2)));
    }
  }
}

/** x[0..n) ← beta·x (beta = 0 writes zeros, so NaN/garbage in C never leaks through). */
export function scaleInPlace(x: usize, n: i32, beta: f32): void {
  if (beta == 1) return;
  let i = 0;
  if (beta == 0) {
    memory.fill(x, 0, <usize>n << 2);
    return;
  }
  const bv = f32x4.splat(beta);
  for (; i + 4 <= n; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), bv));
  }
  for (; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * beta);
  }
}

/** Bytes of packing scratch gemm needs for the A panel (the B block and tile need gemmScratchB). */
export function gemmScratchA(M: i32, K: i32): i32 {
  return ((M + 3) & ~3) * min(K, GEMM_KC) * 4;
}

export function gemmScratchB(N: i32, K: i32): i32 {
  return ((min(N, GEMM_NC) + 7) & ~7) * min(K, GEMM_KC) * 4 + 128;
}

/**
 * C[M,N] = alpha·op(A)·op(B) + beta·C with all pointers in bytes. `ap` and `bp`
 * hold gemmScratchA(M,K) and gemmScratchB(N,K) bytes (16-byte aligned).
 */
export function gemm(tA: i32, tB: i32, M: i32, N: i32, K: i32, alpha: f32, A: usize, B: usize, beta: f32, C: usize, ap: usize, bp: usize): void {
  scaleInPlace(C, M * N, beta);
  if (alpha == 0 || K == 0 || M == 0 || N == 0) return;
  // op(A)(i,k) = A[i·sAi + k·sAk]; op(B)(k,j) = B[k·sBk + j·sBj].
  const sAi = tA ? 1 : K, sAk = tA ? M : 1;
  const sBk = tB ? 1 : N, sBj = tB ? K : 1;
  const tmp = bp + <usize>(gemmScratchB(N, K) - 128);
  const ldc = <usize>N << 2;
  for (let k0 = 0; k0 < K; k0 += GEMM_KC) {
    const kc = min(GEMM_KC, K - k0);
    packA(ap, A + (<usize>(k0 * sAk) << 2), sAi, sAk, M, kc, alpha);
    for (let j0 = 0; j0 < N; j0 += GEMM_NC) {
      const nc = min(GEMM_NC, N - j0);
      packB(bp, B + (<usize>(k0 * sBk + j0 * sBj) << 2), sBk, sBj, kc, nc);
      for (let i = 0; i < M; i += 4) {
        const rows = min(4, M - i);
        const apanel = ap + (<usize>(i * kc) << 2);
        const crow = C + (<usize>(i * N + j0) << 2);
        for (let j = 0; j < nc; j += 8) {
          kernel4x8(apanel, bp + (<usize>(j * kc) << 2), kc, crow + (<usize>j << 2), ldc, rows, min(8, nc - j), tmp);
        }
      }
    }
  }
}
