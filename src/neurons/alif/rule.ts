import { ResetMode } from '../../backend/kernels/neuron.js';
import type { StepRule } from '../step/rule.js';

export interface AlifRuleSettings {
  /** Adaptation decay ρ = exp(−1/τa). */
  rho: number;
  /** Adaptation strength βa. */
  betaA: number;
  /** ResetMode.subtract (by the adaptive threshold) or ResetMode.zero. */
  resetMode: number;
  detachReset: boolean;
}

/**
 * Adaptive LIF (Bellec et al. 2018; docs/equations.md §1 "Adaptive LIF"), with
 * the previous spike s as a state variable:
 *   a' = ρ·a + s;  A = θ0 + βa·a';  h = β·v + x;  s' = H(h − A);
 *   v' = h − A·s' (subtract) or h·(1 − s') (zero).
 * The previous spike enters a' through the surrogate (LSNN training), so the
 * adjoint carries three gradients back: membrane, adaptation, previous spike.
 */
export const alifRule: StepRule<AlifRuleSettings> = {
  name: 'ALIF',
  state: ['v', 'a', 's'],
  params: ['beta', 'threshold'],
  binary: () => true,
  step(k, c, x, prev, p, next, out) {
    const a = c.round(k.rho * prev[1]! + prev[2]!);
    const A = p[1]! + k.betaA * a;
    const h = c.round(p[0]! * prev[0]! + x);
    const s = c.spike(h - A);
    next[0] = k.resetMode === ResetMode.subtract ? h - A * s : h * (1 - s);
    next[1] = a;
    next[2] = s;
    out[0] = s;
    out[1] = next[0]!;
  },
  adjoint(k, c, x, prev, p, gSpike, gMem, gNext, dPrev, dP) {
    const be = p[0]!, vp = prev[0]!;
    const a = c.round(k.rho * prev[1]! + prev[2]!);
    const A = p[1]! + k.betaA * a;
    const h = c.round(be * vp + x);
    const g = c.grad(h - A), s = c.spike(h - A);
    const dv = gMem + gNext[0]!;
    // The spike is both an output and the next step's adaptation input.
    let dS = gSpike + gNext[2]!, dh: number, dA: number;
    if (k.resetMode === ResetMode.subtract) {
      dh = dv;
      dA = -s * dv;
      if (!k.detachReset) dS -= A * dv;
    } else {
      dh = dv * (1 - s);
      dA = 0;
      if (!k.detachReset) dS -= h * dv;
    }
    dh += dS * g;
    dA -= dS * g;
    const da = gNext[1]! + k.betaA * dA;
    dP[0] = dP[0]! + dh * vp;
    dP[1] = dP[1]! + dA;
    dPrev[0] = be * dh;
    dPrev[1] = k.rho * da;
    dPrev[2] = da;
    return dh;
  },
};
