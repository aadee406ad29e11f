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

/**
 * The firing rule as one comparison, for the reference kernels and the step rules: a spike
 * when z = h − θ > cut. cut = 0 is H(0) = 0; cut = −Number.MIN_VALUE (the negative double
 * nearest zero) is H(0) = 1, since no double lies between it and −0: z > cut exactly when
 * z ≥ 0 (never for NaN). h − θ of two stored values is 0 only when they are equal, so for
 * finite θ this is h ≥ θ. It relies on subnormals being kept, as JavaScript always does.
 * The native kernels and the wasm forward make the same decisions with one loop per rule
 * (h > θ, or h − θ ≥ 0) instead; the wasm backward compares with the float counterpart of
 * the cut (docs/design.md, "Firing rule").
 */
export function spikeCut(fireAtThreshold: boolean | undefined): number {
  return fireAtThreshold === true ? -Number.MIN_VALUE : 0;
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
 * same-step reset, textbook form (correctedReset false): v[t] = h[t] − θ·s[t] (subtract)
 *   or vReset where s[t] = 1 (zero);
 * same-step reset, snnTorch form (correctedReset true): R[t] enters h as under the delayed
 *   reset, then the same-step correction d = s[t] − R[t] gives v[t] = h[t] − d·θ (subtract)
 *   or h[t] + d·(vReset − h[t]) (zero, zeroAfter); the spike in d carries the surrogate
 *   gradient, R follows detachReset as under the delayed reset;
 * s[t] = H(h[t] − θ), with H(0) = 0 (snnTorch: spike at h > θ) or, under fireAtThreshold,
 *   H(0) = 1 (SpikingJelly: spike at h ≥ θ); R uses the same H.
 */
export interface LifConfig {
  T: number;
  B: number;
  F: number;
  resetMode: number;
  delayedReset: boolean;
  /**
   * Same-step reset only (delayedReset false): snnTorch's form (reset_delay=False), which
   * also applies R = H(v[t-1] − θ) and then corrects by (s − R). Absent or false: the
   * textbook same-step rule (SpikingJelly, NIR). Ignored under the delayed reset.
   */
  correctedReset?: boolean;
  detachReset: boolean;
  inputLeak: boolean;
  vReset: number;
  /**
   * The firing rule: true means s = H(h − θ) with H(0) = 1, a spike when the membrane
   * reaches the threshold (SpikingJelly's heaviside, x ≥ 0); absent or false, H(0) = 0, a
   * spike only above it (snnTorch, NIR). Also the H of R = H(v[t-1] − θ). Every kernel
   * decides as `h − θ > spikeCut(fireAtThreshold)` (below), so the choice costs no branch.
   */
  fireAtThreshold?: boolean;
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

/**
 * A fused scan a backend provides for one model family, registered in its
 * `neuronKernels` table under the family's id. Each call returns false when
 * it does not handle that configuration (recurrence, the smooth test forward,
 * storage it does not own); the scan op then runs the TypeScript reference
 * kernel that lives in the model's folder (src/neurons/<model>/kernel.ts). A
 * model with no fused kernel anywhere runs its step rule through the generic
 * scan. So the `Backend` type never grows per neuron.
 */
export interface FusedScan<C, F, B> {
  forward(cfg: C, io: F): boolean;
  backward(cfg: C, io: B): boolean;
}

/** A typed name for one family's fused kernel: backends register under `id`, scan ops look it up with `fusedKernel`. */
export interface FusedKernelKey<C, F, B> {
  readonly id: string;
  /** Phantom member carrying the kernel's types; never set. */
  readonly types?: FusedScan<C, F, B>;
}

export function fusedKernelKey<C, F, B>(id: string): FusedKernelKey<C, F, B> {
  return Object.freeze({ id });
}

/** What a backend registers: model family id → fused kernel (method parameters are bivariant, so any FusedScan fits). */
export type NeuronKernelTable = Readonly<Record<string, FusedScan<unknown, unknown, unknown>>>;

/** The backend's fused kernel for a family, or undefined (run the reference). */
export function fusedKernel<C, F, B>(table: NeuronKernelTable, key: FusedKernelKey<C, F, B>): FusedScan<C, F, B> | undefined {
  return table[key.id] as FusedScan<C, F, B> | undefined;
}

/** The LIF family's scan (IF, Leaky, LIFNode, PLIF, RLeaky, Synaptic's membrane): fused on wasm and native. */
export const LIF_SCAN = fusedKernelKey<LifConfig, LifForwardIO, LifBackwardIO>('lif');

/**
 * The multi-level integer-spike neuron (I-LIF, QSD-Transformer's Multispike; docs/equations.md
 * §1 "Multi-level integer-spike LIF", the step rule in src/neurons/multilevel/rule.ts), per neuron and step:
 *   h[t] = β·v[t-1] + x[t], stored (rounded to the storage dtype);  u = h/θ
 *   c = #{k ∈ 1..D : u − (k − ½) > 0} = clamp(round(u), 0, D) with halves rounded down
 *   s = c/D (normalized) or c;  soft: v[t] = h − c·θ;  hard: v[t] = vReset if c > 0 else h
 * The backward is the rule's adjoint: dc/du = Σ_k g(u − k + ½) for the layer's surrogate g.
 * The field names of the settings are the rule's (MultiLevelRuleSettings).
 */
export interface MultiLevelConfig {
  T: number;
  B: number;
  F: number;
  /** D ≥ 1, the largest count per step. */
  levels: number;
  /** Emit c/D rather than c. */
  normalized: boolean;
  hardReset: boolean;
  vReset: number;
  detachReset: boolean;
  betaPerNeuron: boolean;
  thresholdPerNeuron: boolean;
  surrogate: SurrogateCode;
}

export interface MultiLevelForwardIO {
  x: Storage;
  v0: Storage;
  beta: Storage;
  threshold: Storage;
  /** Out: s [T, N]. */
  spikes: Storage;
  /** Out: the post-reset membrane v [T, N] (the layer's membrane trace; its last row is the state). */
  v: Storage;
}

/**
 * Backward inputs: the gradients of the spike and membrane traces and of the final state
 * (null meaning zero). The kernel recomputes h, u and c from (x, v[t-1], β, θ), so the
 * forward keeps nothing but its outputs.
 */
export interface MultiLevelBackwardIO extends MultiLevelForwardIO {
  gSpikes: Storage | null;
  gMem: Storage | null;
  /** Gradient of the final state v[T-1] ([N]): the carry the backward starts from. */
  gState: Storage | null;
  /** Out (null = not needed). */
  dx: Storage | null;
  dv0: Storage | null;
  dBeta: Storage | null;
  dThreshold: Storage | null;
}

/** The multi-level neuron's scan: fused on wasm and native for Heaviside spikes (the smooth test forward runs the reference). */
export const MULTILEVEL_SCAN = fusedKernelKey<MultiLevelConfig, MultiLevelForwardIO, MultiLevelBackwardIO>('multilevel');
