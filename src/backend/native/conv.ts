import type { ConvKernels, WindowGeometry } from '../kernels/conv.js';
import type { Storage } from '../storage.js';
import { tsConvKernels } from '../ts/conv.js';
import type { NativeAddon } from './addon.js';
import { packWindow, POOL_MODE_IDS, WINDOW_LENGTH } from './addon.generated.js';

/** Pool mode ids understood by the addon (the PoolMode enum of kernels/manifest.mjs). */
export { POOL_MODE_IDS } from './addon.generated.js';

/** Entries of a packed geometry (the Window struct of kernels/manifest.mjs). */
export const GEOMETRY_LENGTH = WINDOW_LENGTH;

/** Writes g into out in the addon's field order: one typed array crosses the boundary instead of twelve property reads. */
export const packGeometry: (g: WindowGeometry, out: Float64Array) => Float64Array = packWindow;

/*
 * Below this many elements the per-element channel maps stay in TypeScript,
 * where the loop costs about what the addon call alone would (same reasoning
 * and value as SMALL in core.ts). Only Float32 storage takes the short path,
 * so a Float64 storage still reaches the addon's type check and fails loudly.
 */
const SMALL = 256;

function isSmall(elements: number, out: Storage): boolean {
  return elements < SMALL && out.data instanceof Float32Array;
}

/**
 * Event-driven convolution below this input density. Forward + weight
 * gradient against im2col + GEMM, one thread, CPU time on the shared 2-core
 * EPYC: 16→32 channels, 5×5 on 12×12, N = 256: 11.0 vs 18.2 ms at 50 %,
 * 13.6 vs 18.5 at 70 %; 1→16, 5×5 on 28×28: 6.1 vs 10.3 at 50 %; 64→64, 3×3
 * on 16×16 ('same'), N = 64: 28 vs 38 at 50 %, 34 vs 40 at 70 %; 128→128,
 * 3×3 on 16×16, N = 32: 65 vs 68 at 50 %, 78 vs 66 at 70 %. (1×1 windows take
 * the linear layer's threshold: they run as eventGemm.)
 */
export const NATIVE_CONV_EVENT_DENSITY_THRESHOLD = 0.5;
/**
 * Sparse input gradient below this output-gradient density: 16→32, 5×5:
 * 4.4 vs 11.2 ms at 25 %, 6.1 vs 10.8 at 50 %, 10.4 vs 9.0 at 75 %; 64→64,
 * 3×3: 12.7 vs 16.8 at 25 %, 22 vs 17 at 50 %; 128→128, 3×3: 13 vs 35 at 25 %.
 */
export const NATIVE_CONV_SPARSE_GRAD_DENSITY_THRESHOLD = 0.3;

/**
 * The whole conv family computed by the addon, bit-identical to the
 * TypeScript reference (same double-precision arithmetic, same summation
 * order; see kernels/native/conv.h).
 */
export function nativeConvKernels(addon: NativeAddon): ConvKernels {
  const ts = tsConvKernels;
  // Reused for every call: the addon reads it synchronously and keeps no reference.
  const geometry = new Float64Array(GEOMETRY_LENGTH);
  return {
    ...ts,
    convEventDensityThreshold: NATIVE_CONV_EVENT_DENSITY_THRESHOLD,
    convSparseGradDensityThreshold: NATIVE_CONV_SPARSE_GRAD_DENSITY_THRESHOLD,
    eventConv(g, N, Cin, Cout, groups, x, w, y) {
      addon.eventConv(packGeometry(g, geometry), N, Cin, Cout, groups, x.data, w.data, y.data);
    },
    eventConvGradW(g, N, Cin, Cout, groups, x, dy, dw) {
      addon.eventConvGradW(packGeometry(g, geometry), N, Cin, Cout, groups, x.data, dy.data, dw.data);
    },
    convGradXSparse(g, N, Cin, Cout, groups, dy, w, dx) {
      addon.convGradXSparse(packGeometry(g, geometry), N, Cin, Cout, groups, dy.data, w.data, dx.data);
    },
    im2col(g, C, c0, cg, n, x, xOff, cols) {
      addon.im2col(packGeometry(g, geometry), C, c0, cg, n, x.data, xOff, cols.data);
    },
    col2im(g, C, c0, cg, n, cols, dx, dxOff) {
      addon.col2im(packGeometry(g, geometry), C, c0, cg, n, cols.data, dx.data, dxOff);
    },
    swapAxes01(A, B, inner, src, srcOff, dst, dstOff) {
      addon.swapAxes01(A, B, inner, src.data, srcOff, dst.data, dstOff);
    },
    addChannelBias(N, C, P, y, yOff, bias) {
      if (isSmall(N * C * P, y)) ts.addChannelBias(N, C, P, y, yOff, bias);
      else addon.addChannelBias(N, C, P, y.data, yOff, bias.data);
    },
    channelSums(N, C, P, x, out) {
      addon.channelSums(N, C, P, x.data, out.data);
    },
    channelMoments(N, C, P, x, mean, variance) {
      addon.channelMoments(N, C, P, x.data, mean.data, variance.data);
    },
    channelCenteredDot(N, C, P, dy, x, mean, sumDy, sumDyXc) {
      addon.channelCenteredDot(N, C, P, dy.data, x.data, mean.data, sumDy.data, sumDyXc.data);
    },
    channelAffine(N, C, P, x, a, b, y) {
      if (isSmall(N * C * P, y)) ts.channelAffine(N, C, P, x, a, b, y);
      else addon.channelAffine(N, C, P, x.data, a.data, b.data, y.data);
    },
    channelAffine2(N, C, P, u, v, a, b, k, y) {
      if (isSmall(N * C * P, y)) ts.channelAffine2(N, C, P, u, v, a, b, k, y);
      else addon.channelAffine2(N, C, P, u.data, v.data, a.data, b.data, k.data, y.data);
    },
    mulBroadcast(R, N, x, v, y) {
      if (isSmall(R * N, y)) ts.mulBroadcast(R, N, x, v, y);
      else addon.mulBroadcast(R, N, x.data, v.data, y.data);
    },
    pool2d(mode, g, planes, countIncludePad, x, y, argmax) {
      addon.pool2d(POOL_MODE_IDS[mode], packGeometry(g, geometry), planes, countIncludePad, x.data, y.data, argmax ? argmax.data : null);
    },
    pool2dBackward(mode, g, planes, countIncludePad, dy, argmax, dx) {
      addon.pool2dBackward(POOL_MODE_IDS[mode], packGeometry(g, geometry), planes, countIncludePad, dy.data, argmax ? argmax.data : null, dx.data);
    },
  };
}
