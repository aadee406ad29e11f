import type { WindowGeometry } from '../../kernels/conv.js';
import type { Floats } from '../../storage.js';

/*
 * Convolutions driven by the nonzero entries of one operand (ConvKernels.
 * eventConv / eventConvGradW / convGradXSparse). They scatter from each
 * nonzero entry instead of unfolding windows (im2col) and multiplying dense
 * matrices, so a spike map of density d costs about d times the dense work
 * and a 1 costs an addition, no multiply. The loop orders below are the
 * contract the native and wasm kernels reproduce bit for bit.
 */

/**
 * Along one axis: for input index `in`, the kernel taps t whose window cell
 * lands on it, ascending, with their output index (in + pad − t·d)/s. Pairs
 * (t, out) of input `in` are pairs[2·start[in] .. 2·start[in + 1]).
 */
export interface AxisTaps {
  start: Int32Array;
  pairs: Int32Array;
}

export function axisTaps(size: number, k: number, s: number, pad: number, d: number, out: number): AxisTaps {
  const start = new Int32Array(size + 1);
  const pairs: number[] = [];
  for (let i = 0; i < size; i++) {
    start[i] = pairs.length / 2;
    for (let t = 0; t < k; t++) {
      const num = i + pad - t * d;
      if (num < 0 || num % s !== 0) continue;
      const o = num / s;
      if (o < out) pairs.push(t, o);
    }
  }
  start[size] = pairs.length / 2;
  return { start, pairs: Int32Array.from(pairs) };
}

function makeLike(x: Floats, n: number): Floats {
  return x instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
}

/**
 * See ConvKernels.eventConv. Inputs are visited in ascending (n, c, ih, iw),
 * so each output adds its terms in ascending (c, i, j), rounded to y's type
 * after every addition; a 1 adds the weight, another value v adds v·w.
 */
export function eventConv(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number, x: Floats, w: Floats, y: Floats): void {
  const { H, W, kh, kw, Ho, Wo } = g;
  const P = Ho * Wo, plane = H * W, Cg = Cin / groups, Og = Cout / groups, Kg = Cg * kh * kw;
  const rows = axisTaps(H, kh, g.sh, g.ph, g.dh, Ho), cols = axisTaps(W, kw, g.sw, g.pw, g.dw, Wo);
  y.fill(0, 0, N * Cout * P);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < Cin; c++) {
      const gr = Math.floor(c / Cg), cl = c - gr * Cg;
      const xo = (n * Cin + c) * plane, yo = (n * Cout + gr * Og) * P, wo = gr * Og * Kg;
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          const v = x[xo + ih * W + iw]!;
          if (v === 0) continue;
          for (let a = rows.start[ih]!; a < rows.start[ih + 1]!; a++) {
            const i = rows.pairs[2 * a]!, oh = rows.pairs[2 * a + 1]!;
            for (let b = cols.start[iw]!; b < cols.start[iw + 1]!; b++) {
              const j = cols.pairs[2 * b]!, ow = cols.pairs[2 * b + 1]!;
              const yp = yo + oh * Wo + ow, wk = wo + (cl * kh + i) * kw + j;
              if (v === 1) for (let o = 0; o < Og; o++) y[yp + o * P] += w[wk + o * Kg]!;
              else for (let o = 0; o < Og; o++) y[yp + o * P] += v * w[wk + o * Kg]!;
            }
          }
        }
      }
    }
  }
}

/**
 * See ConvKernels.eventConvGradW. Each weight's terms are summed in ascending
 * (n, output position) into a zeroed scratch of dw's type, then added to dw.
 */
