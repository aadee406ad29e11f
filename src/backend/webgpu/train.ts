import type { TrainKernels } from '../kernels/train.js';
import type { GpuContext } from './context.js';
import { grid1d } from './kernel.js';
import { adamSpec, clampSpec, sgdSpec } from './train-wgsl.js';

/*
 * The optimizer updates and clamp of TrainKernels on the GPU (the losses'
 * kernels return a number or fill host arrays and are not here yet: see
 * docs/design.md, "WebGPU backend").
 */
export function webgpuTrainKernels(ctx: GpuContext): Pick<TrainKernels, 'sgdStep' | 'adamStep' | 'clamp'> {
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
  };
}
