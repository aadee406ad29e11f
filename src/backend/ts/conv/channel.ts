import type { Floats } from '../../storage.js';

/*
 * Per-channel kernels over [N, C, P] blocks (bias, batch-norm statistics and
 * affine maps). The P loop is innermost and contiguous; channel coefficients
 * are hoisted out of it.
 */

export function addChannelBias(N: number, C: number, P: number, y: Floats, yOff: number, bias: Floats): void {
  let o = yOff;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const b = bias[c]!;
      for (let p = 0; p < P; p++, o++) y[o] += b;
    }
}

export function channelSums(N: number, C: number, P: number, x: Floats, out: Floats): void {
  out.fill(0, 0, C);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let p = 0; p < P; p++, o++) s += x[o]!;
      out[c] += s;
    }
}

export function channelMoments(N: number, C: number, P: number, x: Floats, mean: Floats, variance: Floats): void {
  const M = N * P;
  // Accumulate in doubles (JS numbers) whatever the storage precision.
  const m = new Float64Array(C);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      let s = 0;
      for (let p = 0; p < P; p++, o++) s += x[o]!;
      m[c] += s;
    }
  for (let c = 0; c < C; c++) m[c] = M > 0 ? m[c]! / M : 0;
  const v = new Float64Array(C);
  o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const mc = m[c]!;
      let s = 0;
      for (let p = 0; p < P; p++, o++) {
        const d = x[o]! - mc;
        s += d * d;
      }
      v[c] += s;
    }
  for (let c = 0; c < C; c++) {
    mean[c] = m[c]!;
    variance[c] = M > 0 ? v[c]! / M : 0;
  }
}

export function channelCenteredDot(N: number, C: number, P: number, dy: Floats, x: Floats, mean: Floats, sumDy: Floats, sumDyXc: Floats): void {
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const mc = mean[c]!;
      let s = 0;
      let t = 0;
      for (let p = 0; p < P; p++, o++) {
        const g = dy[o]!;
        s += g;
        t += g * (x[o]! - mc);
      }
      a[c] += s;
      b[c] += t;
    }
  for (let c = 0; c < C; c++) {
    sumDy[c] = a[c]!;
    sumDyXc[c] = b[c]!;
  }
}

export function channelAffine(N: number, C: number, P: number, x: Floats, a: Floats, b: Floats, y: Floats): void {
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const ac = a[c]!, bc = b[c]!;
      for (let p = 0; p < P; p++, o++) y[o] = ac * x[o]! + bc;
    }
}

export function channelAffine2(N: number, C: number, P: number, u: Floats, v: Floats, a: Floats, b: Floats, k: Floats, y: Floats): void {
  let o = 0;
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++) {
      const ac = a[c]!, bc = b[c]!, kc = k[c]!;
      for (let p = 0; p < P; p++, o++) y[o] = ac * u[o]! + bc * v[o]! + kc;
    }
}

export function mulBroadcast(R: number, N: number, x: Floats, v: Floats, y: Floats): void {
  let o = 0;
  for (let r = 0; r < R; r++) for (let j = 0; j < N; j++, o++) y[o] = x[o]! * v[j]!;
}
