import type { StepRule } from '../step/rule.js';

/** Settings of the AdEx step (fixed per layer), in the model's units: pF, nS, mV, ms, pA. */
export interface AdExRuleSettings {
  /** Membrane capacitance C (pF). */
  cm: number;
  /** Leak conductance gL (nS). */
  gL: number;
  /** Leak reversal E_L (mV). */
  eL: number;
  /** Threshold slope factor Δ_T (mV). */
  deltaT: number;
  /** Rheobase-like threshold V_T (mV). */
  vT: number;
  /** Adaptation time constant τ_w (ms). */
  tauW: number;
  /** Reset potential V_r (mV). */
  vReset: number;
  /** Spike cut-off V_peak (mV); also the cap on v inside the exponential. */
  vPeak: number;
  /** Euler step (ms). */
  dt: number;
  /** No gradient through the spike in the reset (v ← V_r) and the jump w ← w + b. */
  detachReset: boolean;
}

/**
 * Adaptive exponential integrate-and-fire (Brette & Gerstner 2005;
 * docs/equations.md §AdEx), one forward-Euler step of dt, with the
 * subthreshold adaptation a (nS) and the spike-triggered jump b (pA) as
 * parameters and the input x the injected current I (pA):
 *
 *   ṽ  = min(v, V_peak)                                       (the cap: exp never sees more than (V_peak − V_T)/Δ_T)
 *   v₁ = v + (dt/C)·(−gL·(v − E_L) + gL·Δ_T·exp((ṽ − V_T)/Δ_T) − w + x)
 *   w₁ = w + (dt/τ_w)·(a·(v − E_L) − w)
 *   S  = H(v₁ − V_peak);  v' = V_r if S else v₁;  w' = w₁ + b·S
 *
 * The scan never hands the step a v above V_peak (a crossing resets it), so
 * the cap only acts on a state set from outside or in the test-only smooth
 * mode, where the reset is partial; the adjoint differentiates the capped
 * expression exactly (no exponential term in dv₁/dv above V_peak).
 */
export const adexRule: StepRule<AdExRuleSettings> = {
  name: 'AdEx',
  state: ['v', 'w'],
  params: ['a', 'b'],
  binary: () => true,
  step(k, c, x, prev, p, next, out) {
    const v = prev[0]!, w = prev[1]!, a = p[0]!, b = p[1]!;
    const ex = Math.exp((Math.min(v, k.vPeak) - k.vT) / k.deltaT);
    const v1 = c.round(v + (k.dt / k.cm) * (-k.gL * (v - k.eL) + k.gL * k.deltaT * ex - w + x)); // the spike is decided on the stored value
    const w1 = w + (k.dt / k.tauW) * (a * (v - k.eL) - w);
    const S = c.spike(v1 - k.vPeak);
    const vOut = c.smooth ? v1 + S * (k.vReset - v1) : S > 0 ? k.vReset : v1; // a select when S is 0/1
    next[0] = vOut;
    next[1] = w1 + b * S;
    out[0] = S;
    out[1] = vOut;
  },
  adjoint(k, c, x, prev, p, gSpike, gMem, gNext, dPrev, dP) {
    const v = prev[0]!, w = prev[1]!, a = p[0]!, b = p[1]!;
    const capped = v > k.vPeak;
    const ex = Math.exp((Math.min(v, k.vPeak) - k.vT) / k.deltaT);
    const kv = k.dt / k.cm, kw = k.dt / k.tauW;
    const v1 = c.round(v + kv * (-k.gL * (v - k.eL) + k.gL * k.deltaT * ex - w + x));
    const z = v1 - k.vPeak, S = c.spike(z);
    const dvOut = gMem + gNext[0]!, dwOut = gNext[1]!;
    // Back through v' = v₁ + S·(V_r − v₁) (the select, when S is 0/1) and w' = w₁ + b·S.
    let dS = gSpike;
    let dv1 = dvOut * (1 - S);
    if (!k.detachReset) dS += dvOut * (k.vReset - v1) + dwOut * b;
    dP[1] = dP[1]! + dwOut * S;
    dv1 += dS * c.grad(z);
    // Back through the Euler steps; d/dv of gL·Δ_T·exp((v − V_T)/Δ_T) is gL·exp(·), and 0 where the cap holds.
    const dw1 = dwOut;
    dPrev[0] = dv1 * (1 + kv * (-k.gL + (capped ? 0 : k.gL * ex))) + dw1 * kw * a;
    dPrev[1] = -dv1 * kv + dw1 * (1 - kw);
    dP[0] = dP[0]! + dw1 * kw * (v - k.eL);
    return dv1 * kv;
  },
};
