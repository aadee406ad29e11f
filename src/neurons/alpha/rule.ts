import type { StepRule } from '../step/rule.js';

export interface AlphaRuleSettings {
  alpha: number;
  beta: number;
  /** τα = ln α / (ln β − ln α) + 1. */
  tau: number;
  /** ResetMode.zero (delayed) or ResetMode.none. */
  resetMode: number;
  detachReset: boolean;
}

/**
 * snnTorch Alpha (docs/equations.md §1 "Alpha"): excitatory and inhibitory
 * traces whose sum drives the membrane; the delayed zero reset R = H(m − θ)
 * of the previous membrane scales all three:
 *   k = 1 − R;  e' = k(α·e + x);  i' = k(β·i − x);  m' = k·τα·(α·e + x + β·i − x);  s = H(m' − θ).
 * The membrane is a state variable of its own (its stored value decides the
 * next reset); a layer starts it at τα·(e + i).
 */
export const alphaRule: StepRule<AlphaRuleSettings> = {
  name: 'Alpha',
  state: ['e', 'i', 'm'],
  params: ['threshold'],
  binary: () => true,
  step(k, c, x, prev, p, next, out) {
    const th = p[0]!;
    const kk = k.resetMode !== 0 ? 1 - c.spike(prev[2]! - th) : 1;
    const xe = k.alpha * prev[0]! + x;
    const xi = k.beta * prev[1]! - x;
    next[0] = kk * xe;
    next[1] = kk * xi;
    const m = c.round(kk * k.tau * (xe + xi));
    next[2] = m;
    out[0] = c.spike(m - th);
    out[1] = m;
  },
  adjoint(k, c, x, prev, p, gSpike, gMem, gNext, dPrev, dP) {
    const th = p[0]!, mp = prev[2]!;
    const kk = k.resetMode !== 0 ? 1 - c.spike(mp - th) : 1;
    const xe = k.alpha * prev[0]! + x;
    const xi = k.beta * prev[1]! - x;
    const m = c.round(kk * k.tau * (xe + xi));
    const g = c.grad(m - th);
    let dth = -gSpike * g;
    const dm = gMem + gNext[2]! + gSpike * g;
    const de = gNext[0]!, di = gNext[1]!;
    const dxe = kk * (de + k.tau * dm);
    const dxi = kk * (di + k.tau * dm);
    dPrev[0] = k.alpha * dxe;
    dPrev[1] = k.beta * dxi;
    let dmp = 0;
    if (k.resetMode !== 0 && !k.detachReset) {
      const dR = -(xe * de + xi * di + k.tau * (xe + xi) * dm);
      const gr = c.grad(mp - th);
      dmp = dR * gr;
      dth -= dR * gr;
    }
    dPrev[2] = dmp;
    dP[0] = dP[0]! + dth;
    return dxe - dxi;
  },
};
