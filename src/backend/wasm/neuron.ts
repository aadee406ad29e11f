import { LIF_SCAN, type LifBackwardIO, type LifConfig, type LifForwardIO, type NeuronKernelTable } from '../kernels/neuron.js';
import { MAX_SURROGATE_ID } from '../kernels/surrogates.generated.js';
import type { Storage } from '../storage.js';
import type { WasmContext } from './context.js';

/*
 * LIF scans on wasm for every non-recurrent configuration with Heaviside
 * spikes (what training runs); recurrent LIF, the test-only smooth forward and
 * the other neuron models use the TypeScript kernels over the `.data` views.
 * The spike mask lives in JavaScript (Uint8Array), so the forward writes it
 * into a scratch block and copies it out once per call (T·N bytes).
 */

/** The wasm fused scans (the LIF family's); `false` from a call hands that configuration to the reference kernel. */
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

  return { [LIF_SCAN.id]: { forward: lifForward, backward: lifBackward } };
}

/** The kernels' firing rule argument: 1 spikes at h ≥ θ (LifConfig.fireAtThreshold), 0 at h > θ. */
function fire(cfg: LifConfig): number {
  return cfg.fireAtThreshold === true ? 1 : 0;
}

/** The plain kernels' reset timing (kernels/wasm/lif.ts): 1 delayed, 0 textbook same-step, 2 snnTorch's same-step form. */
function timing(cfg: LifConfig): number {
  return cfg.delayedReset ? 1 : cfg.correctedReset === true ? 2 : 0;
}