export function eventConvGradW(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number, x: Floats, dy: Floats, dw: Floats): void {
  const { H, W, kh, kw, Ho, Wo } = g;
  const P = Ho * Wo, plane = H * W, Cg = Cin / groups, Og = Cout / groups, Kg = Cg * kh * kw;
  const rows = axisTaps(H, kh, g.sh, g.ph, g.dh, Ho), cols = axisTaps(W, kw, g.sw, g.pw, g.dw, Wo);
  const acc = makeLike(dw, Cout * Kg);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < Cin; c++) {
      const gr = Math.floor(c / Cg), cl = c - gr * Cg;
      const xo = (n * Cin + c) * plane, yo = (n * Cout + gr * Og) * P, wo = gr * Og * Kg;
      for (let ih = 0; ih < H; ih++) {
        for (let iw = 0; iw < W; iw++) {
          const v = x[xo + ih * W + iw]!;
          if (v === 0) continue;
          for (let a = rows.start[ih]!; a < rows.start[ih + 1]!; a++) {
            const i = rows.pairs[2 * a]!, oh = rows.pairs[2 * a + 1]!;
            for (let b = cols.start[iw]!; b < cols.start[iw + 1]!; b++) {
              const j = cols.pairs[2 * b]!, ow = cols.pairs[2 * b + 1]!;
              const yp = yo + oh * Wo + ow, wk = wo + (cl * kh + i) * kw + j;
              if (v === 1) for (let o = 0; o < Og; o++) acc[wk + o * Kg] += dy[yp + o * P]!;
              else for (let o = 0; o < Og; o++) acc[wk + o * Kg] += v * dy[yp + o * P]!;
            }
          }
        }
      }
    }
  }
  for (let i = 0; i < Cout * Kg; i++) dw[i] += acc[i]!;
}

/**
 * See ConvKernels.convGradXSparse. Per image and output position p
 * (ascending), the nonzero dy[o, p] of each group are listed (o ascending);
 * for every tap (i, j) of p's window, t[c] = Σ_o dy[o, p]·w[o, c, i, j] — each
 * product rounded to dx's type, then summed from 0 in o order — is added to
 * the input cell the tap reads. So every cell adds one term per (p, tap), in
 * ascending p, and the sum over o runs in registers in the native kernel.
 */
export function convGradXSparse(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number, dy: Floats, w: Floats, dx: Floats): void {
  const { H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = g;
  const P = Ho * Wo, plane = H * W, Cg = Cin / groups, Og = Cout / groups, taps = kh * kw;
  // float32: round the product, then each sum (correctly rounded float operations, no fused multiply-add).
  const round = dx instanceof Float64Array ? (v: number): number => v : Math.fround;
  const acc = makeLike(dx, Cin * plane), t = makeLike(dx, Cg);
  const os = new Int32Array(Og), ds = new Float64Array(Og);
  for (let n = 0; n < N; n++) {
    acc.fill(0);
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      for (let ow = 0; ow < Wo; ow++) {
        const ws = ow * sw - pw, p = oh * Wo + ow;
        for (let gr = 0; gr < groups; gr++) {
          let m = 0;
          for (let o = gr * Og; o < (gr + 1) * Og; o++) {
            const d = dy[(n * Cout + o) * P + p]!;
            if (d === 0) continue;
            os[m] = o;
            ds[m++] = d;
          }
          if (m === 0) continue;
          for (let i = 0; i < kh; i++) {
            const ih = hs + i * dh;
            if (ih < 0 || ih >= H) continue;
            for (let j = 0; j < kw; j++) {
              const iw = ws + j * dw;
              if (iw < 0 || iw >= W) continue;
              t.fill(0);
              for (let e = 0; e < m; e++) {
                const d = ds[e]!, wk = os[e]! * Cg * taps + i * kw + j;
                for (let c = 0; c < Cg; c++) t[c] += round(d * w[wk + c * taps]!);
              }
              const q = gr * Cg * plane + ih * W + iw;
              for (let c = 0; c < Cg; c++) acc[q + c * plane] += t[c]!;
            }
          }
        }
      }
    }
    dx.set(acc, n * Cin * plane);
  }
}
