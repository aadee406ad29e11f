import type { ConvKernels, WindowGeometry } from '../kernels/conv.js';
import type { WasmContext } from './context.js';
import { POOL_MODE_IDS, WINDOW_I32_LENGTH, writeWindowI32 } from './exports.generated.js';

/*
 * ConvKernels on wasm (kernels/wasm/conv.ts), bit-identical to the TypeScript
 * reference. Like core.ts, each method runs the reference on the `.data` views
 * when a storage lives elsewhere; it also does so for calls the i32 kernels
 * cannot represent (non-integer or negative counts and offsets, strides or
 * dilations below 1, index ranges beyond 2^30), so those keep the reference's
 * behaviour instead of wrapping around. Sizes are checked with ctx.need before
 * the call: a wasm kernel would silently write into a neighbouring tensor.
 */

/** Bound on every element index the kernels form in i32 arithmetic (byte offsets are 4× this, still below 2^32). */
const INDEX_LIMIT = 2 ** 30;

/** Non-negative integers below INDEX_LIMIT. */
function counts(...xs: number[]): boolean {
  return xs.every((x) => Number.isInteger(x) && x >= 0 && x < INDEX_LIMIT);
}

/** One axis of a window: the largest tap index out·s + k·d + |p| (and the plane size) stay within INDEX_LIMIT. */
function axisFits(size: number, k: number, s: number, p: number, d: number, out: number): boolean {
  if (!counts(size, k, out) || !Number.isInteger(p) || s < 1 || d < 1 || !Number.isInteger(s) || !Number.isInteger(d)) return false;
  return out * s + k * d + Math.abs(p) + size < INDEX_LIMIT;
}

function geometryFits(g: WindowGeometry): boolean {
  return axisFits(g.H, g.kh, g.sh, g.ph, g.dh, g.Ho) && axisFits(g.W, g.kw, g.sw, g.pw, g.dw, g.Wo) && g.H * g.W < INDEX_LIMIT;
}

/** Elements of an [n, C, H·W] block that channels [c0, c0+cg) of n images reach, from the first image's start. */
function channelSpan(C: number, c0: number, cg: number, n: number, plane: number): number {
  return n > 0 && cg > 0 ? ((n - 1) * C + c0 + cg) * plane : 0;
}

/**
 * Event-driven convolution below this input density on wasm (scatter form, no
 * threads). Forward + weight gradient against im2col + GEMM, 16→32 channels,
 * 5×5 on 12×12, N = 256: 28 vs 41 ms at 20 %, 40 vs 38 ms at 30 %.
 */
export const WASM_CONV_EVENT_DENSITY_THRESHOLD = 0.25;
/** Sparse input gradient below this output-gradient density: 10 vs 17 ms at 10 %, 19 vs 17 ms at 25 % (same layer). */
export const WASM_CONV_SPARSE_GRAD_DENSITY_THRESHOLD = 0.15;

/** Element counts of a whole-batch convolution (x, w, y) and its output positions. */
function convSizes(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number): { in: number; w: number; out: number; P: number } {
  const P = g.Ho * g.Wo;
  return { in: N * Cin * g.H * g.W, w: Cout * (Cin / groups) * g.kh * g.kw, out: N * Cout * P, P };
}

/** The event kernels' i32 arithmetic holds: whole groups, and every count (scratch included) below INDEX_LIMIT. */
function convFits(g: WindowGeometry, N: number, Cin: number, Cout: number, groups: number): boolean {
  if (!geometryFits(g) || !counts(N, Cin, Cout, groups) || groups < 1 || Cin % groups !== 0 || Cout % groups !== 0) return false;
  const s = convSizes(g, N, Cin, Cout, groups);
  return counts(s.in, s.w, s.out, s.P * Cout, g.H * g.W * Cin, 2 * g.H * g.kh + 2 * g.W * g.kw + g.H + g.W + 2);
}

