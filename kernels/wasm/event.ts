/*
 * Event-driven kernels for mostly-zero inputs (spikes). Each input row is
 * first compacted into (index, value) lists — zero groups of four are skipped
 * with one vector compare — then weight rows are accumulated four events at
 * a time, so the output row is loaded and stored once per four events. The
 * additions happen in the same order as the reference (one f32 rounding per
 * event), so binary spikes give bit-identical results.
 */

/** Compacts the nonzeros of x[0..K) into idx (i32) and val (f32); returns their count. */
export function gather(x: usize, K: i32, idx: usize, val: usize): i32 {
  const zero = f32x4.splat(0);
  let c = 0;
  let k = 0;
  for (; k + 4 <= K; k += 4) {
    const p = x + (<usize>k << 2);
    if (!v128.any_true(f32x4.ne(v128.load(p), zero))) continue;
    for (let q = 0; q < 4; q++) {
      const v = load<f32>(p + (<usize>q << 2));
      if (v != 0) {
        store<i32>(idx + (<usize>c << 2), k + q);
        store<f32>(val + (<usize>c << 2), v);
        c++;
      }
    }
  }
  for (; k < K; k++) {
    const v = load<f32>(x + (<usize>k << 2));
    if (v != 0) {
      store<i32>(idx + (<usize>c << 2), k);
      store<f32>(val + (<usize>c << 2), v);
      c++;
    }
  }
  return c;
}

/** y[0..N) += Σ_e val[e]·rows[idx[e]] for the `cnt` events; rows has row stride N. */
export function accumulateRows(y: usize, rows: usize, N: i32, idx: usize, val: usize, cnt: i32): void {
  const stride = <usize>N << 2;
  let e = 0;
  for (; e + 4 <= cnt; e += 4) {
    const eo = <usize>e << 2;
    const x0 = load<f32>(val + eo), x1 = load<f32>(val + eo, 4), x2 = load<f32>(val + eo, 8), x3 = load<f32>(val + eo, 12);
    const w0 = rows + <usize>load<i32>(idx + eo) * stride;
    const w1 = rows + <usize>load<i32>(idx + eo, 4) * stride;
    const w2 = rows + <usize>load<i32>(idx + eo, 8) * stride;
    const w3 = rows + <usize>load<i32>(idx + eo, 12) * stride;
    const allOnes = x0 == 1 && x1 == 1 && x2 == 1 && x3 == 1;
    let j = 0;
    if (allOnes) {
      for (; j + 4 <= N; j += 4) {
        const o = <usize>j << 2;
        let acc = f32x4.add(v128.load(y + o), v128.load(w0 + o));
        acc = f32x4.add(acc, v128.load(w1 + o));
        acc = f32x4.add(acc, v128.load(w2 + o));
        acc = f32x4.add(acc, v128.load(w3 + o));
        v128.store(y + o, acc);
      }
    } else {
      const v0 = f32x4.splat(x0), v1 = f32x4.splat(x1), v2 = f32x4.splat(x2), v3 = f32x4.splat(x3);
      for (; j + 4 <= N; j += 4) {
        const o = <usize>j << 2;
        let acc = f32x4.add(v128.load(y + o), f32x4.mul(v0, v128.load(w0 + o)));
        acc = f32x4.add(acc, f32x4.mul(v1, v128.load(w1 + o)));
        acc = f32x4.add(acc, f32x4.mul(v2, v128.load(w2 + o)));
        acc = f32x4.add(acc, f32x4.mul(v3, v128.load(w3 + o)));
        v128.store(y + o, acc);
      }
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      let acc = load<f32>(y + o) + x0 * load<f32>(w0 + o);
      acc += x1 * load<f32>(w1 + o);
      acc += x2 * load<f32>(w2 + o);
      acc += x3 * load<f32>(w3 + o);
      store<f32>(y + o, acc);
    }
  }
  for (; e < cnt; e++) {
    const eo = <usize>e << 2;
    const x0 = load<f32>(val + eo);
    const w0 = rows + <usize>load<i32>(idx + eo) * stride;
    const v0 = f32x4.splat(x0);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const o = <usize>j << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(v0, v128.load(w0 + o))));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(y + o, load<f32>(y + o) + x0 * load<f32>(w0 + o));
    }
  }
}

/** Y[M,N] = X[M,K]·Wt[K,N] + beta·Y visiting only nonzero X. idx/val: K entries of scratch each. */
export function eventGemm(M: i32, N: i32, K: i32, X: usize, Wt: usize, beta: f32, Y: usize, idx: usize, val: usize): void {
  if (beta == 0) memory.fill(Y, 0, <usize>(M * N) << 2);
  else if (beta != 1) {
    for (let i = 0; i < M * N; i++) {
      const p = Y + (<usize>i << 2);
      store<f32>(p, load<f32>(p) * beta);
    }
  }
  for (let m = 0; m < M; m++) {
    const cnt = gather(X + (<usize>(m * K) << 2), K, idx, val);
    if (cnt > 0) accumulateRows(Y + (<usize>(m * N) << 2), Wt, N, idx, val, cnt);
  }
}

/**
 * dW[N,K] += Σ_m dY[m,n]·X[m,k] for nonzero X. Accumulates dWᵀ into acc [K,N]
 * (zeroed here) row by row — contiguous SIMD adds — and transposes once.
 */
export function eventGemmGradW(M: i32, N: i32, K: i32, dY: usize, X: usize, dW: usize, acc: usize, idx: usize, val: usize): void {
  memory.fill(acc, 0, <usize>(K * N) << 2);
  const rowBytes = <usize>N << 2;
  for (let m = 0; m < M; m++) {
    const cnt = gather(X + (<usize>(m * K) << 2), K, idx, val);
    const g = dY + <usize>m * rowBytes;
    for (let e = 0; e < cnt; e++) {
      const x = load<f32>(val + (<usize>e << 2));
      const a = acc + <usize>load<i32>(idx + (<usize>e << 2)) * rowBytes;
      let j = 0;
      if (x == 1) {
        for (; j + 4 <= N; j += 4) {
          const o = <usize>j << 2;
          v128.store(a + o, f32x4.add(v128.load(a + o), v128.load(g + o)));
        }
      } else {
        const xv = f32x4.splat(x);
        for (; j + 4 <= N; j += 4) {
          const o = <usize>j << 2;
          v128.store(a + o, f32x4.add(v128.load(a + o), f32x4.mul(xv, v128.load(g + o))));
        }
      }
      for (; j < N; j++) {
        const o = <usize>j << 2;
        store<f32>(a + o, load<f32>(a + o) + x * load<f32>(g + o));
      }
    }
  }
  // dW[n,k] += acc[k,n], in 8×8 blocks so both sides stay in cache.
  for (let n0 = 0; n0 < N; n0 += 8) {
    const n1 = min(N, n0 + 8);
    for (let k0 = 0; k0 < K; k0 += 8) {
      const k1 = min(K, k0 + 8);
      for (let n = n0; n < n1; n++) {
        const dRow = dW + (<usize>(n * K) << 2);
        for (let k = k0; k < k1; k++) {
          const d = dRow + (<usize>k << 2);
          store<f32>(d, load<f32>(d) + load<f32>(acc + (<usize>(k * N + n) << 2)));
        }
      }
    }
  }
}
