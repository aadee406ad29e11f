/*
 * Event-driven convolution kernels (ConvKernels.eventConv / eventConvGradW /
 * convGradXSparse) in the scatter form of the reference,
 * src/backend/ts/conv/event.ts: every nonzero input (or output gradient) adds
 * weight rows to channels-last accumulators, one f32 rounding per addition in
 * the reference's order, so results are bit-identical. Rows of channels run
 * in f32x4 lanes (a lane-wise f32 add or multiply rounds like the scalar
 * one); non-binary inputs take the reference's double arithmetic. `scratch`
 * is a block the caller sizes with the *ScratchBytes formulas in
 * src/backend/wasm/conv.ts.
 */

import { Window } from './structs.generated';
import { transpose } from './transpose';

/** Byte offset of element i. */
// @ts-ignore: decorator
@inline
function at(i: i32): usize {
  return <usize>i << 2;
}

/** dst[0, n) += src[0, n). */
// @ts-ignore: decorator
@inline
function addRow(dst: usize, src: usize, n: i32): void {
  let o = 0;
  for (; o + 4 <= n; o += 4) v128.store(dst + at(o), f32x4.add(v128.load(dst + at(o)), v128.load(src + at(o))));
  for (; o < n; o++) store<f32>(dst + at(o), load<f32>(dst + at(o)) + load<f32>(src + at(o)));
}

/** dst[0, n) = f32(dst + v·src) in double: the reference's `y += v * w` for a non-binary v. */
// @ts-ignore: decorator
@inline
function axpyRow(dst: usize, src: usize, v: f64, n: i32): void {
  for (let o = 0; o < n; o++) store<f32>(dst + at(o), <f32>(<f64>load<f32>(dst + at(o)) + v * <f64>load<f32>(src + at(o))));
}

/** dst[0, n) += v·src[0, n) in f32: the product rounded, then the sum. */
// @ts-ignore: decorator
@inline
function addScaledRow(dst: usize, src: usize, v: f32, n: i32): void {
  const vv = f32x4.splat(v);
  let o = 0;
  for (; o + 4 <= n; o += 4) v128.store(dst + at(o), f32x4.add(v128.load(dst + at(o)), f32x4.mul(vv, v128.load(src + at(o)))));
  for (; o < n; o++) store<f32>(dst + at(o), load<f32>(dst + at(o)) + v * load<f32>(src + at(o)));
}

// @ts-ignore: decorator
@inline
function zero(dst: usize, n: i32): void {
  memory.fill(dst, 0, at(n));
}

/**
 * Along one axis: for input index i, the taps t whose window cell lands on it,
 * ascending, with their output index (i + pad − t·d) / s, as i32 pairs
 * pairs[2·start[i] .. 2·start[i + 1]). start: size + 1 i32s; pairs: 2·size·k i32s.
 */
function axisTaps(size: i32, k: i32, s: i32, pad: i32, d: i32, out: i32, start: usize, pairs: usize): void {
  let m = 0;
  for (let i = 0; i < size; i++) {
    store<i32>(start + at(i), m);
    for (let t = 0; t < k; t++) {
      const num = i + pad - t * d;
      if (num < 0 || num % s != 0 || num / s >= out) continue;
      store<i32>(pairs + at(2 * m), t);
      store<i32>(pairs + at(2 * m + 1), num / s);
      m++;
    }
  }
  store<i32>(start + at(size), m);
}

/**
 * One image's nonzero inputs, ascending (c, ih, iw), through their valid taps.
 * Forward (fwd = true): acc[p][gr·width ..] += src[gr·Kg + k][0, width) (acc rows dstLd apart);
 * weight gradient: acc[gr·Kg + k][0, width) += src[p][gr·width ..] (src rows srcLd apart).
 */
