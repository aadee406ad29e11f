/*
 * out[N, M] = Aᵀ for a row-major A[M, N] of f32 (pure data movement, so the
 * result is bit-identical to any other transpose). Cache blocks of 32×32 keep
 * both the rows read and the columns written resident; inside a block, 4×4
 * tiles are read as four f32x4 rows and rearranged with shuffles into four
 * f32x4 columns, so every load and store moves 16 bytes. Edges that do not
 * fill a tile are copied element by element.
 */

const BLOCK = 32;

export function transpose(M: i32, N: i32, A: usize, out: usize): void {
  for (let i0 = 0; i0 < M; i0 += BLOCK) {
    const i1 = min(M, i0 + BLOCK);
    for (let j0 = 0; j0 < N; j0 += BLOCK) {
      const j1 = min(N, j0 + BLOCK);
      let i = i0;
      for (; i + 4 <= i1; i += 4) {
        let j = j0;
        for (; j + 4 <= j1; j += 4) tile4(M, N, A, out, i, j);
        for (; j < j1; j++) {
          for (let r = i; r < i + 4; r++) copyOne(M, N, A, out, r, j);
        }
      }
      for (; i < i1; i++) {
        for (let j = j0; j < j1; j++) copyOne(M, N, A, out, i, j);
      }
    }
  }
}

// @ts-ignore: decorator
@inline
function copyOne(M: i32, N: i32, A: usize, out: usize, i: i32, j: i32): void {
  store<f32>(out + ((<usize>j * <usize>M + <usize>i) << 2), load<f32>(A + ((<usize>i * <usize>N + <usize>j) << 2)));
}

/** The 4×4 tile at rows i.., columns j.. of A. */
// @ts-ignore: decorator
@inline
function tile4(M: i32, N: i32, A: usize, out: usize, i: i32, j: i32): void {
  const rs = <usize>N << 2, cs = <usize>M << 2;
  const src = A + ((<usize>i * <usize>N + <usize>j) << 2);
  const r0 = v128.load(src), r1 = v128.load(src + rs), r2 = v128.load(src + 2 * rs), r3 = v128.load(src + 3 * rs);
  // Interleave row pairs (a0 b0 a1 b1 | a2 b2 a3 b3), then pair the halves into columns.
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5), t1 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t2 = i32x4.shuffle(r2, r3, 0, 4, 1, 5), t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  const dst = out + ((<usize>j * <usize>M + <usize>i) << 2);
  v128.store(dst, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
  v128.store(dst + cs, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
  v128.store(dst + 2 * cs, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
  v128.store(dst + 3 * cs, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
}
