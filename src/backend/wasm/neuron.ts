import {
  LIF_SCAN, MULTILEVEL_SCAN, type LifBackwardIO, type LifConfig, type LifForwardIO, type MultiLevelBackwardIO, type MultiLevelConfig,
  type MultiLevelForwardIO, type NeuronKernelTable,
} from '../kernels/neuron.js';
import { MAX_SURROGATE_ID } from '../kernels/surrogates.generated.js';
import type { Storage } from '../storage.js';
import type { WasmContext } from './context.js';

/*
 * LIF scans on wasm for every non-recurrent configuration with Heaviside
 * spikes (what training runs), and the multi-level neuron's scan for Heaviside
 * counts; recurrent LIF, the test-only smooth forwards and the other neuron
 * models use the TypeScript kernels over the `.data` views.
 * The spike mask lives in JavaScript (Uint8Array), so the forward writes it
 * into a scratch block and copies it out once per call (T·N bytes).
 */

/** The wasm fused scans (the LIF family's, the multi-level neuron's); `false` from a call hands that configuration to the reference kernel. */
export function wasmNeuronKernels(ctx: WasmContext): NeuronKernelTable {
  const k = ctx.k;

  /** Byte address of a storage of at least `n` elements in this memory; null (→ TypeScript fallback) otherwise. 0 for an absent optional one. */
  function ptr(s: Storage | null, n: number, kernel: string, what: string): number | null {
    if (s === null) return 0;
    if (!ctx.owns(s)) return null;
    ctx.need(s, n, kernel, what);
    return s.ptr;
  }

  interface Ptrs {
    x: number; v0: number; beta: number; thr: number; spikes: number; h: number; v: number;
  }

  function forwardPtrs(cfg: LifConfig, io: LifForwardIO, kernel: string): Ptrs | null {
    if (cfg.surrogate.smooth || io.recV !== null || io.recW !== null) return null;
    const TN = cfg.T * cfg.B * cfg.F;
    const p = {
      x: ptr(io.x, TN, kernel, 'x'),
      v0: ptr(io.v0, cfg.B * cfg.F, kernel, 'v0'),
      beta: ptr(io.beta, cfg.betaPerNeuron ? cfg.F : 1, kernel, 'beta'),
      thr: ptr(io.threshold, cfg.thresholdPerNeuron ? cfg.F : 1, kernel, 'threshold'),
      spikes: ptr(io.spikes, TN, kernel, 'spikes'),
      h: ptr(io.h, TN, kernel, 'h'),
      v: ptr(io.v, TN, kernel, 'v'),
    };
    for (const v of Object.values(p)) if (v === null) return null;
    return p as Ptrs;
  }

  function lifForward(cfg: LifConfig, io: LifForwardIO): boolean {
    const p = forwardPtrs(cfg, io, 'lifForward');
    if (!p) return false;
    const { T, B, F } = cfg;
    const N = B * F, TN = T * N;
    const mask = ctx.scratch('lifMask', TN);
    if (cfg.delayedReset && !cfg.inputLeak && cfg.vReset === 0 && !cfg.betaPerNeuron && !cfg.thresholdPerNeuron) {
      k.lifForwardLeaky(T, N, cfg.resetMode, fire(cfg), io.beta.data[0]!, io.threshold.data[0]!, p.x, p.v0, p.h, p.spikes, mask);
    } else {
      k.lifForwardPlain(
        T, B, F, cfg.resetMode, timing(cfg), cfg.inputLeak ? 1 : 0, cfg.vReset, cfg.betaPerNeuron ? 1 : 0, cfg.thresholdPerNeuron ? 1 : 0, fire(cfg),
        p.x, p.v0, p.beta, p.thr, p.h, p.v, p.spikes, mask,
      );
    }
    io.mask.set(new Uint8Array(ctx.heap.buffer, mask, TN));
    return true;
  }

  function lifBackward(cfg: LifConfig, io: LifBackwardIO): boolean {
    const sid = cfg.surrogate.id;
    const { T, B, F } = cfg;
    const N = B * F, TN = T * N;
    const p = io.dRecV === null && io.dRecW === null && sid >= 0 && sid <= MAX_SURROGATE_ID ? forwardPtrs(cfg, io, 'lifBackward') : null;
    const gS = ptr(io.gSpikes, TN, 'lifBackward', 'gSpikes');
    const gM = ptr(io.gMem, TN, 'lifBackward', 'gMem');
    const dx = ptr(io.dx, TN, 'lifBackward', 'dx');
    if (!p || gS === null || gM === null || dx === null) return false;
    const nB = cfg.betaPerNeuron ? F : 1, nT = cfg.thresholdPerNeuron ? F : 1;
    const dvC = ctx.scratch('lifDv', N * 8);
    // Parameter gradients are summed only when asked for (null for a β/θ that is not learnable).
    const dBeta = io.dBeta || io.dThreshold ? ctx.scratch('lifDBeta', nB * 8) : 0;
    const dThr = io.dBeta || io.dThreshold ? ctx.scratch('lifDThr', nT * 8) : 0;
    if (cfg.delayedReset && !cfg.betaPerNeuron && !cfg.thresholdPerNeuron) {
      k.lifBackwardLeaky(
        T, N, cfg.resetMode, cfg.detachReset ? 1 : 0, cfg.inputLeak ? 1 : 0, cfg.vReset, io.beta.data[0]!, io.threshold.data[0]!, fire(cfg),
        sid, cfg.surrogate.p0, cfg.surrogate.p1, p.x, p.v0, p.v !== 0 ? p.v : p.h, p.h, gS, gM, dx, dvC, dBeta, dThr,
      );
    } else {
      k.lifBackwardPlain(
        T, B, F, cfg.resetMode, timing(cfg), cfg.detachReset ? 1 : 0, cfg.inputLeak ? 1 : 0, cfg.vReset,
        cfg.betaPerNeuron ? 1 : 0, cfg.thresholdPerNeuron ? 1 : 0, fire(cfg), sid, cfg.surrogate.p0, cfg.surrogate.p1,
        p.x, p.v0, p.beta, p.thr, p.h, p.v, gS, gM, dx, dvC, dBeta, dThr,
      );
    }
    // The f64 carries are rounded into the f32 outputs, as the reference's Float64Array → Float32Array set() does.
    if (io.dv0) io.dv0.data.set(new Float64Array(ctx.heap.buffer, dvC, N));
    if (io.dBeta) io.dBeta.data.set(new Float64Array(ctx.heap.buffer, dBeta, nB));
    if (io.dThreshold) io.dThreshold.data.set(new Float64Array(ctx.heap.buffer, dThr, nT));
    return true;
  }

  /** Pointers of the multi-level scan's inputs and membrane, or null (→ TypeScript) for a configuration or storage it does not take. */
  function mlPtrs(cfg: MultiLevelConfig, io: MultiLevelForwardIO, kernel: string): { x: number; v0: number; beta: number; thr: number; v: number } | null {
    const sid = cfg.surrogate.id;
    if (cfg.surrogate.smooth || !(cfg.levels >= 1 && cfg.levels <= 65536) || !(Number.isInteger(sid) && sid >= 0 && sid <= MAX_SURROGATE_ID)) return null;
    const TN = cfg.T * cfg.B * cfg.F;
    const p = {
      x: ptr(io.x, TN, kernel, 'x'),
      v0: ptr(io.v0, cfg.B * cfg.F, kernel, 'v0'),
      beta: ptr(io.beta, cfg.betaPerNeuron ? cfg.F : 1, kernel, 'beta'),
      thr: ptr(io.threshold, cfg.thresholdPerNeuron ? cfg.F : 1, kernel, 'threshold'),
      v: ptr(io.v, TN, kernel, 'v'),
    };
    for (const v of Object.values(p)) if (v === null) return null;
    return p as { x: number; v0: number; beta: number; thr: number; v: number };
  }

  function multiLevelForward(cfg: MultiLevelConfig, io: MultiLevelForwardIO): boolean {
    const p = mlPtrs(cfg, io, 'multiLevelForward');
    const spk = ptr(io.spikes, cfg.T * cfg.B * cfg.F, 'multiLevelForward', 'spikes');
    if (!p || spk === null) return false;
    k.multiLevelForward(
      cfg.T, cfg.B, cfg.F, cfg.levels, cfg.normalized ? 1 : 0, cfg.hardReset ? 1 : 0, cfg.vReset, cfg.betaPerNeuron ? 1 : 0, cfg.thresholdPerNeuron ? 1 : 0,
      p.x, p.v0, p.beta, p.thr, spk, p.v,
    );
    return true;
  }

  function multiLevelBackward(cfg: MultiLevelConfig, io: MultiLevelBackwardIO): boolean {
    const { T, B, F } = cfg;
    const N = B * F, TN = T * N, kernel = 'multiLevelBackward';
    const p = mlPtrs(cfg, io, kernel);
    const gS = ptr(io.gSpikes, TN, kernel, 'gSpikes'), gM = ptr(io.gMem, TN, kernel, 'gMem'), gState = ptr(io.gState, N, kernel, 'gState');
    const dx = ptr(io.dx, TN, kernel, 'dx');
    if (!p || gS === null || gM === null || gState === null || dx === null) return false;
    const nB = cfg.betaPerNeuron ? F : 1, nT = cfg.thresholdPerNeuron ? F : 1;
    const dvC = ctx.scratch('mlDv', N * 8);
    // Parameter gradients are summed only when asked for (null for a β/θ that is not learnable).
    const sums = io.dBeta !== null || io.dThreshold !== null;
    const dBeta = sums ? ctx.scratch('mlDBeta', nB * 8) : 0, dThr = sums ? ctx.scratch('mlDThr', nT * 8) : 0;
    k.multiLevelBackward(
      T, B, F, cfg.levels, cfg.normalized ? 1 : 0, cfg.hardReset ? 1 : 0, cfg.detachReset ? 1 : 0, cfg.vReset, cfg.betaPerNeuron ? 1 : 0,
      cfg.thresholdPerNeuron ? 1 : 0, cfg.surrogate.id, cfg.surrogate.p0, cfg.surrogate.p1,
      p.x, p.v0, p.beta, p.thr, p.v, gS, gM, gState, dx, dvC, dBeta, dThr,
    );
    // The f64 carries are rounded into the f32 outputs, as the reference's Float64Array → Float32Array set() does.
    if (io.dv0) io.dv0.data.set(new Float64Array(ctx.heap.buffer, dvC, N));
    if (io.dBeta) io.dBeta.data.set(new Float64Array(ctx.heap.buffer, dBeta, nB));
    if (io.dThreshold) io.dThreshold.data.set(new Float64Array(ctx.heap.buffer, dThr, nT));
    return true;
  }

  return {
    [LIF_SCAN.id]: { forward: lifForward, backward: lifBackward },
    [MULTILEVEL_SCAN.id]: { forward: multiLevelForward, backward: multiLevelBackward },
  };
}

/** The kernels' firing rule argument: 1 spikes at h ≥ θ (LifConfig.fireAtThreshold), 0 at h > θ. */
function fire(cfg: LifConfig): number {
  return cfg.fireAtThreshold === true ? 1 : 0;
}

/** The plain kernels' reset timing (kernels/wasm/lif.ts): 1 delayed, 0 textbook same-step, 2 snnTorch's same-step form. */
function timing(cfg: LifConfig): number {
  return cfg.delayedReset ? 1 : cfg.correctedReset === true ? 2 : 0;
}
