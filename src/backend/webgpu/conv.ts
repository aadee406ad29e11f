import type { ConvKernels, WindowGeometry } from '../kernels/conv.js';
import type { Storage } from '../storage.js';
import type { GpuContext } from './context.js';
import { channelBiasSpec, channelSumsSpec, col2imSpec, im2colSpec, pool2dBackwardSpec, pool2dSpec, PoolModeCode, swapAxesSpec } from './conv-wgsl.js';
import { grid1d } from './kernel.js';

/*
 * The ConvKernels of a convolution + pooling network on the GPU: im2col and
 * col2im around the core GEMM, the layout swap, the channel bias and its
 * gradient, and 2-D pooling with the argmax kept on the device. The
 * event-driven and sparse convolution kernels and batch norm stay refused
 * (backend.ts): the thresholds below are 0, so the ops never choose the
 * event or sparse paths (nor count nonzeros to decide, which would be a
 * host read), and dense im2col + GEMM is what a GPU runs well anyway.
 */
export type WebGpuConvKernels = Pick<
  ConvKernels,
  'convEventDensityThreshold' | 'convSparseGradDensityThreshold' | 'im2col' | 'col2im' | 'swapAxes01' | 'addChannelBias' | 'channelSums' | 'pool2d' | 'pool2dBackward'
>;

function geometryParams(g: WindowGeometry): number[] {
  return [g.H, g.W, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.Ho, g.Wo];
}

export function webgpuConvKernels(ctx: GpuContext): WebGpuConvKernels {
  const buf = (s: Storage, end: number, kernel: string, what: string): GPUBuffer => {
    ctx.need(s, end, kernel, what);
    return ctx.gpu(s, kernel, what).buffer;
  };
  return {
    convEventDensityThreshold: 0,
    convSparseGradDensityThreshold: 0,
    im2col(g, C, c0, cg, n, x, xOff, cols) {
      const total = cg * g.kh * g.kw * n * g.Ho * g.Wo;
      const k = 'im2col';
      ctx.run(im2colSpec, [buf(x, xOff + n * C * g.H * g.W, k, 'x'), buf(cols, total, k, 'cols')], [total, ...geometryParams(g), C, c0, n, xOff], grid1d(total));
    },
    col2im(g, C, c0, cg, n, cols, dx, dxOff) {
      const total = n * cg * g.H * g.W;
      const k = 'col2im';
      ctx.run(col2imSpec, [buf(cols, cg * g.kh * g.kw * n * g.Ho * g.Wo, k, 'cols'), buf(dx, dxOff + n * C * g.H * g.W, k, 'dx')], [total, ...geometryParams(g), C, c0, cg, n, dxOff], grid1d(total));
    },
    swapAxes01(A, B, inner, src, srcOff, dst, dstOff) {
      const total = A * B * inner;
      const k = 'swapAxes01';
      ctx.run(swapAxesSpec, [buf(src, srcOff + total, k, 'src'), buf(dst, dstOff + total, k, 'dst')], [total, A, B, inner, srcOff, dstOff], grid1d(total));
    },
    addChannelBias(N, C, P, y, yOff, bias) {
      const total = N * C * P;
      const k = 'addChannelBias';
      ctx.run(channelBiasSpec, [buf(bias, C, k, 'bias'), buf(y, yOff + total, k, 'y')], [total, C, P, yOff], grid1d(total));
    },
    channelSums(N, C, P, x, out) {
      const k = 'channelSums';
      ctx.run(channelSumsSpec, [buf(x, N * C * P, k, 'x'), buf(out, C, k, 'out')], [N, C, P], [C]);
    },
    pool2d(mode, g, planes, countIncludePad, x, y, argmax) {
      const total = planes * g.Ho * g.Wo;
      const k = 'pool2d';
      const withArgmax = mode === 'max';
      if (withArgmax && !argmax) throw new Error('webgpu pool2d: max pooling needs an argmax storage');
      const buffers = [buf(x, planes * g.H * g.W, k, 'x'), buf(y, total, k, 'y'), ...(withArgmax ? [buf(argmax!, total, k, 'argmax')] : [])];
      ctx.run(pool2dSpec(withArgmax), buffers, [total, ...geometryParams(g), PoolModeCode[mode], countIncludePad ? 1 : 0], grid1d(total));
    },
    pool2dBackward(mode, g, planes, countIncludePad, dy, argmax, dx) {
      const total = planes * g.H * g.W;
      const k = 'pool2dBackward';
      if (mode === 'max' && !argmax) throw new Error('webgpu pool2dBackward: max pooling needs the forward\'s argmax storage');
      const dyBuf = buf(dy, planes * g.Ho * g.Wo, k, 'dy');
      // Without argmax (avg, sum) the binding is dy again: two read-only bindings of one buffer are allowed.
      const amBuf = argmax ? buf(argmax, planes * g.Ho * g.Wo, k, 'argmax') : dyBuf;
      ctx.run(pool2dBackwardSpec, [dyBuf, amBuf, buf(dx, total, k, 'dx')], [total, ...geometryParams(g), PoolModeCode[mode], countIncludePad ? 1 : 0], grid1d(total));
    },
  };
}
