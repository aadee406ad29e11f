import type { TrainKernels } from '../kernels/train.js';
import type { GpuContext } from './context.js';
import type { GpuStorage } from './storage.js';
import { grid1d } from './kernel.js';
import { ShapeError } from '../../errors.js';
import { ReduceKind, reduceSpec } from './core-wgsl.js';
import { adamSpec, clampSpec, countCorrectSpec, crossEntropyBackwardSpec, crossEntropyRowsSpec, sgdSpec } from './train-wgsl.js';

/*
 * TrainKernels on the GPU: the optimizer updates, clamp, and the device-side
 * cross-entropy forms the losses use. crossEntropyRows itself returns a
 * number and maxLeading fills a host array, so they stay refused (see
 * docs/design.md, "WebGPU backend").
 */
export type WebGpuTrainKernels = Pick<TrainKernels, 'sgdStep' | 'adamStep' | 'clamp' | 'crossEntropyRowsInto' | 'crossEntropyRowsBackwardFrom' | 'countCorrectInto'>;

/** Class indices as float32 on the device (exact below 2²⁴), checked against C. */
function uploadTargets(ctx: GpuContext, targets: Int32Array, C: number, kernel: string): GpuStorage {
  if (targets.length === 0) throw new ShapeError(`webgpu ${kernel}: no targets`);
  for (let i = 0; i < targets.length; i++) {
    const y = targets[i]!;
    if (!(y >= 0 && y < C)) throw new ShapeError(`webgpu ${kernel}: target ${y} at ${i} is not a class index in [0, ${C})`);
  }
  return ctx.fromArray(targets);
}

export function webgpuTrainKernels(ctx: GpuContext): WebGpuTrainKernels {
  const g = (s: Parameters<TrainKernels['clamp']>[0], n: number, kernel: string, what: string): GPUBuffer => {
    ctx.need(s, n, kernel, what);
    return ctx.gpu(s, kernel, what).buffer;
  };
  return {
    sgdStep(param, grad, buf, initBuf, h) {
      const n = param.length;
      const buffers = [g(grad, n, 'sgdStep', 'grad'), g(param, n, 'sgdStep', 'param'), ...(buf ? [g(buf, n, 'sgdStep', 'momentum buffer')] : [])];
      ctx.run(sgdSpec(buf !== null), buffers, [n, h.lr, h.momentum, h.dampening, h.nesterov ? 1 : 0, h.weightDecay, initBuf ? 1 : 0], grid1d(n));
    },
    adamStep(param, grad, m, v, vMax, step, h) {
      const n = param.length;
      const buffers = [g(grad, n, 'adamStep', 'grad'), g(param, n, 'adamStep', 'param'), g(m, n, 'adamStep', 'm'), g(v, n, 'adamStep', 'v'), ...(vMax ? [g(vMax, n, 'adamStep', 'vMax')] : [])];
      const bc1 = 1 - Math.pow(h.beta1, step);
      const bc2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, step));
      const decay = h.decoupled ? 1 - h.lr * h.weightDecay : 1;
      ctx.run(adamSpec(vMax !== null), buffers, [n, h.beta1, h.beta2, h.eps, h.weightDecay, h.decoupled ? 1 : 0, decay, h.lr / bc1, bc2Sqrt], grid1d(n));
    },
    clamp(x, lo, hi) {
      ctx.run(clampSpec, [g(x, x.length, 'clamp', 'x')], [x.length, lo, hi], grid1d(x.length));
    },
    crossEntropyRowsInto(R, C, logits, targets, probs, divisor, out, outOff) {
      const k = 'crossEntropyRowsInto';
      ctx.need(out, outOff + 1, k, 'out');
      const tg = uploadTargets(ctx, targets, C, k);
      const rowLoss = ctx.alloc(R, false);
      ctx.run(crossEntropyRowsSpec, [g(logits, R * C, k, 'logits'), tg.buffer, g(probs, R * C, k, 'probs'), rowLoss.buffer], [R, C, targets.length], grid1d(R));
      ctx.run(reduceSpec, [rowLoss.buffer, g(out, outOff + 1, k, 'out')], [R, ReduceKind.sum, outOff, 1 / divisor], [1]);
      tg.release('a temporary of crossEntropyRowsInto');
      rowLoss.release('a temporary of crossEntropyRowsInto');
    },
    crossEntropyRowsBackwardFrom(R, C, probs, targets, gs, divisor, out) {
      const k = 'crossEntropyRowsBackwardFrom';
      const tg = uploadTargets(ctx, targets, C, k);
      ctx.run(crossEntropyBackwardSpec, [g(probs, R * C, k, 'probs'), tg.buffer, g(gs, 1, k, 'g'), g(out, R * C, k, 'out')], [R * C, C, targets.length, divisor], grid1d(R * C));
      tg.release('a temporary of crossEntropyRowsBackwardFrom');
    },
    countCorrectInto(R, C, scores, targets, out, outOff) {
      const k = 'countCorrectInto';
      if (targets.length !== R) throw new ShapeError(`webgpu ${k}: ${targets.length} targets for ${R} rows of scores`);
      ctx.need(out, outOff + 1, k, 'out');
      const tg = uploadTargets(ctx, targets, C, k);
      ctx.run(countCorrectSpec, [g(scores, R * C, k, 'scores'), tg.buffer, g(out, outOff + 1, k, 'out')], [R, C, outOff], [1]);
      tg.release('a temporary of countCorrectInto');
    },
  };
}
