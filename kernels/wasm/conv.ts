/*
 * Convolution-family kernels (im2col / col2im, layout swaps, per-channel maps
 * and statistics, pooling, broadcast multiply) over f32 tensors in linear
 * memory. Each mirrors src/backend/ts/conv/*.ts operation for operation, so
 * both backends give bit-identical results:
 *  - a single add or multiply of two f32 values is exactly rounded whether it
 *    runs in f32 or in a JS double rounded on store, so those use f32x4 lanes;
 *  - where the reference accumulates in a double (channel sums and moments,
 *    pooling sums) or evaluates a multi-term expression before its one
 *    Float32Array store (affine maps, avg-pool gradients), this computes in f64
 *    in the same order and rounds to f32 at the same points.
 * Window geometry arrives as a pointer to the 12 i32s of `Window`
 * (structs.generated.ts, declared in kernels/manifest.mjs), written by
 * src/backend/wasm/conv.ts; tensors arrive as byte pointers already offset to
 * their first element.
 */

import { Window } from './structs.generated';

/** Byte offset of element i. */
@inline
function at(i: i32): usize {
  return <usize>i << 2;
}

/** ⌈a / b⌉ for b > 0 and any a (i32 `/` truncates towards zero). */
@inline
function ceilDiv(a: i32, b: i32): i32 {
  const q = a / b;
  return q * b < a ? q + 1 : q;
}

/** ⌊a / b⌋ for b > 0 and any a. */
@inline
function floorDiv(a: i32, b: i32): i32 {
  const q = a / b;
  return q * b > a ? q - 1 : q;
}

/**
 * First window tap k (of taps start + k·d) that lands inside [0, size):
 * max(0, ⌈−start / d⌉), as the reference's Math.ceil expression. Interior
 * windows skip the division (an i32 division per output dominated pooling).
 */
@inline
function firstTap(start: i32, d: i32): i32 {
  return start >= 0 ? 0 : ceilDiv(-start, d);
}

/** One past the last tap inside [0, size), capped at k taps: min(k, ⌊(size − 1 − start) / d⌋ + 1). */
@inline
function endTap(start: i32, d: i32, size: i32, k: i32): i32 {
  return start + (k - 1) * d < size ? k : min<i32>(k, floorDiv(size - 1 - start, d) + 1);
}

/** im2col/col2im's validRange: output columns [lo, hi) whose input column ow·s + off lies in [0, W). */
@inline
function rangeLo(off: i32, s: i32, Wo: i32): i32 {
  return min<i32>(off >= 0 ? 0 : ceilDiv(-off, s), Wo);
}

@inline
function rangeHi(off: i32, s: i32, W: i32, Wo: i32, lo: i32): i32 {
  const last = W - 1 - off;
  const hi = last < 0 ? 0 : min<i32>(Wo, last / s + 1);
  return max<i32>(lo, hi);
}

/** dst[0, n) = src[0, n) for disjoint runs; v128 moves avoid memory.copy's call overhead on a conv's short rows. */
@inline
function copyRun(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + at(i), v128.load(src + at(i)));
  for (; i < n; i++) store<f32>(dst + at(i), load<f32>(src + at(i)));
}

@inline
function zeroRun(dst: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + at(i), z);
  for (; i < n; i++) store<f32>(dst + at(i), 0);
}

/** dst[0, n) += src[0, n), one f32 add per element. */
@inline
function addRun(dst: usize, src: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(dst + at(i), f32x4.add(v128.load(dst + at(i)), v128.load(src + at(i))));
  for (; i < n; i++) store<f32>(dst + at(i), load<f32>(dst + at(i)) + load<f32>(src + at(i)));
}

/** Σ of n f32 values in a double, left to right (the reference's `s += x[o]`). */
@inline
function rowSum(x: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>load<f32>(x + at(i));
  return s;
}

