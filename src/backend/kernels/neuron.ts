import type { Storage } from '../storage.js';

/*
 * Fused neuron scans: each model's whole sequence runs in one forward kernel
 * (time outer, neurons inner, state carried in the output traces) and one BPTT
 * backward kernel. Arguments are plain numbers, storages and byte masks, never
 * closures, so a wasm or native backend implements the same interface.
 *
 * Shapes: a sequence is [T, N] with N = B·F (batch × features, row-major);
 * per-neuron parameters have F entries and per-layer ones a single entry. Every
 * backward *adds* nothing: it overwrites its gradient outputs.
 */

/** Surrogate gradient ids shared by every backend: generated from the surrogate table (kernels/surrogates.mjs). */
export { SurrogateId } from './surrogates.generated.js';

/** Surrogate as the kernels see it: `dS/dx = g(x)` with x = v − θ. */
export interface SurrogateCode {
  id: number;
  p0: number;
  p1: number;
  /**
   * Test-only smooth forward: the spike becomes the surrogate's primitive P(x)
   * (P' = g) so the whole scan is differentiable and finite differences can
   * check every chain-rule path. Never used for training.
   */
  smooth: boolean;
}

/** Reset modes of the LIF family. */
export const ResetMode = {
  none: 0,
  /** v − θ·s */
  subtract: 1,
  /** delayed: the previous membrane is set to vReset before the leak (snnTorch Leaky); same-step: v = vReset where s = 1. */
  zero: 2,
  /** delayed: the charged membrane is set to vReset (snnTorch RLeaky and Synaptic); same-step: as `zero`. */
  zeroAfter: 3,
} as const;

/**
 * LIF family (IF, Leaky, charge-fire-reset LIF, PLIF, RLeaky one-to-one and full recurrence):
 *   h[t] = vReset + β·(v[t-1] − vReset) + γ·x[t] + rec[t]       γ = 1, or 1 − β when inputLeak
 *   rec[t] = V ⊙ s[t-1]  (one-to-one)  or  s[t-1]·W_recᵀ  (full, per batch row)
 * delayed reset: R[t] = H(v[t-1] − θ) enters h (subtract / zero / zeroAfter), v[t] = h[t];
 * same-step reset: v[t] = h[t] − θ·s[t] (subtract) or vReset where s[t] = 1 (zero);
 * s[t] = H(h[t] − θ).
 */
export interface LifConfig {
  T: number;
  B: number;
  F: number;
  resetMode: number;
  delayedReset: boolean;
  detachReset: boolean;
  inputLeak: boolean;
  vReset: number;
  /** Parameter lengths are F (per neuron) or 1 (per layer). */
  betaPerNeuron: boolean;
  thresholdPerNeuron: boolean;
  recPerNeuron: boolean;
  surrogate: SurrogateCode;
}

export interface LifForwardIO {
  x: Storage;
  v0: Storage;
  /** Previous spikes (recurrent models only). */
  s0: Storage | null;
  beta: Storage;
  threshold: Storage;
  /** One-to-one recurrent weights V (F or 1 entries), or null. */
  recV: Storage | null;
  /** Full recurrent weights W_rec [F, F], or null. */
  recW: Storage | null;
  /** Out: spikes [T, N] (0/1, or P(x) in smooth mode). */
  spikes: Storage;
  /** Out: spike decisions [T·N] kept for backward. */
  mask: Uint8Array;
  /** Out: charged membrane h [T, N] (the membrane trace under delayed reset). */
  h: Storage;
  /** Out: post-reset membrane v [T, N]; null under delayed reset (v ≡ h). */
  v: Storage | null;
  /** Out (scratch kept for backward): s[t-1]·W_recᵀ [T, N] when recW is given. */
  rec: Storage | null;
}

/*
 * Backward inputs: gradients of the spike trace and of the membrane trace (v, or
 * h under delayed reset), null meaning zero. The final state is the last row of
 * a trace, so the op folds final-state gradients into these before the call.
 */
export interface LifBackwardIO extends LifForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Out (null = not needed). */
  dx: Storage | null;
  dv0: Storage | null;
  ds0: Storage | null;
  dBeta: Storage | null;
  dThreshold: Storage | null;
  dRecV: Storage | null;
  dRecW: Storage | null;
}

/** First-order filter y[t] = α·y[t-1] + x[t] (synaptic current), α per layer or per neuron. */
export interface FilterIO {
  T: number;
  B: number;
  F: number;
  alphaPerNeuron: boolean;
  alpha: Storage;
  x: Storage;
  y0: Storage;
  /** Out: [T, N]. */
  y: Storage;
}