/** Bytes of the tap tables eventConv / eventConvGradW keep at the start of their scratch (i32s, then 16-byte alignment). */
function tapBytes(g: WindowGeometry): number {
  return 4 * (g.H + 1 + 2 * g.H * g.kh + g.W + 1 + 2 * g.W * g.kw) + 16;
}

export function wasmConvKernels(ctx: WasmContext, ts: ConvKernels): ConvKernels {
  const k = ctx.k;

  /** Writes g into a scratch block as 12 i32s and returns its byte address. */
  function geometry(g: WindowGeometry): number {
    const ptr = ctx.scratch('convGeometry', WINDOW_I32_LENGTH * 4);
    writeWindowI32(g, new Int32Array(ctx.heap.buffer, ptr, WINDOW_I32_LENGTH));
    return ptr;
  }

  /** Scratch for the 2·C double accumulators of the batch-norm statistics. */
  function accumulators(C: number): number {
    return ctx.scratch('convAcc', Math.max(16, C * 16));
  }

  return {
    convEventDensityThreshold: WASM_CONV_EVENT_DENSITY_THRESHOLD,
    convSparseGradDensityThreshold: WASM_CONV_SPARSE_GRAD_DENSITY_THRESHOLD,
    eventConv(g, N, Cin, Cout, groups, x, w, y) {
      if (!ctx.owns(x) || !ctx.owns(w) || !ctx.owns(y) || !convFits(g, N, Cin, Cout, groups)) return ts.eventConv(g, N, Cin, Cout, groups, x, w, y);
      const s = convSizes(g, N, Cin, Cout, groups);
      ctx.need(x, s.in, 'eventConv', 'x');
      ctx.need(w, s.w, 'eventConv', 'w');
      ctx.need(y, s.out, 'eventConv', 'y');
      const scratch = ctx.scratch('convEvent', tapBytes(g) + 4 * (s.w + s.P * Cout));
      k.eventConv(geometry(g), N, Cin, Cout, groups, x.ptr, w.ptr, y.ptr, scratch);
    },
    eventConvGradW(g, N, Cin, Cout, groups, x, dy, dw) {
      if (!ctx.owns(x) || !ctx.owns(dy) || !ctx.owns(dw) || !convFits(g, N, Cin, Cout, groups)) return ts.eventConvGradW(g, N, Cin, Cout, groups, x, dy, dw);
      const s = convSizes(g, N, Cin, Cout, groups);
      ctx.need(x, s.in, 'eventConvGradW', 'x');
      ctx.need(dy, s.out, 'eventConvGradW', 'dy');
      ctx.need(dw, s.w, 'eventConvGradW', 'dw');
      const scratch = ctx.scratch('convEvent', tapBytes(g) + 4 * (s.w + s.P * Cout));
      k.eventConvGradW(geometry(g), N, Cin, Cout, groups, x.ptr, dy.ptr, dw.ptr, scratch);
    },
    convGradXSparse(g, N, Cin, Cout, groups, dy, w, dx) {
      if (!ctx.owns(dy) || !ctx.owns(w) || !ctx.owns(dx) || !convFits(g, N, Cin, Cout, groups)) return ts.convGradXSparse(g, N, Cin, Cout, groups, dy, w, dx);
      const s = convSizes(g, N, Cin, Cout, groups);
      ctx.need(dy, s.out, 'convGradXSparse', 'dy');
      ctx.need(w, s.w, 'convGradXSparse', 'w');
      ctx.need(dx, s.in, 'convGradXSparse', 'dx');
      const scratch = ctx.scratch('convEvent', 4 * (s.w + g.H * g.W * Cin + s.P * Cout + 2 * (Cout / groups) + Cin / groups) + 16);
      k.convGradXSparse(geometry(g), N, Cin, Cout, groups, dy.ptr, w.ptr, dx.ptr, scratch);
    },
    im2col(g, C, c0, cg, n, x, xOff, cols) {
      if (!ctx.owns(x) || !ctx.owns(cols) || !geometryFits(g) || !counts(C, c0, cg, n, xOff)) return ts.im2col(g, C, c0, cg, n, x, xOff, cols);
      ctx.need(x, xOff + channelSpan(C, c0, cg, n, g.H * g.W), 'im2col', 'x');
      ctx.need(cols, cg * g.kh * g.kw * n * g.Ho * g.Wo, 'im2col', 'cols');
      k.im2col(geometry(g), C, c0, cg, n, x.at(xOff), cols.ptr);
    },
    col2im(g, C, c0, cg, n, cols, dx, dxOff) {
      if (!ctx.owns(cols) || !ctx.owns(dx) || !geometryFits(g) || !counts(C, c0, cg, n, dxOff)) return ts.col2im(g, C, c0, cg, n, cols, dx, dxOff);
      ctx.need(cols, cg * g.kh * g.kw * n * g.Ho * g.Wo, 'col2im', 'cols');
      ctx.need(dx, dxOff + channelSpan(C, c0, cg, n, g.H * g.W), 'col2im', 'dx');
      k.col2im(geometry(g), C, c0, cg, n, cols.ptr, dx.at(dxOff));
    },
    swapAxes01(A, B, inner, src, srcOff, dst, dstOff) {
      if (!ctx.owns(src) || !ctx.owns(dst) || !counts(A, B, inner, srcOff, dstOff)) return ts.swapAxes01(A, B, inner, src, srcOff, dst, dstOff);
      ctx.need(src, srcOff + A * B * inner, 'swapAxes01', 'src');
      ctx.need(dst, dstOff + A * B * inner, 'swapAxes01', 'dst');
      k.swapAxes01(A, B, inner, src.at(srcOff), dst.at(dstOff));
    },
    addChannelBias(N, C, P, y, yOff, bias) {
      if (!ctx.owns(y) || !ctx.owns(bias) || !counts(N, C, P, yOff)) return ts.addChannelBias(N, C, P, y, yOff, bias);
      ctx.need(y, yOff + N * C * P, 'addChannelBias', 'y');
      ctx.need(bias, C, 'addChannelBias', 'bias');
      k.addChannelBias(N, C, P, y.at(yOff), bias.ptr);
    },
    channelSums(N, C, P, x, out) {
      if (!ctx.owns(x) || !ctx.owns(out) || !counts(N, C, P)) return ts.channelSums(N, C, P, x, out);
      ctx.need(x, N * C * P, 'channelSums', 'x');
      ctx.need(out, C, 'channelSums', 'out');
      k.channelSums(N, C, P, x.ptr, out.ptr);
    },
    channelMoments(N, C, P, x, mean, variance) {
      if (!ctx.owns(x) || !ctx.owns(mean) || !ctx.owns(variance) || !counts(N, C, P)) return ts.channelMoments(N, C, P, x, mean, variance);
      ctx.need(x, N * C * P, 'channelMoments', 'x');
      ctx.need(mean, C, 'channelMoments', 'mean');
      ctx.need(variance, C, 'channelMoments', 'variance');
      k.channelMoments(N, C, P, x.ptr, mean.ptr, variance.ptr, accumulators(C));
    },
    channelCenteredDot(N, C, P, dy, x, mean, sumDy, sumDyXc) {
      if (!ctx.owns(dy) || !ctx.owns(x) || !ctx.owns(mean) || !ctx.owns(sumDy) || !ctx.owns(sumDyXc) || !counts(N, C, P)) {
        return ts.channelCenteredDot(N, C, P, dy, x, mean, sumDy, sumDyXc);
      }
      ctx.need(dy, N * C * P, 'channelCenteredDot', 'dy');
      ctx.need(x, N * C * P, 'channelCenteredDot', 'x');
      ctx.need(mean, C, 'channelCenteredDot', 'mean');
      ctx.need(sumDy, C, 'channelCenteredDot', 'sumDy');
      ctx.need(sumDyXc, C, 'channelCenteredDot', 'sumDyXc');
      k.channelCenteredDot(N, C, P, dy.ptr, x.ptr, mean.ptr, sumDy.ptr, sumDyXc.ptr, accumulators(C));
    },
    channelAffine(N, C, P, x, a, b, y) {
      if (!ctx.owns(x) || !ctx.owns(a) || !ctx.owns(b) || !ctx.owns(y) || !counts(N, C, P)) return ts.channelAffine(N, C, P, x, a, b, y);
      ctx.need(x, N * C * P, 'channelAffine', 'x');
      ctx.need(y, N * C * P, 'channelAffine', 'y');
      ctx.need(a, C, 'channelAffine', 'a');
      ctx.need(b, C, 'channelAffine', 'b');
      k.channelAffine(N, C, P, x.ptr, a.ptr, b.ptr, y.ptr);
    },
    channelAffine2(N, C, P, u, v, a, b, kk, y) {
      if (!ctx.owns(u) || !ctx.owns(v) || !ctx.owns(a) || !ctx.owns(b) || !ctx.owns(kk) || !ctx.owns(y) || !counts(N, C, P)) {
        return ts.channelAffine2(N, C, P, u, v, a, b, kk, y);
      }
      for (const [s, what] of [[u, 'u'], [v, 'v'], [y, 'y']] as const) ctx.need(s, N * C * P, 'channelAffine2', what);
      for (const [s, what] of [[a, 'a'], [b, 'b'], [kk, 'k']] as const) ctx.need(s, C, 'channelAffine2', what);
      k.channelAffine2(N, C, P, u.ptr, v.ptr, a.ptr, b.ptr, kk.ptr, y.ptr);
    },
    pool2d(mode, g, planes, countIncludePad, x, y, argmax) {
      // Max mode without argmax storage goes to the reference too, which reports the misuse.
      const argOk = mode === 'max' ? argmax !== null && ctx.owns(argmax) : argmax === null || ctx.owns(argmax);
      if (!ctx.owns(x) || !ctx.owns(y) || !argOk || !geometryFits(g) || !counts(planes)) return ts.pool2d(mode, g, planes, countIncludePad, x, y, argmax);
      const outs = planes * g.Ho * g.Wo;
      ctx.need(x, planes * g.H * g.W, 'pool2d', 'x');
      ctx.need(y, outs, 'pool2d', 'y');
      let ap = 0;
      if (mode === 'max' && ctx.owns(argmax)) {
        ctx.need(argmax, outs, 'pool2d', 'argmax');
        ap = argmax.ptr;
      }
      k.pool2d(POOL_MODE_IDS[mode], geometry(g), planes, countIncludePad ? 1 : 0, x.ptr, y.ptr, ap);
    },
    pool2dBackward(mode, g, planes, countIncludePad, dy, argmax, dx) {
      const argOk = mode === 'max' ? argmax !== null && ctx.owns(argmax) : argmax === null || ctx.owns(argmax);
      if (!ctx.owns(dy) || !ctx.owns(dx) || !argOk || !geometryFits(g) || !counts(planes)) return ts.pool2dBackward(mode, g, planes, countIncludePad, dy, argmax, dx);
      const outs = planes * g.Ho * g.Wo;
      ctx.need(dy, outs, 'pool2dBackward', 'dy');
      ctx.need(dx, planes * g.H * g.W, 'pool2dBackward', 'dx');
      let ap = 0;
      if (mode === 'max' && ctx.owns(argmax)) {
        ctx.need(argmax, outs, 'pool2dBackward', 'argmax');
        ap = argmax.ptr;
      }
      k.pool2dBackward(POOL_MODE_IDS[mode], geometry(g), planes, countIncludePad ? 1 : 0, dy.ptr, ap, dx.ptr);
    },
    mulBroadcast(R, N, x, v, y) {
      if (!ctx.owns(x) || !ctx.owns(v) || !ctx.owns(y) || !counts(R, N)) return ts.mulBroadcast(R, N, x, v, y);
      ctx.need(x, R * N, 'mulBroadcast', 'x');
      ctx.need(v, N, 'mulBroadcast', 'v');
      ctx.need(y, R * N, 'mulBroadcast', 'y');
      k.mulBroadcast(R, N, x.ptr, v.ptr, y.ptr);
    },
  };
}