/** Lanes 2 and 3 of four f32 as f64x2 (f64x2.promote_low_f32x4 gives lanes 0 and 1). */
@inline
function promoteHi(v: v128): v128 {
  return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1));
}

/** Four f32 from two f64x2 (each lane rounded once). */
@inline
function demote4(lo: v128, hi: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(lo), f32x4.demote_f64x2_zero(hi), 0, 1, 4, 5);
}

/** cols row (c, i, j) for one image row oh: zeros outside [lo, hi), strided copy inside. */
@inline
function unfoldRow(o: usize, src: usize, lo: i32, hi: i32, Wo: i32, sw: i32): void {
  zeroRun(o, lo);
  if (sw == 1) copyRun(o + at(lo), src, hi - lo);
  else for (let ow = lo; ow < hi; ow++) store<f32>(o + at(ow), load<f32>(src + at((ow - lo) * sw)));
  zeroRun(o + at(hi), Wo - hi);
}

/** See ConvKernels.im2col; x points at channel 0 of the first image, cols at row 0. */
export function im2col(g: usize, C: i32, c0: i32, cg: i32, n: i32, x: usize, cols: usize): void {
  const geo = changetype<Window>(g);
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, sh = geo.sh, sw = geo.sw;
  const ph = geo.ph, pw = geo.pw, dh = geo.dh, dw = geo.dw, Ho = geo.Ho, Wo = geo.Wo;
  const plane = H * W, img = C * plane, rowLen = n * Ho * Wo;
  let r = 0;
  for (let c = 0; c < cg; c++) {
    const chan = x + at((c0 + c) * plane);
    for (let i = 0; i < kh; i++) {
      const offH = i * dh - ph;
      for (let j = 0; j < kw; j++, r++) {
        const offW = j * dw - pw;
        const lo = rangeLo(offW, sw, Wo), hi = rangeHi(offW, sw, W, Wo, lo);
        let o = cols + at(r * rowLen);
        for (let s = 0; s < n; s++) {
          const src = chan + at(s * img);
          for (let oh = 0; oh < Ho; oh++, o += at(Wo)) {
            const ih = oh * sh + offH;
            if (ih < 0 || ih >= H || lo >= hi) zeroRun(o, Wo);
            else unfoldRow(o, src + at(ih * W + offW + lo * sw), lo, hi, Wo, sw);
          }
        }
      }
    }
  }
}

/** See ConvKernels.col2im; dx points at channel 0 of the first image. Same loop order as the reference, so every dx cell sums its terms in the same order. */
export function col2im(g: usize, C: i32, c0: i32, cg: i32, n: i32, cols: usize, dx: usize): void {
  const geo = changetype<Window>(g);
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, sh = geo.sh, sw = geo.sw;
  const ph = geo.ph, pw = geo.pw, dh = geo.dh, dw = geo.dw, Ho = geo.Ho, Wo = geo.Wo;
  const plane = H * W, img = C * plane, rowLen = n * Ho * Wo;
  let r = 0;
  for (let c = 0; c < cg; c++) {
    const chan = dx + at((c0 + c) * plane);
    for (let i = 0; i < kh; i++) {
      const offH = i * dh - ph;
      for (let j = 0; j < kw; j++, r++) {
        const offW = j * dw - pw;
        const lo = rangeLo(offW, sw, Wo), hi = rangeHi(offW, sw, W, Wo, lo);
        if (lo >= hi) continue;
        let o = cols + at(r * rowLen + lo);
        for (let s = 0; s < n; s++) {
          const dst = chan + at(s * img);
          for (let oh = 0; oh < Ho; oh++, o += at(Wo)) {
            const ih = oh * sh + offH;
            if (ih < 0 || ih >= H) continue;
            const base = dst + at(ih * W + offW + lo * sw);
            if (sw == 1) addRun(base, o, hi - lo);
            else for (let k = 0; k < hi - lo; k++) store<f32>(base + at(k * sw), load<f32>(base + at(k * sw)) + load<f32>(o + at(k)));
          }
        }
      }
    }
  }
}

