/*
 * Learnable-delay kernels (src/backend/kernels/delay.ts; reference
 * src/backend/ts/delay.ts). The construction and its adjoint are the
 * reference's f64 arithmetic (AssemblyScript's Math.exp may differ from V8's
 * by an ulp); the integer-delay sum is the reference's loop in its order, in
 * f64, so bit-identical; the event-driven convolution adds f32 rows.
 */
import { accumulateRows, gather } from './event';
import { transpose } from './transpose';

const SIGMA_OFFSET: f64 = 0.27;
const NORM_EPS: f64 = 1e-7;

/** kernel[k·n + s] (f32) from w, p; interp 0 Gaussian, 1 linear; g: scratch for K f64. */
export function delayKernelBuild(n: i32, K: i32, interp: i32, sigma: f64, w: usize, p: usize, kernel: usize, g: usize): void {
  const half = (K - 1) >> 1;
  const kStride = <usize>n << 2;
  if (interp == 0) {
    const se = Math.abs(sigma) + SIGMA_OFFSET;
    for (let s = 0; s < n; s++) {
      const c = <f64>load<f32>(p + (<usize>s << 2)) + <f64>half;
      let S: f64 = 0;
      for (let k = 0; k < K; k++) {
        const u = (<f64>k - c) / se;
        const v = Math.exp(-0.5 * u * u);
        store<f64>(g + (<usize>k << 3), v);
        S += v;
      }
      const scale = <f64>load<f32>(w + (<usize>s << 2)) / (S + NORM_EPS);
      const out = kernel + (<usize>s << 2);
      for (let k = 0; k < K; k++) store<f32>(out + <usize>k * kStride, <f32>(load<f64>(g + (<usize>k << 3)) * scale));
    }
  } else {
    memory.fill(kernel, 0, <usize>K * kStride);
    for (let s = 0; s < n; s++) {
      const c = <f64>load<f32>(p + (<usize>s << 2)) + <f64>half;
      const f = Math.floor(c);
      const frac = c - f;
      const ws = <f64>load<f32>(w + (<usize>s << 2));
      const out = kernel + (<usize>s << 2);
      if (f >= 0 && f < <f64>K) store<f32>(out + <usize>(<i32>f) * kStride, <f32>(ws * (1 - frac)));
      if (f + 1 >= 0 && f + 1 < <f64>K) store<f32>(out + <usize>(<i32>f + 1) * kStride, <f32>(ws * frac));
    }
  }
}

/** dW[s], dP[s] (a pointer of 0: not wanted) from dKernel[k·n + s]. */
export function delayKernelBuildBackward(n: i32, K: i32, interp: i32, sigma: f64, w: usize, p: usize, dK: usize, dW: usize, dP: usize): void {
  const half = (K - 1) >> 1;
  const kStride = <usize>n << 2;
  const se = Math.abs(sigma) + SIGMA_OFFSET;
  for (let s = 0; s < n; s++) {
    const so = <usize>s << 2;
    const c = <f64>load<f32>(p + so) + <f64>half;
    const ws = <f64>load<f32>(w + so);
    if (interp == 0) {
      let S: f64 = 0, G1: f64 = 0, A: f64 = 0, Bu: f64 = 0;
      for (let k = 0; k < K; k++) {
        const u = (<f64>k - c) / se;
        const g = Math.exp(-0.5 * u * u);
        const d = <f64>load<f32>(dK + so + <usize>k * kStride);
        S += g;
        G1 += g * u;
        A += d * g;
        Bu += d * g * u;
      }
      S += NORM_EPS;
      if (dW) store<f32>(dW + so, <f32>(A / S));
      if (dP) store<f32>(dP + so, <f32>((ws * (Bu / S - (A * G1) / (S * S))) / se));
    } else {
      const f = Math.floor(c);
      const frac = c - f;
      const d0: f64 = f >= 0 && f < <f64>K ? <f64>load<f32>(dK + so + <usize>(<i32>f) * kStride) : 0;
      const d1: f64 = f + 1 >= 0 && f + 1 < <f64>K ? <f64>load<f32>(dK + so + <usize>(<i32>f + 1) * kStride) : 0;
      if (dW) store<f32>(dW + so, <f32>(d0 * (1 - frac) + d1 * frac));
      if (dP) store<f32>(dP + so, <f32>(ws * (d1 - d0)));
    }
  }
}

/**
 * The exact integer-delay sum for output steps [tStart, tEnd): rowPtr/cols (i32)
 * and vals (f32) are the synapse lists copied into this memory; acc: scratch
 * for B·O f64. Same loop and order as the reference.
 */
