import { spikeCut, type SurrogateCode } from '../../backend/kernels/neuron.js';
import { sgGrad, sgPrimitive } from '../../backend/reference.js';

/*
 * A neuron model's step rule: the readable definition of its dynamics and the
 * oracle every fused kernel is tested against (Norse/Spyx style). It works on
 * one neuron at one time step, on plain numbers, so the equations read as
 * they are written in docs/equations.md; `scanRule` (./scan.ts) runs it over a
 * [T, B, ...] sequence forward and backward for any model, and a model
 * without a fused kernel on a backend runs that generic path there.
 */

/**
 * What a rule needs beyond its own numbers: how to turn u = v − θ into a
 * spike (Heaviside forward, or the surrogate's primitive in the test-only
 * smooth mode), the surrogate derivative, and the rounding of the backend's
 * storage dtype (a rule that decides a spike on a stored value rounds it
 * first, as the fused kernels decide on the stored trace).
 */
export interface StepContext {
  /**
   * H(u) = 1 when u > 0, else 0 (smooth mode: P(u)); for a model that fires at the
   * threshold (SpikingJelly's neurons, LifConfig.fireAtThreshold) H(0) = 1 as well.
   */
  spike(u: number): number;
  /** dS/du for the backward: the surrogate g(u). */
  grad(u: number): number;
  /** True in the test-only smooth mode (spikes are P(u), not 0/1). */
  readonly smooth: boolean;
  /** The value as the backend stores it (Math.fround on float32 backends). */
  round(v: number): number;
}

export function stepContext(s: SurrogateCode, float32 = true, fireAtThreshold = false): StepContext {
  const { id, p0, p1, smooth } = s;
  // The same comparison as the fused kernels (spikeCut), so rule and kernels decide alike.
  const cut = spikeCut(fireAtThreshold);
  return {
    smooth,
    round: float32 ? Math.fround : (v) => v,
    spike: smooth ? (u) => sgPrimitive(id, p0, p1, u) : (u) => (u > cut ? 1 : 0),
    grad: (u) => sgGrad(id, p0, p1, u),
  };
}

/**
 * One model's step rule with its adjoint. `K` holds the model's settings
 * (plain numbers and flags, fixed for a run). State variables and tensor
 * parameters are addressed by position in `state` and `params`.
 */
export interface StepRule<K> {
  /** Model name, for messages. */
  readonly name: string;
  /** State variables per neuron, in order (e.g. ['v', 'w']). */
  readonly state: readonly string[];
  /** Tensor parameters, each per layer (1 value) or per neuron (F values), in order. */
  readonly params: readonly string[];
  /** Whether spikes are 0/1 in the Heaviside mode (event-driven layers downstream rely on it). */
  readonly binary: (k: K) => boolean;
  /**
   * One step of one neuron: from the input x, the previous state and the
   * parameters, write the next state into `next` and set out[0] = spike,
   * out[1] = the membrane value the layer records.
   */
  step(k: K, ctx: StepContext, x: number, prev: ArrayLike<number>, p: ArrayLike<number>, next: Float64Array, out: Float64Array): void;
  /**
   * The step's vector–Jacobian product. Given dL/dspike, dL/dmembrane and
   * dL/dnext[j], write dL/dprev[j] into `dPrev`, ADD dL/dp[i] into `dP`, and
   * return dL/dx. Recomputes what it needs from (x, prev, p), so the scan
   * stores only the state trace.
   */
  adjoint(
    k: K, ctx: StepContext, x: number, prev: ArrayLike<number>, p: ArrayLike<number>,
    gSpike: number, gMem: number, gNext: ArrayLike<number>, dPrev: Float64Array, dP: Float64Array,
  ): number;
}