function scatterImage(geo: Window, Cin: i32, Cg: i32, Kg: i32, rows: usize, rowPairs: usize, cols: usize, colPairs: usize, xn: usize, src: usize, srcLd: i32, acc: usize, dstLd: i32, width: i32, fwd: bool): void {
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, Wo = geo.Wo;
  for (let c = 0; c < Cin; c++) {
    const gr = c / Cg, cl = c - gr * Cg;
    const xc = xn + at(c * H * W);
    for (let ih = 0; ih < H; ih++) {
      for (let iw = 0; iw < W; iw++) {
        const v = load<f32>(xc + at(ih * W + iw));
        if (v == 0) continue;
        const a1 = load<i32>(rows + at(ih + 1)), b1 = load<i32>(cols + at(iw + 1));
        for (let a = load<i32>(rows + at(ih)); a < a1; a++) {
          const i = load<i32>(rowPairs + at(2 * a)), oh = load<i32>(rowPairs + at(2 * a + 1));
          for (let b = load<i32>(cols + at(iw)); b < b1; b++) {
            const j = load<i32>(colPairs + at(2 * b)), ow = load<i32>(colPairs + at(2 * b + 1));
            const p = oh * Wo + ow, k = gr * Kg + (cl * kh + i) * kw + j;
            const d = fwd ? acc + at(p * dstLd + gr * width) : acc + at(k * dstLd);
            const s = fwd ? src + at(k * srcLd) : src + at(p * srcLd + gr * width);
            if (v == 1) addRow(d, s, width);
            else axpyRow(d, s, <f64>v, width);
          }
        }
      }
    }
  }
}

/** Tap tables at the start of scratch; returns the first byte after them (16-byte aligned). */
function tapTables(geo: Window, scratch: usize): usize {
  const H = geo.H, W = geo.W;
  const rows = scratch, rowPairs = rows + at(H + 1), cols = rowPairs + at(2 * H * geo.kh), colPairs = cols + at(W + 1);
  axisTaps(H, geo.kh, geo.sh, geo.ph, geo.dh, geo.Ho, rows, rowPairs);
  axisTaps(W, geo.kw, geo.sw, geo.pw, geo.dw, geo.Wo, cols, colPairs);
  return (colPairs + at(2 * W * geo.kw) + 15) & ~<usize>15;
}

/** See ConvKernels.eventConv. Scratch: tap tables, Wt (Cout·Kg f32), acc (P·Cout f32). */
export function eventConv(g: usize, N: i32, Cin: i32, Cout: i32, groups: i32, x: usize, w: usize, y: usize, scratch: usize): void {
  const geo = changetype<Window>(g);
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, P = geo.Ho * geo.Wo;
  const Cg = Cin / groups, Og = Cout / groups, Kg = Cg * kh * kw;
  if (N * Cout * P == 0) return;
  const rows = scratch, rowPairs = rows + at(H + 1), cols = rowPairs + at(2 * H * kh), colPairs = cols + at(W + 1);
  const wt = tapTables(geo, scratch), acc = wt + at(Cout * Kg);
  // Wt[gr][k][ol] = w[gr·Og + ol][k]: a tap's Og weights contiguous.
  for (let gr = 0; gr < groups; gr++)
    for (let ol = 0; ol < Og; ol++)
      for (let k = 0; k < Kg; k++) store<f32>(wt + at((gr * Kg + k) * Og + ol), load<f32>(w + at((gr * Og + ol) * Kg + k)));
  for (let n = 0; n < N; n++) {
    zero(acc, P * Cout);
    scatterImage(geo, Cin, Cg, Kg, rows, rowPairs, cols, colPairs, x + at(n * Cin * H * W), wt, Og, acc, Cout, Og, true);
    transpose(P, Cout, acc, y + at(n * Cout * P));
  }
}