export interface FilterBackwardIO extends FilterIO {
  /** Gradient of the whole trace y (already including the final-state gradient at t = T−1). */
  gy: Storage;
  dx: Storage | null;
  dy0: Storage | null;
  dAlpha: Storage | null;
}

/**
 * snnTorch Alpha: e = α·e + x, i = β·i − x, m = τα·(e + i), τα = ln α/(ln β − ln α) + 1;
 * zero reset (delayed, R = H(m[t-1] − θ)) multiplies e, i, m by (1 − R). α, β fixed; θ per layer/neuron.
 */
export interface AlphaConfig {
  T: number;
  B: number;
  F: number;
  alpha: number;
  beta: number;
  /** 'zero' (2) or 'none' (0). */
  resetMode: number;
  detachReset: boolean;
  thresholdPerNeuron: boolean;
  surrogate: SurrogateCode;
}

export interface AlphaForwardIO {
  x: Storage;
  e0: Storage;
  i0: Storage;
  threshold: Storage;
  spikes: Storage;
  mask: Uint8Array;
  /** Out: traces [T, N] of e, i and the membrane m. */
  e: Storage;
  i: Storage;
  m: Storage;
}

export interface AlphaBackwardIO extends AlphaForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Gradients of the e and i traces (final-state gradients land in their last rows). */
  ge: Storage | null;
  gi: Storage | null;
  dx: Storage | null;
  de0: Storage | null;
  di0: Storage | null;
  dThreshold: Storage | null;
}

/**
 * Adaptive LIF (Bellec et al. 2018), same-step reset:
 *   a[t] = ρ·a[t-1] + s[t-1];  A[t] = θ0 + βa·a[t];  h[t] = β·v[t-1] + x[t];
 *   s[t] = H(h[t] − A[t]);  v[t] = h[t] − A[t]·s[t] (subtract) or h[t]·(1 − s[t]) (zero).
 */
export interface AlifConfig {
  T: number;
  B: number;
  F: number;
  rho: number;
  betaA: number;
  /** subtract (1) or zero (2). */
  resetMode: number;
  detachReset: boolean;
  betaPerNeuron: boolean;
  thresholdPerNeuron: boolean;
  surrogate: SurrogateCode;
}

export interface AlifForwardIO {
  x: Storage;
  v0: Storage;
  a0: Storage;
  s0: Storage;
  beta: Storage;
  threshold: Storage;
  spikes: Storage;
  mask: Uint8Array;
  /** Out traces [T, N]: charged membrane, post-reset membrane, adaptation. */
  h: Storage;
  v: Storage;
  a: Storage;
}

export interface AlifBackwardIO extends AlifForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Gradient of the adaptation trace a. */
  ga: Storage | null;
  dx: Storage | null;
  dv0: Storage | null;
  da0: Storage | null;
  ds0: Storage | null;
  dBeta: Storage | null;
  dThreshold: Storage | null;
}

/**
 * Izhikevich (2003), one step = 1 ms as two half steps for v then one for u:
 *   v ← v + ½(0.04v² + 5v + 140 − u + x) (twice);  u ← u + a(b·min(v, vPeak) − u);
 *   s = H(v − vPeak);  where s: v ← c, u ← u + d.
 */
export interface IzhikevichConfig {
  T: number;
  N: number;
  a: number;
  b: number;
  c: number;
  d: number;
  vPeak: number;
  detachReset: boolean;
  surrogate: SurrogateCode;
}

export interface IzhikevichForwardIO {
  x: Storage;
  v0: Storage;
  u0: Storage;
  spikes: Storage;
  mask: Uint8Array;
  /** Out traces [T, N]: v before reset, v after reset, u after reset. */
  vPre: Storage;
  v: Storage;
  u: Storage;
}

export interface IzhikevichBackwardIO extends IzhikevichForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Gradient of the u trace. */
  gu: Storage | null;
  dx: Storage | null;
  dv0: Storage | null;
  du0: Storage | null;
}

export interface NeuronKernels {
  lifForward(cfg: LifConfig, io: LifForwardIO): void;
  lifBackward(cfg: LifConfig, io: LifBackwardIO): void;
  filterForward(io: FilterIO): void;
  filterBackward(io: FilterBackwardIO): void;
  alphaForward(cfg: AlphaConfig, io: AlphaForwardIO): void;
  alphaBackward(cfg: AlphaConfig, io: AlphaBackwardIO): void;
  alifForward(cfg: AlifConfig, io: AlifForwardIO): void;
  alifBackward(cfg: AlifConfig, io: AlifBackwardIO): void;
  izhikevichForward(cfg: IzhikevichConfig, io: IzhikevichForwardIO): void;
  izhikevichBackward(cfg: IzhikevichConfig, io: IzhikevichBackwardIO): void;
}
