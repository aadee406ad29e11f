import type { TrainKernels } from '../kernels/train.js';
import type { WasmContext } from './context.js';

/*
 * Optimizer updates and clamping on wasm; the loss kernels (a few thousand
 * numbers per step) stay in TypeScript. Bias corrections are computed here
 * with the same expressions as the reference so parameters match bit for bit.
 */
export function wasmTrainKernels(ctx: WasmContext, ts: TrainKernels): TrainKernels {
  const k = ctx.k;
  return {
    ...ts,
    clamp(x, lo, hi) {
      if (!ctx.owns(x)) return ts.clamp(x, lo, hi);
      k.clamp(x.ptr, x.length, lo, hi);
    },
    sgdStep(param, grad, buf, initBuf, h) {
      if (!ctx.owns(param) || !ctx.owns(grad) || (buf !== null && !ctx.owns(buf))) return ts.sgdStep(param, grad, buf, initBuf, h);
      const n = param.length;
      ctx.need(grad, n, 'sgdStep', 'grad');
      if (buf) ctx.need(buf, n, 'sgdStep', 'momentum buffer');
      k.sgdStep(param.ptr, grad.ptr, buf ? buf.ptr : 0, initBuf ? 1 : 0, n, h.lr, h.momentum, h.dampening, h.nesterov ? 1 : 0, h.weightDecay);
    },
    adamStep(param, grad, m, v, vMax, step, h) {
      if (!ctx.owns(param) || !ctx.owns(grad) || !ctx.owns(m) || !ctx.owns(v) || (vMax !== null && !ctx.owns(vMax))) {
        return ts.adamStep(param, grad, m, v, vMax, step, h);
      }
      const n = param.length;
      ctx.need(grad, n, 'adamStep', 'grad');
      ctx.need(m, n, 'adamStep', 'm');
      ctx.need(v, n, 'adamStep', 'v');
      if (vMax) ctx.need(vMax, n, 'adamStep', 'vMax');
      const bc1 = 1 - Math.pow(h.beta1, step);
      const bc2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, step));
      k.adamStep(param.ptr, grad.ptr, m.ptr, v.ptr, vMax ? vMax.ptr : 0, n, h.lr, h.beta1, h.beta2, h.eps, h.weightDecay, h.decoupled ? 1 : 0, h.lr / bc1, bc2Sqrt);
    },
  };
}
