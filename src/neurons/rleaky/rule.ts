import { lifRule, type LifRuleSettings } from '../lif/rule.js';
import type { StepRule } from '../step/rule.js';

// Scratch for the inner LIF step (rules run synchronously, one call at a time).
const lifNext = new Float64Array(1), dLif = new Float64Array(1), dLifP = new Float64Array(2);

/**
 * snnTorch RLeaky with one-to-one recurrence (docs/equations.md §1 "RLeaky"):
 * the previous spike, weighted by V, adds to the input of the LIF-family step,
 *   LIF step with input x + V·s, and s' its spike.
 * The all-to-all form (W_rec·s, a product per step) is not an elementwise
 * rule; its fused op is tested against this one with W_rec diagonal.
 */
export const rleakyRule: StepRule<LifRuleSettings> = {
  name: 'RLeaky',
  state: ['v', 's'],
  params: ['beta', 'threshold', 'V'],
  binary: () => true,
  step(k, c, x, prev, p, next, out) {
    lifRule.step(k, c, x + p[2]! * prev[1]!, [prev[0]!], [p[0]!, p[1]!], lifNext, out);
    next[0] = lifNext[0]!;
    next[1] = out[0]!;
  },
  adjoint(k, c, x, prev, p, gSpike, gMem, gNext, dPrev, dP) {
    dLif[0] = 0;
    dLifP.fill(0);
    // The spike is an output and the next step's recurrent input.
    const dDrive = lifRule.adjoint(k, c, x + p[2]! * prev[1]!, [prev[0]!], [p[0]!, p[1]!], gSpike + gNext[1]!, gMem, [gNext[0]!], dLif, dLifP);
    dP[0] = dP[0]! + dLifP[0]!;
    dP[1] = dP[1]! + dLifP[1]!;
    dP[2] = dP[2]! + dDrive * prev[1]!;
    dPrev[0] = dLif[0]!;
    dPrev[1] = dDrive * p[2]!;
    return dDrive;
  },
};