export function delaySparseForward(
  Tin: i32, tStart: i32, tEnd: i32, B: i32, K: i32, I: i32, O: i32, rowPtr: usize, cols: usize, vals: usize, x: usize, y: usize, acc: usize,
): void {
  const BO = B * O;
  for (let t = tStart; t < tEnd; t++) {
    memory.fill(acc, 0, <usize>BO << 3);
    for (let k = 0; k < K; k++) {
      const src = t - (K - 1 - k);
      if (src < 0 || src >= Tin) continue;
      for (let b = 0; b < B; b++) {
        const xr = x + (<usize>((src * B + b) * I) << 2);
        const ar = acc + (<usize>(b * O) << 3);
        for (let i = 0; i < I; i++) {
          const xv = <f64>load<f32>(xr + (<usize>i << 2));
          if (xv == 0) continue;
          const r = k * I + i;
          const e = load<i32>(rowPtr + (<usize>(r + 1) << 2));
          for (let j = load<i32>(rowPtr + (<usize>r << 2)); j < e; j++) {
            const a = ar + (<usize>load<i32>(cols + (<usize>j << 2)) << 3);
            store<f64>(a, load<f64>(a) + <f64>load<f32>(vals + (<usize>j << 2)) * xv);
          }
        }
      }
    }
    const yt = y + (<usize>((t - tStart) * BO) << 2);
    for (let j = 0; j < BO; j++) store<f32>(yt + (<usize>j << 2), <f32>load<f64>(acc + (<usize>j << 3)));
  }
}

/** The nonzeros of x [R, I] as lists: start (R + 1 i32), idx (i32), val (f32); scratch of R·I entries each. */
function nonzeroLists(R: i32, I: i32, x: usize, start: usize, idx: usize, val: usize): void {
  let q = 0;
  for (let r = 0; r < R; r++) {
    store<i32>(start + (<usize>r << 2), q);
    q += gather(x + (<usize>(r * I) << 2), I, idx + (<usize>q << 2), val + (<usize>q << 2));
  }
  store<i32>(start + (<usize>R << 2), q);
}

/**
 * Event-driven delay convolution: y [Tout, B, O] (overwritten) from the nonzeros
 * of x [T, B, I] and kernel [K, O, I]. Scratch: Wt (K·O·I f32, the taps transposed),
 * start (T·B + 1 i32), idx and val (T·B·I each).
 */
export function delayEventForward(
  T: i32, Tout: i32, B: i32, I: i32, O: i32, K: i32, x: usize, kernel: usize, y: usize, Wt: usize, start: usize, idx: usize, val: usize,
): void {
  const tapBytes = <usize>(O * I) << 2;
  for (let k = 0; k < K; k++) transpose(O, I, kernel + <usize>k * tapBytes, Wt + <usize>k * tapBytes);
  nonzeroLists(T * B, I, x, start, idx, val);
  memory.fill(y, 0, <usize>(Tout * B * O) << 2);
  for (let tOut = 0; tOut < Tout; tOut++) {
    for (let b = 0; b < B; b++) {
      const yr = y + (<usize>((tOut * B + b) * O) << 2);
      for (let k = 0; k < K; k++) {
        const t = tOut - (K - 1 - k);
        if (t < 0 || t >= T) continue;
        const row = t * B + b;
        const q0 = load<i32>(start + (<usize>row << 2)), q1 = load<i32>(start + (<usize>(row + 1) << 2));
        if (q1 > q0) accumulateRows(yr, Wt + <usize>k * tapBytes, O, idx + (<usize>q0 << 2), val + (<usize>q0 << 2), q1 - q0);
      }
    }
  }
}

/** dst[0..n) += v·src[0..n) (f32). */
function addScaledRow(dst: usize, v: f32, src: usize, n: i32): void {
  let j = 0;
  if (v == 1) {
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
    }
  } else {
    const vv = f32x4.splat(v);
    for (; j + 4 <= n; j += 4) {
      const o = <usize>j << 2;
      v128.store(dst + o, f32x4.add(v128.load(dst + o), f32x4.mul(vv, v128.load(src + o))));
    }
  }
  for (; j < n; j++) {
    const o = <usize>j << 2;
    store<f32>(dst + o, load<f32>(dst + o) + v * load<f32>(src + o));
  }
}

/**
 * Its kernel gradient dK [K, O, I] (overwritten) from the nonzeros of x and dY [Tout, B, O]:
 * per tap, accumulated in acc [I, O] (O·I f32 scratch) and transposed. start/idx/val as above.
 */
export function delayEventGradKernel(
  T: i32, Tout: i32, B: i32, I: i32, O: i32, K: i32, x: usize, dY: usize, dK: usize, acc: usize, start: usize, idx: usize, val: usize,
): void {
  const tapBytes = <usize>(O * I) << 2;
  const rowBytes = <usize>O << 2;
  nonzeroLists(T * B, I, x, start, idx, val);
  for (let k = 0; k < K; k++) {
    const d = K - 1 - k;
    memory.fill(acc, 0, tapBytes);
    const tEnd = min(T, Tout - d);
    for (let t = 0; t < tEnd; t++) {
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        const g = dY + <usize>((t + d) * B + b) * rowBytes;
        const q1 = load<i32>(start + (<usize>(row + 1) << 2));
        for (let q = load<i32>(start + (<usize>row << 2)); q < q1; q++) {
          addScaledRow(acc + <usize>load<i32>(idx + (<usize>q << 2)) * rowBytes, load<f32>(val + (<usize>q << 2)), g, O);
        }
      }
    }
    transpose(I, O, acc, dK + <usize>k * tapBytes);
  }
}
