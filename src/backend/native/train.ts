import type { TrainKernels } from '../kernels/train.js';
import { tsTrainKernels } from '../ts/train.js';
import type { NativeAddon } from './addon.js';
import { ADAM_ARGS_LENGTH, packAdamArgs, packSgdArgs, SGD_ARGS_LENGTH, type AdamArgs, type SgdArgs } from './addon.generated.js';

/**
 * Optimizer updates in the addon; the loss kernels stay in TypeScript (they
 * call exp/log, whose last bit differs between libm and V8, and are cheap).
 */
export function nativeTrainKernels(addon: NativeAddon): TrainKernels {
  // Reused field objects and buffers: one optimizer step per parameter allocates nothing.
  const sgd: SgdArgs = { lr: 0, momentum: 0, dampening: 0, weightDecay: 0, nesterov: false, initBuf: false };
  const adam: AdamArgs = { beta1: 0, beta2: 0, eps: 0, weightDecay: 0, stepSize: 0, bc2Sqrt: 0, decay: 0, decoupled: false };
  const sgdHyper = new Float64Array(SGD_ARGS_LENGTH);
  const adamHyper = new Float64Array(ADAM_ARGS_LENGTH);
  return {
    ...tsTrainKernels,
    sgdStep(param, grad, buf, initBuf, h) {
      sgd.lr = h.lr;
      sgd.momentum = h.momentum;
      sgd.dampening = h.dampening;
      sgd.weightDecay = h.weightDecay;
      sgd.nesterov = h.nesterov;
      sgd.initBuf = initBuf;
      addon.sgdStep(param.data, grad.data, buf ? buf.data : null, packSgdArgs(sgd, sgdHyper));
    },
    adamStep(param, grad, m, v, vMax, step, h) {
      // The step-dependent scalars are computed here with the reference's exact expressions (Math.pow), so C's pow never enters.
      adam.beta1 = h.beta1;
      adam.beta2 = h.beta2;
      adam.eps = h.eps;
      adam.weightDecay = h.weightDecay;
      adam.stepSize = h.lr / (1 - Math.pow(h.beta1, step));
      adam.bc2Sqrt = Math.sqrt(1 - Math.pow(h.beta2, step));
      adam.decay = h.decoupled ? 1 - h.lr * h.weightDecay : 1;
      adam.decoupled = h.decoupled;
      addon.adamStep(param.data, grad.data, m.data, v.data, vMax ? vMax.data : null, packAdamArgs(adam, adamHyper));
    },
  };
}
