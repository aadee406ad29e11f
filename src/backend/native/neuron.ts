import { LIF_SCAN, type LifConfig, type LifForwardIO, type NeuronKernelTable } from '../kernels/neuron.js';
import type { NativeAddon } from './addon.js';

/** Length of the Float64Array that carries a LifConfig into the addon (order: readLifCfg in addon.cc). */
export const LIF_CFG_LENGTH = 13;

/** Highest surrogate id the native scan implements (SurrogateId in kernels/neuron.ts). */
const MAX_SURROGATE_ID = 10;

/**
 * The native scan covers what training runs (no recurrence, Heaviside spikes,
 * any reset mode, per-layer or per-neuron β/θ); recurrent and smooth
 * (gradient-check) scans run the TypeScript kernel.
 */
function nativeSupports(cfg: LifConfig, io: LifForwardIO): boolean {
  const id = cfg.surrogate.id;
  return !cfg.surrogate.smooth && io.recV === null && io.recW === null && Number.isInteger(id) && id >= 0 && id <= MAX_SURROGATE_ID;
}

function packConfig(cfg: LifConfig, out: Float64Array): Float64Array {
  out[0] = cfg.T;
  out[1] = cfg.B;
  out[2] = cfg.F;
  out[3] = cfg.resetMode;
  out[4] = cfg.delayedReset ? 1 : 0;
  out[5] = cfg.detachReset ? 1 : 0;
  out[6] = cfg.inputLeak ? 1 : 0;
  out[7] = cfg.vReset;
  out[8] = cfg.betaPerNeuron ? 1 : 0;
  out[9] = cfg.thresholdPerNeuron ? 1 : 0;
  out[10] = cfg.surrogate.id;
  out[11] = cfg.surrogate.p0;
  out[12] = cfg.surrogate.p1;
  return out;
}

/** The native fused scans: the LIF family's, in the addon; other configurations and models run the reference kernels in their folders. */
export function nativeNeuronKernels(addon: NativeAddon): NeuronKernelTable {
  // One reusable config buffer: kernels run synchronously, one at a time per thread.
  const cfgBuf = new Float64Array(LIF_CFG_LENGTH);
  const lif: FusedLif = {
    forward(cfg, io) {
      if (!nativeSupports(cfg, io)) return false;
      addon.lifForward(packConfig(cfg, cfgBuf), io.x.data, io.v0.data, io.beta.data, io.threshold.data, io.spikes.data, io.mask, io.h.data, io.v ? io.v.data : null);
      return true;
    },
    backward(cfg, io) {
      if (!nativeSupports(cfg, io)) return false;
      addon.lifBackward(
        packConfig(cfg, cfgBuf), io.x.data, io.v0.data, io.beta.data, io.threshold.data, io.spikes.data, io.mask, io.h.data, io.v ? io.v.data : null,
        io.gSpikes ? io.gSpikes.data : null, io.gMem ? io.gMem.data : null, io.dx ? io.dx.data : null, io.dv0 ? io.dv0.data : null,
        io.dBeta ? io.dBeta.data : null, io.dThreshold ? io.dThreshold.data : null,
      );
      return true;
    },
  };
  return { [LIF_SCAN.id]: lif };
}

type FusedLif = NonNullable<(typeof LIF_SCAN)['types']>;
