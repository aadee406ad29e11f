import { ResetMode, type LifConfig } from '../../backend/kernels/neuron.js';
import type { StepRule } from '../step/rule.js';

/**
 * Settings of the LIF-family step (fixed per layer): the fused kernels' own
 * settings (see LifConfig: resetMode, delayedReset, correctedReset, detachReset, inputLeak, vReset).
 */
export type LifRuleSettings = Pick<LifConfig, 'resetMode' | 'delayedReset' | 'correctedReset' | 'detachReset' | 'inputLeak' | 'vReset'>;

/**
 * The LIF family's step (IF, snnTorch Leaky, SpikingJelly LIFNode, PLIF;
 * docs/equations.md §1), with β and θ as parameters:
 *
 *   drive = γ·x,  γ = 1 − β if inputLeak else 1
 *   prior reset (delayed, or snnTorch same-step), R = H(v − θ) on the previous membrane v:
 *     subtract   h = vr + β(v − vr) + drive − R·θ
 *     zero       h = vr + β(v + R(vr − v) − vr) + drive
 *     zeroAfter  h = h0 + R(vr − h0),  h0 = vr + β(v − vr) + drive
 *   otherwise    h = vr + β(v − vr) + drive
 *   s = H(h − θ) (H(0) = 0, or 1 for a model that fires at the threshold: ctx.spike), then
 *     delayed                      v' = h
 *     same-step, textbook          v' = h − s·θ (subtract) or h + s(vr − h) (zero)
 *     same-step, snnTorch          d = s − R;  v' = h − d·θ (subtract) or h + d(vr − h) (zero)
 *
 * The snnTorch same-step form is snnTorch's `reset_delay=False` (Leaky,
 * Synaptic, RLeaky): R is taken from the membrane the previous step left, so
 * when one step drives h past 2θ, v' is still above θ, R = 1 on the next step
 * and that step's spike is decided on h − θ: the two same-step forms then
 * differ. Its correction uses the spike that carries the surrogate gradient
 * (only R is detached, as snnTorch's mem_reset does), so `detachReset` there
 * governs R alone; in the textbook form it detaches the spike in the reset
 * (SpikingJelly's detach_reset).
 *
 * This is the oracle the fused kernels (TypeScript, wasm, native) are tested
 * against; training runs those kernels, not this function.
 */
export const lifRule: StepRule<LifRuleSettings> = {
  name: 'LIF',
  state: ['v'],
  params: ['beta', 'threshold'],
  binary: () => true,
  step(k, c, x, prev, p, next, out) {
    const be = p[0]!, th = p[1]!, vp = prev[0]!, vr = k.vReset, mode = k.resetMode;
    const corrected = !k.delayedReset && k.correctedReset === true && mode !== ResetMode.none;
    const drive = (k.inputLeak ? 1 - be : 1) * x;
    let h: number;
    let R = 0;
    if ((k.delayedReset || corrected) && mode !== ResetMode.none) {
      R = c.spike(vp - th);
      if (mode === ResetMode.subtract) h = vr + be * (vp - vr) + drive - R * th;
      // A select when R is 0/1, as the kernels do (vp + (vr − vp) need not round to vr).
      else if (mode === ResetMode.zero) h = vr + be * (c.smooth ? vp + R * (vr - vp) - vr : R > 0 ? 0 : vp - vr) + drive;
      else {
        const h0 = vr + be * (vp - vr) + drive;
        h = h0 + R * (vr - h0);
      }
    } else h = vr + be * (vp - vr) + drive;
    h = c.round(h); // the spike is decided on the stored value
    const s = c.spike(h - th);
    let v = h;
    if (corrected) {
      const d = s - R;
      v = mode === ResetMode.subtract ? h - d * th : h + d * (vr - h);
    } else if (!k.delayedReset && mode === ResetMode.subtract) v = h - s * th;
    else if (!k.delayedReset && mode !== ResetMode.none) v = c.smooth ? h + s * (vr - h) : s > 0 ? vr : h; // a select when s is 0/1, as the kernels do
    next[0] = v;
    out[0] = s;
    out[1] = v;
  },
  adjoint(k, c, x, prev, p, gSpike, gMem, gNext, dPrev, dP) {
    const be = p[0]!, th = p[1]!, vp = prev[0]!, vr = k.vReset, mode = k.resetMode;
    const corrected = !k.delayedReset && k.correctedReset === true && mode !== ResetMode.none;
    // R enters the charge under the delayed reset and under snnTorch's same-step form.
    const prior = (k.delayedReset || corrected) && mode !== ResetMode.none;
    const drive = (k.inputLeak ? 1 - be : 1) * x;
    const R = prior ? c.spike(vp - th) : 0;
    const h0 = vr + be * (vp - vr) + drive;
    let h: number;
    if (!prior) h = h0;
    else if (mode === ResetMode.subtract) h = h0 - R * th;
    else if (mode === ResetMode.zero) h = vr + be * (c.smooth ? vp + R * (vr - vp) - vr : R > 0 ? 0 : vp - vr) + drive;
    else h = h0 + R * (vr - h0);
    h = c.round(h);
    const z = h - th, g = c.grad(z), s = c.spike(z);
    // Back through the reset that follows the spike.
    const dv = gMem + gNext[0]!;
    let dS = gSpike, dth = 0, dh: number;
    let dRc = 0; // gradient reaching R through snnTorch's correction (s − R)
    if (corrected) {
      const d = s - R;
      if (mode === ResetMode.subtract) {
        dh = dv;
        dth -= dv * d;
        dS -= th * dv;
        dRc = th * dv;
      } else {
        dh = dv * (1 - d);
        dS += dv * (vr - h);
        dRc = -dv * (vr - h);
      }
    } else if (k.delayedReset || mode === ResetMode.none) dh = dv;
    else if (mode === ResetMode.subtract) {
      dh = dv;
      dth -= dv * s;
      if (!k.detachReset) dS -= th * dv;
    } else {
      dh = dv * (1 - s);
      if (!k.detachReset) dS += dv * (vr - h);
    }
    dh += dS * g;
    dth -= dS * g;
    // Back through the charge and the prior reset folded into it.
    let dcharge = dh, dvp: number, dbeta: number;
    if (prior) {
      let dR: number;
      if (mode === ResetMode.subtract) {
        dvp = be * dh;
        dbeta = dh * (vp - vr);
        dth -= dh * R;
        dR = -dh * th;
      } else if (mode === ResetMode.zero) {
        const du = be * dh;
        dvp = du * (1 - R);
        dbeta = dh * (vp + R * (vr - vp) - vr);
        dR = du * (vr - vp);
      } else {
        dcharge = dh * (1 - R);
        dR = dh * (vr - h0);
        dvp = be * dcharge;
        dbeta = dcharge * (vp - vr);
      }
      if (!k.detachReset) {
        const gr = c.grad(vp - th);
        dR += dRc;
        dvp += dR * gr;
        dth -= dR * gr;
      }
    } else {
      dvp = be * dh;
      dbeta = dh * (vp - vr);
    }
    let dx = dcharge;
    if (k.inputLeak) {
      dbeta -= dcharge * x;
      dx = (1 - be) * dcharge;
    }
    dP[0] = dP[0]! + dbeta;
    dP[1] = dP[1]! + dth;
    dPrev[0] = dvp;
    return dx;
  },
};