/** dst[b, a, :] = src[a, b, :] for an [A, B, inner] block (pointers at the blocks' first elements). */
export function swapAxes01(A: i32, B: i32, inner: i32, src: usize, dst: usize): void {
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) copyRun(dst + at((b * A + a) * inner), src + at((a * B + b) * inner), inner);
  }
}

/** y[n, c, p] += bias[c]. */
export function addChannelBias(N: i32, C: i32, P: i32, y: usize, bias: usize): void {
  let o = y;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += at(P)) {
      const b = load<f32>(bias + at(c));
      const bv = f32x4.splat(b);
      let p = 0;
      for (; p + 4 <= P; p += 4) v128.store(o + at(p), f32x4.add(v128.load(o + at(p)), bv));
      for (; p < P; p++) store<f32>(o + at(p), load<f32>(o + at(p)) + b);
    }
  }
}

/** out[c] = Σ_{n,p} x[n, c, p]: a double per (n, c) row, added to the f32 out[c] row by row as in the reference. */
export function channelSums(N: i32, C: i32, P: i32, x: usize, out: usize): void {
  memory.fill(out, 0, at(C));
  let o = x;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += at(P)) {
      const q = out + at(c);
      store<f32>(q, <f32>(<f64>load<f32>(q) + rowSum(o, P)));
    }
  }
}

/** Per-channel mean and biased variance in two passes; acc is scratch for 2·C doubles. */
export function channelMoments(N: i32, C: i32, P: i32, x: usize, mean: usize, variance: usize, acc: usize): void {
  const M = N * P;
  const m = acc, v = acc + (<usize>C << 3);
  memory.fill(acc, 0, <usize>C << 4);
  let o = x;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += at(P)) {
      const q = m + (<usize>c << 3);
      store<f64>(q, load<f64>(q) + rowSum(o, P));
    }
  }
  for (let c = 0; c < C; c++) {
    const q = m + (<usize>c << 3);
    store<f64>(q, M > 0 ? load<f64>(q) / <f64>M : 0);
  }
  o = x;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += at(P)) {
      const mc = load<f64>(m + (<usize>c << 3));
      let s: f64 = 0;
      for (let p = 0; p < P; p++) {
        const d = <f64>load<f32>(o + at(p)) - mc;
        s += d * d;
      }
      const q = v + (<usize>c << 3);
      store<f64>(q, load<f64>(q) + s);
    }
  }
  for (let c = 0; c < C; c++) {
    store<f32>(mean + at(c), <f32>load<f64>(m + (<usize>c << 3)));
    store<f32>(variance + at(c), <f32>(M > 0 ? load<f64>(v + (<usize>c << 3)) / <f64>M : 0));
  }
}

/** sumDy[c] = Σ dy; sumDyXc[c] = Σ dy·(x − mean[c]); acc is scratch for 2·C doubles. */
export function channelCenteredDot(N: i32, C: i32, P: i32, dy: usize, x: usize, mean: usize, sumDy: usize, sumDyXc: usize, acc: usize): void {
  const a = acc, b = acc + (<usize>C << 3);
  memory.fill(acc, 0, <usize>C << 4);
  let o: usize = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += at(P)) {
      const mc = <f64>load<f32>(mean + at(c));
      let s: f64 = 0, t: f64 = 0;
      for (let p = 0; p < P; p++) {
        const gv = <f64>load<f32>(dy + o + at(p));
        s += gv;
        t += gv * (<f64>load<f32>(x + o + at(p)) - mc);
      }
      const qa = a + (<usize>c << 3), qb = b + (<usize>c << 3);
      store<f64>(qa, load<f64>(qa) + s);
      store<f64>(qb, load<f64>(qb) + t);
    }
  }
  for (let c = 0; c < C; c++) {
    store<f32>(sumDy + at(c), <f32>load<f64>(a + (<usize>c << 3)));
    store<f32>(sumDyXc + at(c), <f32>load<f64>(b + (<usize>c << 3)));
  }
}

