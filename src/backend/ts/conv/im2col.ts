import type { WindowGeometry } from '../../kernels/conv.js';
import type { Floats } from '../../storage.js';

/**
 * Output columns ow whose input column ow·sw + off lies inside [0, W): the
 * range [lo, hi). Computing it once per kernel column keeps bounds checks out
 * of the copy loops.
 */
function validRange(Wo: number, W: number, sw: number, off: number): [number, number] {
  const lo = off >= 0 ? 0 : Math.ceil(-off / sw);
  const last = W - 1 - off;
  const hi = last < 0 ? 0 : Math.min(Wo, Math.floor(last / sw) + 1);
  return [Math.min(lo, Wo), Math.max(Math.min(lo, Wo), hi)];
}

/** See ConvKernels.im2col: cols is [cg·kh·kw, n·Ho·Wo], row (c, i, j), column (image, oh, ow). */
export function im2col(g: WindowGeometry, C: number, c0: number, cg: number, n: number, x: Floats, xOff: number, cols: Floats): void {
  const { H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = g;
  const P = Ho * Wo;
  const plane = H * W;
  const img = C * plane;
  const rowLen = n * P;
  let r = 0;
  for (let c = 0; c < cg; c++) {
    const chanOff = xOff + (c0 + c) * plane;
    for (let i = 0; i < kh; i++) {
      const offH = i * dh - ph;
      for (let j = 0; j < kw; j++, r++) {
        const offW = j * dw - pw;
        const [lo, hi] = validRange(Wo, W, sw, offW);
        let o = r * rowLen;
        for (let s = 0; s < n; s++) {
          const src = chanOff + s * img;
          for (let oh = 0; oh < Ho; oh++, o += Wo) {
            const ih = oh * sh + offH;
            if (ih < 0 || ih >= H || lo >= hi) {
              cols.fill(0, o, o + Wo);
              continue;
            }
            const base = src + ih * W + offW;
            for (let ow = 0; ow < lo; ow++) cols[o + ow] = 0;
            if (sw === 1) for (let ow = lo; ow < hi; ow++) cols[o + ow] = x[base + ow]!;
            else for (let ow = lo; ow < hi; ow++) cols[o + ow] = x[base + ow * sw]!;
            for (let ow = hi; ow < Wo; ow++) cols[o + ow] = 0;
          }
        }
      }
    }
  }
}

/** See ConvKernels.col2im: the adjoint of im2col, accumulating into dx. */
export function col2im(g: WindowGeometry, C: number, c0: number, cg: number, n: number, cols: Floats, dx: Floats, dxOff: number): void {
  const { H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = g;
  const P = Ho * Wo;
  const plane = H * W;
  const img = C * plane;
  const rowLen = n * P;
  let r = 0;
  for (let c = 0; c < cg; c++) {
    const chanOff = dxOff + (c0 + c) * plane;
    for (let i = 0; i < kh; i++) {
      const offH = i * dh - ph;
      for (let j = 0; j < kw; j++, r++) {
        const offW = j * dw - pw;
        const [lo, hi] = validRange(Wo, W, sw, offW);
        if (lo >= hi) continue;
        let o = r * rowLen;
        for (let s = 0; s < n; s++) {
          const dst = chanOff + s * img;
          for (let oh = 0; oh < Ho; oh++, o += Wo) {
            const ih = oh * sh + offH;
            if (ih < 0 || ih >= H) continue;
            const base = dst + ih * W + offW;
            if (sw === 1) for (let ow = lo; ow < hi; ow++) dx[base + ow] += cols[o + ow]!;
            else for (let ow = lo; ow < hi; ow++) dx[base + ow * sw] += cols[o + ow]!;
          }
        }
      }
    }
  }
}

/** dst[b, a, :] = src[a, b, :] for an [A, B, inner] block. */
export function swapAxes01(A: number, B: number, inner: number, src: Floats, srcOff: number, dst: Floats, dstOff: number): void {
  for (let a = 0; a < A; a++) {
    for (let b = 0; b < B; b++) {
      const s = srcOff + (a * B + b) * inner;
      const d = dstOff + (b * A + a) * inner;
      for (let k = 0; k < inner; k++) dst[d + k] = src[s + k]!;
    }
  }
}
