import type { StepRule } from '../step/rule.js';

/** Settings of the multi-level step (fixed per layer). */
export interface MultiLevelRuleSettings {
  /** D, the largest spike count per step (D = 1 is a binary neuron firing at h > θ/2). */
  levels: number;
  /** Emit c / D (true) or the count c itself (false). */
  normalized: boolean;
  /** Hard reset (v' = vReset when c > 0) instead of the soft v' = h − c·θ. */
  hardReset: boolean;
  vReset: number;
  /** No gradient through the reset term (the count in v' = h − c·θ, or the fired indicator of the hard reset). */
  detachReset: boolean;
}

/**
 * The multi-level integer-spike neuron (I-LIF; docs/equations.md §Multi-level
 * integer-spike LIF), with β and θ as parameters:
 *
 *   h = β·v + x,  u = h / θ
 *   c = Σ_{k=1..D} H(u − (k − ½))          = clamp(round(u), 0, D), halves rounded down
 *   s = c / D (normalized) or c (count)
 *   soft: v' = h − c·θ;  hard: v' = vReset if c > 0 else h
 *
 * Writing the count as D unit steps at the half-integers is what lets the
 * layer's surrogate define the backward: dc/du = Σ_k g(u − k + ½). With the
 * default surrogate, rectangle of width 1 (g = 1 on |z| < ½), the D boxes tile
 * 0 < u < D exactly, so dc/dh = 1/θ inside the clamp range and 0 outside: the
 * straight-through estimator of clamp(round(·), 0, D) (the window is open, and
 * the measure-zero points u = 1, …, D − 1 between boxes get 0). A smooth
 * surrogate gives a smoothed staircase instead; the test-only smooth forward
 * uses its primitive for each step, so the forward is differentiable and the
 * adjoint below is its exact derivative.
 */
export const multiLevelRule: StepRule<MultiLevelRuleSettings> = {
  name: 'MultiLevel',
  state: ['v'],
  params: ['beta', 'threshold'],
  binary: (k) => k.levels === 1,
  step(k, c, x, prev, p, next, out) {
    const be = p[0]!, th = p[1]!;
    const h = c.round(be * prev[0]! + x); // counts are decided on the stored charge, as for LIF
    const u = h / th;
    let n = 0;
    for (let l = 1; l <= k.levels; l++) n += c.spike(u - (l - 0.5));
    let v: number;
    if (k.hardReset) {
      const R = c.spike(u - 0.5); // fired at all: the first level's step
      v = c.smooth ? h + R * (k.vReset - h) : R > 0 ? k.vReset : h;
    } else v = h - n * th;
    next[0] = v;
    out[0] = k.normalized ? n / k.levels : n;
    out[1] = v;
  },
  adjoint(k, c, x, prev, p, gSpike, gMem, gNext, dPrev, dP) {
    const be = p[0]!, th = p[1]!, vp = prev[0]!;
    const h = c.round(be * vp + x);
    const u = h / th;
    let n = 0, G = 0;
    for (let l = 1; l <= k.levels; l++) {
      n += c.spike(u - (l - 0.5));
      G += c.grad(u - (l - 0.5));
    }
    const dv = gMem + gNext[0]!; // dL/dv'
    let dn = k.normalized ? gSpike / k.levels : gSpike; // dL/dc
    let dh: number, dth = 0, du = 0;
    if (k.hardReset) {
      const R = c.spike(u - 0.5);
      dh = dv * (1 - R);
      if (!k.detachReset) du += dv * (k.vReset - h) * c.grad(u - 0.5);
    } else {
      dh = dv;
      dth -= dv * n;
      if (!k.detachReset) dn -= dv * th;
    }
    du += dn * G;
    // u = h / θ
    dh += du / th;
    dth -= (du * h) / (th * th);
    dP[0] = dP[0]! + dh * vp;
    dP[1] = dP[1]! + dth;
    dPrev[0] = be * dh;
    return dh;
  },
};