/** y = a[c]·x + b[c] per element, in f64 (the product of two f32 is exact), rounded once; y may be x. */
export function channelAffine(N: i32, C: i32, P: i32, x: usize, a: usize, b: usize, y: usize): void {
  let o: usize = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += at(P)) {
      const ac = <f64>load<f32>(a + at(c)), bc = <f64>load<f32>(b + at(c));
      const av = f64x2.splat(ac), bv = f64x2.splat(bc);
      let p = 0;
      for (; p + 4 <= P; p += 4) {
        const v = v128.load(x + o + at(p));
        v128.store(y + o + at(p), demote4(
          f64x2.add(f64x2.mul(av, f64x2.promote_low_f32x4(v)), bv),
          f64x2.add(f64x2.mul(av, promoteHi(v)), bv),
        ));
      }
      for (; p < P; p++) store<f32>(y + o + at(p), <f32>(ac * <f64>load<f32>(x + o + at(p)) + bc));
    }
  }
}

/** y = (a[c]·u + b[c]·v) + k[c] per element, in f64, rounded once. */
export function channelAffine2(N: i32, C: i32, P: i32, u: usize, v: usize, a: usize, b: usize, k: usize, y: usize): void {
  let o: usize = 0;
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++, o += at(P)) {
      const ac = <f64>load<f32>(a + at(c)), bc = <f64>load<f32>(b + at(c)), kc = <f64>load<f32>(k + at(c));
      const av = f64x2.splat(ac), bv = f64x2.splat(bc), kv = f64x2.splat(kc);
      let p = 0;
      for (; p + 4 <= P; p += 4) {
        const uu = v128.load(u + o + at(p)), vv = v128.load(v + o + at(p));
        const lo = f64x2.add(f64x2.add(f64x2.mul(av, f64x2.promote_low_f32x4(uu)), f64x2.mul(bv, f64x2.promote_low_f32x4(vv))), kv);
        const hi = f64x2.add(f64x2.add(f64x2.mul(av, promoteHi(uu)), f64x2.mul(bv, promoteHi(vv))), kv);
        v128.store(y + o + at(p), demote4(lo, hi));
      }
      for (; p < P; p++) {
        const q = o + at(p);
        store<f32>(y + q, <f32>(ac * <f64>load<f32>(u + q) + bc * <f64>load<f32>(v + q) + kc));
      }
    }
  }
}

/** y[r, j] = x[r, j]·v[j] (one f32 multiply each); y may be x. */
export function mulBroadcast(R: i32, N: i32, x: usize, v: usize, y: usize): void {
  for (let r = 0; r < R; r++) {
    const xr = x + at(r * N), yr = y + at(r * N);
    let j = 0;
    for (; j + 4 <= N; j += 4) v128.store(yr + at(j), f32x4.mul(v128.load(xr + at(j)), v128.load(v + at(j))));
    for (; j < N; j++) store<f32>(yr + at(j), load<f32>(xr + at(j)) * load<f32>(v + at(j)));
  }
}

/** Max over the in-image taps of one window; writes the winner and its in-plane index (−1 and 0 for an empty window). */
@inline
function maxWindow(x: usize, W: i32, hs: i32, ws: i32, i0: i32, i1: i32, j0: i32, j1: i32, dh: i32, dw: i32, yo: usize, ao: usize): void {
  let best = <f32>-Infinity;
  let win = -1;
  for (let i = i0; i < i1; i++) {
    const row = (hs + i * dh) * W + ws;
    for (let j = j0; j < j1; j++) {
      const cell = row + j * dw;
      const v = load<f32>(x + at(cell));
      // Same test as the reference: '>' keeps the first maximum, the first tap always enters, NaN wins (the last NaN).
      if (v > best || win < 0 || v != v) {
        best = v;
        win = cell;
      }
    }
  }
  store<f32>(yo, win < 0 ? 0 : best);
  store<f32>(ao, <f32>win);
}

