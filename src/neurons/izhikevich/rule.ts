import type { StepRule } from '../step/rule.js';

export interface IzhikevichRuleSettings {
  a: number;
  b: number;
  c: number;
  d: number;
  vPeak: number;
  detachReset: boolean;
}

const dvdt = (v: number, u: number, x: number): number => 0.04 * v * v + 5 * v + 140 - u + x;

/**
 * Izhikevich (2003; docs/equations.md §1 "Izhikevich"), one step per
 * millisecond: v takes two half steps, then u one step with the new v clipped
 * at vPeak (a 1 ms step can overshoot the peak by hundreds of mV);
 *   s = H(v − vPeak);  v' = v + s(c − v);  u' = u + a(b·min(v, vPeak) − u) + d·s.
 */
export const izhikevichRule: StepRule<IzhikevichRuleSettings> = {
  name: 'Izhikevich',
  state: ['v', 'u'],
  params: [],
  binary: () => true,
  step(k, c, x, prev, _p, next, out) {
    const vp = prev[0]!, up = prev[1]!;
    const v1 = vp + 0.5 * dvdt(vp, up, x);
    const v2 = c.round(v1 + 0.5 * dvdt(v1, up, x));
    const uu = up + k.a * (k.b * Math.min(v2, k.vPeak) - up);
    const s = c.spike(v2 - k.vPeak);
    next[0] = v2 + s * (k.c - v2);
    next[1] = uu + k.d * s;
    out[0] = s;
    out[1] = next[0]!;
  },
  adjoint(k, c, x, prev, _p, gSpike, gMem, gNext, dPrev) {
    const vp = prev[0]!, up = prev[1]!;
    const v1 = vp + 0.5 * dvdt(vp, up, x);
    const v2 = c.round(v1 + 0.5 * dvdt(v1, up, x));
    const s = c.spike(v2 - k.vPeak);
    const dv = gMem + gNext[0]!, du = gNext[1]!;
    let dS = gSpike;
    if (!k.detachReset) dS += dv * (k.c - v2) + du * k.d;
    const dv2 = dv * (1 - s) + dS * c.grad(v2 - k.vPeak) + (v2 < k.vPeak ? du * k.a * k.b : 0);
    const dv1 = dv2 * (1 + 0.5 * (0.08 * v1 + 5));
    dPrev[0] = dv1 * (1 + 0.5 * (0.08 * vp + 5));
    dPrev[1] = du * (1 - k.a) - 0.5 * (dv2 + dv1);
    return 0.5 * (dv2 + dv1);
  },
};
