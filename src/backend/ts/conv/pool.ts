import type { PoolMode, WindowGeometry } from '../../kernels/conv.js';
import type { Floats } from '../../storage.js';

/** See ConvKernels.pool2d. Windows are clipped to the image; padding cells never win a max and count only with countIncludePad. */
export function pool2d(mode: PoolMode, g: WindowGeometry, planes: number, countIncludePad: boolean, x: Floats, y: Floats, argmax: Floats | null): void {
  const { H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = g;
  const plane = H * W;
  const full = kh * kw;
  for (let q = 0; q < planes; q++) {
    const xo = q * plane;
    let o = q * Ho * Wo;
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      for (let ow = 0; ow < Wo; ow++, o++) {
        const ws = ow * sw - pw;
        if (mode === 'max') {
          let best = -Infinity;
          let at = -1;
          for (let i = 0; i < kh; i++) {
            const ih = hs + i * dh;
            if (ih < 0 || ih >= H) continue;
            const row = xo + ih * W;
            for (let j = 0; j < kw; j++) {
              const iw = ws + j * dw;
              if (iw < 0 || iw >= W) continue;
              const v = x[row + iw]!;
              // '>' keeps the first maximum, like PyTorch; NaN wins so it propagates.
              if (v > best || (at < 0) || Number.isNaN(v)) {
                best = v;
                at = ih * W + iw;
              }
            }
          }
          y[o] = at < 0 ? 0 : best;
          argmax![o] = at;
        } else {
          let s = 0;
          let count = 0;
          for (let i = 0; i < kh; i++) {
            const ih = hs + i * dh;
            if (ih < 0 || ih >= H) continue;
            const row = xo + ih * W;
            for (let j = 0; j < kw; j++) {
              const iw = ws + j * dw;
              if (iw < 0 || iw >= W) continue;
              s += x[row + iw]!;
              count++;
            }
          }
          if (mode === 'sum') y[o] = s;
          else {
            const div = countIncludePad ? full : count;
            y[o] = div > 0 ? s / div : 0;
          }
        }
      }
    }
  }
}

/** See ConvKernels.pool2dBackward: dx is overwritten. */
export function pool2dBackward(mode: PoolMode, g: WindowGeometry, planes: number, countIncludePad: boolean, dy: Floats, argmax: Floats | null, dx: Floats): void {
  const { H, W, kh, kw, sh, sw, ph, pw, dh, dw, Ho, Wo } = g;
  const plane = H * W;
  const full = kh * kw;
  dx.fill(0, 0, planes * plane);
  for (let q = 0; q < planes; q++) {
    const xo = q * plane;
    let o = q * Ho * Wo;
    if (mode === 'max') {
      for (let k = 0; k < Ho * Wo; k++, o++) {
        const at = argmax![o]!;
        if (at >= 0) dx[xo + at] += dy[o]!;
      }
      continue;
    }
    for (let oh = 0; oh < Ho; oh++) {
      const hs = oh * sh - ph;
      const i0 = Math.max(0, Math.ceil(-hs / dh));
      const i1 = Math.min(kh, Math.floor((H - 1 - hs) / dh) + 1);
      for (let ow = 0; ow < Wo; ow++, o++) {
        const ws = ow * sw - pw;
        const j0 = Math.max(0, Math.ceil(-ws / dw));
        const j1 = Math.min(kw, Math.floor((W - 1 - ws) / dw) + 1);
        if (i1 <= i0 || j1 <= j0) continue;
        let gv = dy[o]!;
        if (mode === 'avg') gv /= countIncludePad ? full : (i1 - i0) * (j1 - j0);
        for (let i = i0; i < i1; i++) {
          const row = xo + (hs + i * dh) * W + ws;
          for (let j = j0; j < j1; j++) dx[row + j * dw] += gv;
        }
      }
    }
  }
}