/** Four f32 at p, p + s, p + 2s, p + 3s (elements). */
@inline
function load4(p: usize, s: i32): v128 {
  if (s == 1) return v128.load(p);
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + at(s)));
  v = f32x4.replace_lane(v, 2, load<f32>(p + at(2 * s)));
  return f32x4.replace_lane(v, 3, load<f32>(p + at(3 * s)));
}

/**
 * maxWindow for four neighbouring outputs whose windows lie inside the image
 * columns and share the non-empty row range [i0, i1): one lane per window,
 * taps in the reference's order, the update as lane masks. The scalar
 * window's data-dependent branch is mispredicted about every other tap on real
 * data: 2×2/2 pooling of 4096 24×24 planes took 15.6 ms that way, 3.6 ms here.
 */
@inline
function maxWindow4(x: usize, W: i32, hs: i32, ws: i32, i0: i32, i1: i32, kw: i32, dh: i32, dw: i32, sw: i32, yo: usize, ao: usize): void {
  const step = i32x4.mul(i32x4(0, 1, 2, 3), i32x4.splat(sw));
  const first = (hs + i0 * dh) * W + ws;
  // The first tap always enters (the reference's `at < 0`).
  let best = load4(x + at(first), sw);
  let win = i32x4.add(i32x4.splat(first), step);
  for (let i = i0; i < i1; i++) {
    const row = (hs + i * dh) * W + ws;
    for (let j = i == i0 ? 1 : 0; j < kw; j++) {
      const cell = row + j * dw;
      const v = load4(x + at(cell), sw);
      const take = v128.or(f32x4.gt(v, best), f32x4.ne(v, v));
      best = v128.bitselect(v, best, take);
      win = v128.bitselect(i32x4.add(i32x4.splat(cell), step), win, take);
    }
  }
  v128.store(yo, best);
  v128.store(ao, f32x4.convert_i32x4_s(win));
}

/** One output row of max pooling: four windows at a time where they are interior in W, the scalar window elsewhere. */
@inline
function maxRow(x: usize, W: i32, hs: i32, i0: i32, i1: i32, kw: i32, sw: i32, pw: i32, dh: i32, dw: i32, Wo: i32, y: usize, argmax: usize): void {
  const span = (kw - 1) * dw;
  for (let ow = 0; ow < Wo; ) {
    const ws = ow * sw - pw;
    if (i0 < i1 && kw > 0 && ow + 4 <= Wo && ws >= 0 && ws + 3 * sw + span < W) {
      maxWindow4(x, W, hs, ws, i0, i1, kw, dh, dw, sw, y + at(ow), argmax + at(ow));
      ow += 4;
      continue;
    }
    const j0 = firstTap(ws, dw), j1 = max<i32>(j0, endTap(ws, dw, W, kw));
    maxWindow(x, W, hs, ws, i0, i1, j0, j1, dh, dw, y + at(ow), argmax + at(ow));
    ow++;
  }
}

/** Σ over the in-image taps of one window, in a double, row by row as the reference. */
@inline
function sumWindow(x: usize, W: i32, hs: i32, ws: i32, i0: i32, i1: i32, j0: i32, j1: i32, dh: i32, dw: i32): f64 {
  let s: f64 = 0;
  for (let i = i0; i < i1; i++) {
    const row = x + at((hs + i * dh) * W + ws);
    for (let j = j0; j < j1; j++) s += <f64>load<f32>(row + at(j * dw));
  }
  return s;
}

