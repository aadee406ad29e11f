import type { TrainKernels } from '../kernels/train.js';
import { tsTrainKernels } from '../ts/train.js';
import type { NativeAddon } from './addon.js';

/**
 * Optimizer updates in the addon; the loss kernels stay in TypeScript (they
 * call exp/log, whose last bit differs between libm and V8, and are cheap).
 */
export function nativeTrainKernels(addon: NativeAddon): TrainKernels {
  const sgdHyper = new Float64Array(6);
  const adamHyper = new Float64Array(8);
  return {
    ...tsTrainKernels,
    sgdStep(param, grad, buf, initBuf, h) {
      sgdHyper[0] = h.lr;
      sgdHyper[1] = h.momentum;
      sgdHyper[2] = h.dampening;
      sgdHyper[3] = h.weightDecay;
      sgdHyper[4] = h.nesterov ? 1 : 0;
      sgdHyper[5] = initBuf ? 1 : 0;
      addon.sgdStep(param.data, grad.data, buf ? buf.data : null, sgdHyper);
    },
    adamStep(param, grad, m, v, vMax, step, h) {
      // The step-dependent scalars are computed here with the reference's exact expressions (Math.pow), so C's pow never enters.
      const bc1 = 1 - Math.pow(h.beta1, step);
      const bc2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, step));
      adamHyper[0] = h.beta1;
      adamHyper[1] = h.beta2;
      adamHyper[2] = h.eps;
      adamHyper[3] = h.weightDecay;
      adamHyper[4] = h.lr / bc1;
      adamHyper[5] = bc2Sqrt;
      adamHyper[6] = h.decoupled ? 1 - h.lr * h.weightDecay : 1;
      adamHyper[7] = h.decoupled ? 1 : 0;
      addon.adamStep(param.data, grad.data, m.data, v.data, vMax ? vMax.data : null, adamHyper);
    },
  };
}
