/*
 * Elementwise kernels and reductions over f32 arrays in linear memory (byte
 * pointers, element counts). Where the TypeScript reference computes in
 * doubles and rounds once on store (affine, axpy, reductions), these do the
 * same through f64x2 lanes, so both backends give bit-identical results; a
 * single f32 add/sub/mul is already exact-rounded, so those stay in f32x4.
 */

export function fill(x: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), value);
}

export function copy(src: usize, dst: usize, n: i32): void {
  memory.copy(dst, src, <usize>n << 2);
}

/** op: 0 add, 1 sub, 2 mul. */
export function binary(op: i32, a: usize, b: usize, out: usize, n: i32): void {
  let i = 0;
  if (op == 0) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(a + o) + load<f32>(b + o));
    }
  } else if (op == 1) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.sub(v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(a + o) - load<f32>(b + o));
    }
  } else {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(out + o, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
    for (; i < n; i++) {
      const o = <usize>i << 2;
      store<f32>(out + o, load<f32>(a + o) * load<f32>(b + o));
    }
  }
}

/** out = alpha·x + beta (computed in f64, rounded once). */
export function affine(x: usize, alpha: f64, beta: f64, out: usize, n: i32): void {
  const av = f64x2.splat(alpha), bv = f64x2.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o);
    const lo = f64x2.add(f64x2.mul(av, f64x2.promote_low_f32x4(v)), bv);
    const hi = f64x2.add(f64x2.mul(av, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))), bv);
    v128.store(out + o, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, <f32>(alpha * <f64>load<f32>(x + o) + beta));
  }
}

/** y += alpha·x (computed in f64, rounded once). */
export function axpy(alpha: f64, x: usize, y: usize, n: i32): void {
  const av = f64x2.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = v128.load(x + o), w = v128.load(y + o);
    const lo = f64x2.add(f64x2.promote_low_f32x4(w), f64x2.mul(av, f64x2.promote_low_f32x4(v)));
    const hi = f64x2.add(
      f64x2.promote_low_f32x4(i32x4.shuffle(w, w, 2, 3, 0, 1)),
      f64x2.mul(av, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1))),
    );
    v128.store(y + o, i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, <f32>(<f64>load<f32>(y + o) + alpha * <f64>load<f32>(x + o)));
  }
}

/** Y[M,N] += b[N] per row. */
export function addRowVector(M: i32, N: i32, Y: usize, b: usize): void {
  for (let m = 0; m < M; m++) {
    const row = Y + (<usize>(m * N) << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(b + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(b + o));
    }
  }
}

/** out[N] = beta·out + Σ_m X[m,n]; rows are added in order, each add rounded to f32 like the reference. */
export function sumRows(M: i32, N: i32, X: usize, beta: f32, out: usize): void {
  if (beta == 0) memory.fill(out, 0, <usize>N << 2);
  else if (beta != 1) {
    for (let j = 0; j < N; j++) {
      const o = out + (<usize>j << 2);
      store<f32>(o, load<f32>(o) * beta);
    }
  }
  for (let m = 0; m < M; m++) {
    const row = X + (<usize>(m * N) << 2);
    let j = 0;
    for (; j + 4 <= N; j += 4) {
      const o = <usize>j << 2;
      v128.store(out + o, f32x4.add(v128.load(out + o), v128.load(row + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(out + o, load<f32>(out + o) + load<f32>(row + o));
    }
  }
}

/** Σ x (squares = 1: Σ x²) accumulated in f64; two f64x2 partial sums, so the order differs from a serial sum only by f64 rounding. */
export function sum(x: usize, n: i32, squares: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    let lo = f64x2.promote_low_f32x4(v);
    let hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
    if (squares) {
      lo = f64x2.mul(lo, lo);
      hi = f64x2.mul(hi, hi);
    }
    s0 = f64x2.add(s0, lo);
    s1 = f64x2.add(s1, hi);
  }
  const t = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2));
    s += squares ? v * v : v;
  }
  return s;
}

export function countNonzero(x: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let acc = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    // ne gives −1 per nonzero lane, so subtracting counts them.
    acc = i32x4.sub(acc, f32x4.ne(v128.load(x + (<usize>i << 2)), zero));
  }
  let c = i32x4.extract_lane(acc, 0) + i32x4.extract_lane(acc, 1) + i32x4.extract_lane(acc, 2) + i32x4.extract_lane(acc, 3);
  for (; i < n; i++) if (load<f32>(x + (<usize>i << 2)) != 0) c++;
  return c;
}

/** x ← min(max(x, lo), hi); NaN stays NaN as in the reference. */
export function clamp(x: usize, n: i32, lo: f32, hi: f32): void {
  for (let i = 0; i < n; i++) {
    const p = x + (<usize>i << 2);
    const v = load<f32>(p);
    if (v < lo) store<f32>(p, lo);
    else if (v > hi) store<f32>(p, hi);
  }
}
