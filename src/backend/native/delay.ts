import { tsDelayKernels } from '../ts/delay.js';
import type { DelayKernels } from '../kernels/delay.js';
import type { NativeAddon } from './addon.js';

/**
 * Delay-layer density crossover on native: the event-driven forward and kernel
 * gradient do nnz·K·O additions against 2·T·B·I·O·K for the GEMMs, with
 * ~4× less throughput per operation than the packed GEMM (a row add is
 * load/store-bound). Measured at the SHD shape (T = 100, B = 32, I = 140,
 * O = 256, K = 25; bench workload h): see docs/design.md "Fast backends".
 */
export const NATIVE_DELAY_EVENT_DENSITY_THRESHOLD = 0.3;

/**
 * Delay kernels in the addon. Storage is float32 on this backend; synapse
 * lists whose values are float64 (built from a float64 model) go to the
 * reference, which accumulates the same way.
 */
export function nativeDelayKernels(addon: NativeAddon): DelayKernels {
  const ts = tsDelayKernels;
  return {
    delayEventDensityThreshold: NATIVE_DELAY_EVENT_DENSITY_THRESHOLD,
    delayKernelBuild(n, K, interp, sigma, w, p, kernel) {
      addon.delayKernelBuild(n, K, interp, sigma, w.data, p.data, kernel.data);
    },
    delayKernelBuildBackward(n, K, interp, sigma, w, p, dKernel, dW, dP) {
      addon.delayKernelBuildBackward(n, K, interp, sigma, w.data, p.data, dKernel.data, dW ? dW.data : null, dP ? dP.data : null);
    },
    delaySparseForward(Tin, tStart, tEnd, B, syn, x, y) {
      if (!(syn.vals instanceof Float32Array)) return ts.delaySparseForward(Tin, tStart, tEnd, B, syn, x, y);
      addon.delaySparseForward(Tin, tStart, tEnd, B, syn.K, syn.inFeatures, syn.outFeatures, syn.rowPtr, syn.cols, syn.vals, x.data, y.data);
    },
    delayEventForward(T, Tout, B, I, O, K, x, kernel, y) {
      addon.delayEventForward(T, Tout, B, I, O, K, x.data, kernel.data, y.data);
    },
    delayEventGradKernel(T, Tout, B, I, O, K, x, dY, dK) {
      addon.delayEventGradKernel(T, Tout, B, I, O, K, x.data, dY.data, dK.data);
    },
  };
}