/**
 * See ConvKernels.pool2d; mode 0 max (argmax written), 1 avg, 2 sum. Taps
 * outside the image are skipped by clipping each window to [i0, i1)×[j0, j1),
 * which visits the in-image taps in the reference's order.
 */
export function pool2d(mode: i32, g: usize, planes: i32, countIncludePad: i32, x: usize, y: usize, argmax: usize): void {
  const geo = changetype<Window>(g);
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, sh = geo.sh, sw = geo.sw;
  const ph = geo.ph, pw = geo.pw, dh = geo.dh, dw = geo.dw, Ho = geo.Ho, Wo = geo.Wo;
  const plane = H * W, full = kh * kw;
  let o = 0;
  for (let q = 0; q < planes; q++) {
    const xq = x + at(q * plane);
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      const i0 = firstTap(hs, dh), i1 = max<i32>(i0, endTap(hs, dh, H, kh));
      if (mode == 0) {
        maxRow(xq, W, hs, i0, i1, kw, sw, pw, dh, dw, Wo, y + at(o), argmax + at(o));
        o += Wo;
        continue;
      }
      for (let ow = 0; ow < Wo; ow++, o++) {
        const ws = ow * sw - pw;
        const j0 = firstTap(ws, dw), j1 = max<i32>(j0, endTap(ws, dw, W, kw));
        const s = sumWindow(xq, W, hs, ws, i0, i1, j0, j1, dh, dw);
        if (mode == 2) store<f32>(y + at(o), <f32>s);
        else {
          const div = countIncludePad ? full : (i1 - i0) * (j1 - j0);
          store<f32>(y + at(o), div > 0 ? <f32>(s / <f64>div) : 0);
        }
      }
    }
  }
}

/**
 * See ConvKernels.pool2dBackward (dx overwritten). Max mode routes dy to the
 * stored argmax cell; an index outside the plane (never written by pool2d) is
 * skipped rather than written into a neighbour's memory. Avg mode adds the
 * double dy/count to each f32 cell and rounds once, as the reference does.
 */
export function pool2dBackward(mode: i32, g: usize, planes: i32, countIncludePad: i32, dy: usize, argmax: usize, dx: usize): void {
  const geo = changetype<Window>(g);
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, sh = geo.sh, sw = geo.sw;
  const ph = geo.ph, pw = geo.pw, dh = geo.dh, dw = geo.dw, Ho = geo.Ho, Wo = geo.Wo;
  const plane = H * W, full = kh * kw, out = Ho * Wo;
  memory.fill(dx, 0, at(planes * plane));
  let o = 0;
  for (let q = 0; q < planes; q++) {
    const xq = dx + at(q * plane);
    if (mode == 0) {
      for (let k = 0; k < out; k++, o++) {
        const a = load<f32>(argmax + at(o));
        // Only whole in-plane indices (what pool2d writes); the reference ignores a fractional one too, as a typed-array store.
        if (a >= 0 && a < <f32>plane && <f32><i32>a == a) {
          const cell = xq + at(<i32>a);
          store<f32>(cell, load<f32>(cell) + load<f32>(dy + at(o)));
        }
      }
      continue;
    }
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      const i0 = firstTap(hs, dh), i1 = endTap(hs, dh, H, kh);
      for (let ow = 0; ow < Wo; ow++, o++) {
        const ws = ow * sw - pw;
        const j0 = firstTap(ws, dw), j1 = endTap(ws, dw, W, kw);
        if (i1 <= i0 || j1 <= j0) continue;
        let gv = <f64>load<f32>(dy + at(o));
        if (mode == 1) gv /= <f64>(countIncludePad ? full : (i1 - i0) * (j1 - j0));
        for (let i = i0; i < i1; i++) {
          const row = xq + at((hs + i * dh) * W + ws);
          for (let j = j0; j < j1; j++) {
            const cell = row + at(j * dw);
            store<f32>(cell, <f32>(<f64>load<f32>(cell) + gv));
          }
        }
      }
    }
  }
}
