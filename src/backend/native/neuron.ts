import { LIF_SCAN, MULTILEVEL_SCAN, type LifConfig, type LifForwardIO, type MultiLevelConfig, type NeuronKernelTable } from '../kernels/neuron.js';
import { MAX_SURROGATE_ID } from '../kernels/surrogates.generated.js';
import type { NativeAddon } from './addon.js';
import { LIF_CFG_LENGTH, MULTI_LEVEL_CFG_LENGTH, packLifCfg, packMultiLevelCfg } from './addon.generated.js';

/**
 * The native scan covers what training runs (no recurrence, Heaviside spikes,
 * any reset mode and timing, snnTorch's same-step form included, per-layer or
 * per-neuron β/θ); recurrent and smooth
 * (gradient-check) scans run the TypeScript kernel.
 */
function nativeSupports(cfg: LifConfig, io: LifForwardIO): boolean {
  const id = cfg.surrogate.id;
  return !cfg.surrogate.smooth && io.recV === null && io.recW === null && Number.isInteger(id) && id >= 0 && id <= MAX_SURROGATE_ID;
}

/**
 * The native multi-level scan takes Heaviside counts with any surrogate and option; the
 * smooth test forward, and D above 2^16 (the addon's bound), run the TypeScript kernel.
 */
function nativeSupportsMultiLevel(cfg: MultiLevelConfig): boolean {
  const id = cfg.surrogate.id;
  return !cfg.surrogate.smooth && cfg.levels <= 65536 && Number.isInteger(id) && id >= 0 && id <= MAX_SURROGATE_ID;
}

/** The native fused scans: the LIF family's and the multi-level neuron's, in the addon; other configurations and models run the reference kernels in their folders. */
export function nativeNeuronKernels(addon: NativeAddon): NeuronKernelTable {
  // One reusable config buffer: kernels run synchronously, one at a time per thread.
  const cfgBuf = new Float64Array(LIF_CFG_LENGTH);
  const lif: FusedLif = {
    forward(cfg, io) {
      if (!nativeSupports(cfg, io)) return false;
      addon.lifForward(packLifCfg(cfg, cfgBuf), io.x.data, io.v0.data, io.beta.data, io.threshold.data, io.spikes.data, io.mask, io.h.data, io.v ? io.v.data : null);
      return true;
    },
    backward(cfg, io) {
      if (!nativeSupports(cfg, io)) return false;
      addon.lifBackward(
        packLifCfg(cfg, cfgBuf), io.x.data, io.v0.data, io.beta.data, io.threshold.data, io.spikes.data, io.mask, io.h.data, io.v ? io.v.data : null,
        io.gSpikes ? io.gSpikes.data : null, io.gMem ? io.gMem.data : null, io.dx ? io.dx.data : null, io.dv0 ? io.dv0.data : null,
        io.dBeta ? io.dBeta.data : null, io.dThreshold ? io.dThreshold.data : null,
      );
      return true;
    },
  };
  const mlBuf = new Float64Array(MULTI_LEVEL_CFG_LENGTH);
  const multiLevel: FusedMultiLevel = {
    forward(cfg, io) {
      if (!nativeSupportsMultiLevel(cfg)) return false;
      addon.multiLevelForward(packMultiLevelCfg(cfg, mlBuf), io.x.data, io.v0.data, io.beta.data, io.threshold.data, io.spikes.data, io.v.data);
      return true;
    },
    backward(cfg, io) {
      if (!nativeSupportsMultiLevel(cfg)) return false;
      addon.multiLevelBackward(
        packMultiLevelCfg(cfg, mlBuf), io.x.data, io.v0.data, io.beta.data, io.threshold.data, io.v.data,
        io.gSpikes ? io.gSpikes.data : null, io.gMem ? io.gMem.data : null, io.gState ? io.gState.data : null,
        io.dx ? io.dx.data : null, io.dv0 ? io.dv0.data : null, io.dBeta ? io.dBeta.data : null, io.dThreshold ? io.dThreshold.data : null,
      );
      return true;
    },
  };
  return { [LIF_SCAN.id]: lif, [MULTILEVEL_SCAN.id]: multiLevel };
}

type FusedLif = NonNullable<(typeof LIF_SCAN)['types']>;
type FusedMultiLevel = NonNullable<(typeof MULTILEVEL_SCAN)['types']>;
