import type { ConvKernels } from '../kernels/conv.js';
import { col2im, im2col, swapAxes01 } from './conv/im2col.js';
import { pool2d, pool2dBackward } from './conv/pool.js';
import { convGradXSparse, eventConv, eventConvGradW } from './conv/event.js';
import { addChannelBias, channelAffine, channelAffine2, channelCenteredDot, channelMoments, channelSums, mulBroadcast } from './conv/channel.js';

/**
 * Event-driven convolution below this input density on the TypeScript
 * backend. Forward + weight gradient against im2col + GEMM, 16→32 channels,
 * 5×5 on 12×12 (N = 32): 23.6 vs 29.6 ms at 20 %, 35 vs 29 ms at 30 %; 64→64,
 * 3×3 on 16×16 (N = 8): 64 vs 74 ms at 20 %, 94 vs 76 ms at 30 %.
 */
export const TS_CONV_EVENT_DENSITY_THRESHOLD = 0.25;
/**
 * Sparse input gradient below this output-gradient density: 8 vs 14 ms at
 * 10 % but 17 vs 14 ms at 25 % (16→32, 5×5), 36 vs 35 ms at 10 % (64→64, 3×3).
 */
export const TS_CONV_SPARSE_GRAD_DENSITY_THRESHOLD = 0.1;

/** Reference (TypeScript) implementation of ConvKernels: unwraps storages and calls the typed-array loops in ./conv/. */
export const tsConvKernels: ConvKernels = {
  convEventDensityThreshold: TS_CONV_EVENT_DENSITY_THRESHOLD,
  convSparseGradDensityThreshold: TS_CONV_SPARSE_GRAD_DENSITY_THRESHOLD,
  eventConv(g, N, Cin, Cout, groups, x, w, y) {
    eventConv(g, N, Cin, Cout, groups, x.data, w.data, y.data);
  },
  eventConvGradW(g, N, Cin, Cout, groups, x, dy, dw) {
    eventConvGradW(g, N, Cin, Cout, groups, x.data, dy.data, dw.data);
  },
  convGradXSparse(g, N, Cin, Cout, groups, dy, w, dx) {
    convGradXSparse(g, N, Cin, Cout, groups, dy.data, w.data, dx.data);
  },
  im2col(g, C, c0, cg, n, x, xOff, cols) {
    im2col(g, C, c0, cg, n, x.data, xOff, cols.data);
  },
  col2im(g, C, c0, cg, n, cols, dx, dxOff) {
    col2im(g, C, c0, cg, n, cols.data, dx.data, dxOff);
  },
  swapAxes01(A, B, inner, src, srcOff, dst, dstOff) {
    swapAxes01(A, B, inner, src.data, srcOff, dst.data, dstOff);
  },
  addChannelBias(N, C, P, y, yOff, bias) {
    addChannelBias(N, C, P, y.data, yOff, bias.data);
  },
  channelSums(N, C, P, x, out) {
    channelSums(N, C, P, x.data, out.data);
  },
  channelMoments(N, C, P, x, mean, variance) {
    channelMoments(N, C, P, x.data, mean.data, variance.data);
  },
  channelCenteredDot(N, C, P, dy, x, mean, sumDy, sumDyXc) {
    channelCenteredDot(N, C, P, dy.data, x.data, mean.data, sumDy.data, sumDyXc.data);
  },
  channelAffine(N, C, P, x, a, b, y) {
    channelAffine(N, C, P, x.data, a.data, b.data, y.data);
  },
  channelAffine2(N, C, P, u, v, a, b, k, y) {
    channelAffine2(N, C, P, u.data, v.data, a.data, b.data, k.data, y.data);
  },
  pool2d(mode, g, planes, countIncludePad, x, y, argmax) {
    pool2d(mode, g, planes, countIncludePad, x.data, y.data, argmax ? argmax.data : null);
  },
  pool2dBackward(mode, g, planes, countIncludePad, dy, argmax, dx) {
    pool2dBackward(mode, g, planes, countIncludePad, dy.data, argmax ? argmax.data : null, dx.data);
  },
  mulBroadcast(R, N, x, v, y) {
    mulBroadcast(R, N, x.data, v.data, y.data);
  },
};