/** See ConvKernels.eventConvGradW. Scratch: tap tables, acc (Cout·Kg f32, [gr][k][ol]), dyT (P·Cout f32). */
export function eventConvGradW(g: usize, N: i32, Cin: i32, Cout: i32, groups: i32, x: usize, dy: usize, dw: usize, scratch: usize): void {
  const geo = changetype<Window>(g);
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, P = geo.Ho * geo.Wo;
  const Cg = Cin / groups, Og = Cout / groups, Kg = Cg * kh * kw;
  if (N * P == 0 || Cout * Kg == 0) return;
  const rows = scratch, rowPairs = rows + at(H + 1), cols = rowPairs + at(2 * H * kh), colPairs = cols + at(W + 1);
  const acc = tapTables(geo, scratch), dyT = acc + at(Cout * Kg);
  zero(acc, Cout * Kg);
  for (let n = 0; n < N; n++) {
    transpose(Cout, P, dy + at(n * Cout * P), dyT);
    scatterImage(geo, Cin, Cg, Kg, rows, rowPairs, cols, colPairs, x + at(n * Cin * H * W), dyT, Cout, acc, Og, Og, false);
  }
  for (let gr = 0; gr < groups; gr++)
    for (let ol = 0; ol < Og; ol++) {
      const r = dw + at((gr * Og + ol) * Kg);
      for (let k = 0; k < Kg; k++) store<f32>(r + at(k), load<f32>(r + at(k)) + load<f32>(acc + at((gr * Kg + k) * Og + ol)));
    }
}

/**
 * See ConvKernels.convGradXSparse. Scratch: wf (Cout·Kg f32, [o][i][j][c]),
 * acc (H·W·Cin f32, channels last), dyT (P·Cout f32), os (Og i32), vals (Og f32), t (Cg f32).
 */
export function convGradXSparse(g: usize, N: i32, Cin: i32, Cout: i32, groups: i32, dy: usize, w: usize, dx: usize, scratch: usize): void {
  const geo = changetype<Window>(g);
  const H = geo.H, W = geo.W, kh = geo.kh, kw = geo.kw, sh = geo.sh, sw = geo.sw;
  const ph = geo.ph, pw = geo.pw, dh = geo.dh, dw = geo.dw, Ho = geo.Ho, Wo = geo.Wo;
  const P = Ho * Wo, plane = H * W, Cg = Cin / groups, Og = Cout / groups, taps = kh * kw;
  if (N * Cin * plane == 0) return;
  const wf = scratch, acc = wf + at(Cout * Cg * taps), dyT = acc + at(plane * Cin);
  const os = dyT + at(P * Cout), vals = os + at(Og), t = vals + at(Og);
  for (let o = 0; o < Cout; o++)
    for (let c = 0; c < Cg; c++)
      for (let q = 0; q < taps; q++) store<f32>(wf + at((o * taps + q) * Cg + c), load<f32>(w + at((o * Cg + c) * taps + q)));
  for (let n = 0; n < N; n++) {
    zero(acc, plane * Cin);
    transpose(Cout, P, dy + at(n * Cout * P), dyT);
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      for (let ow = 0; ow < Wo; ow++) {
        const ws = ow * sw - pw;
        const dp = dyT + at((oh * Wo + ow) * Cout);
        for (let gr = 0; gr < groups; gr++) {
          let m = 0;
          for (let o = gr * Og; o < (gr + 1) * Og; o++) {
            const v = load<f32>(dp + at(o));
            if (v == 0) continue;
            store<i32>(os + at(m), o);
            store<f32>(vals + at(m), v);
            m++;
          }
          if (m == 0) continue;
          for (let i = 0; i < kh; i++) {
            const ih = hs + i * dh;
            if (ih < 0 || ih >= H) continue;
            for (let j = 0; j < kw; j++) {
              const iw = ws + j * dw;
              if (iw < 0 || iw >= W) continue;
              zero(t, Cg);
              for (let e = 0; e < m; e++) addScaledRow(t, wf + at((load<i32>(os + at(e)) * taps + i * kw + j) * Cg), load<f32>(vals + at(e)), Cg);
              addRow(acc + at((ih * W + iw) * Cin + gr * Cg), t, Cg);
            }
          }
        }
      }
    }
    transpose(plane, Cin, acc, dx + at(n * Cin * plane));
  }
}
