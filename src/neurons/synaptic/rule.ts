import { lifRule, type LifRuleSettings } from '../lif/rule.js';
import type { StepRule } from '../step/rule.js';

// Scratch for the inner LIF step (rules run synchronously, one call at a time).
const lifNext = new Float64Array(1), dLif = new Float64Array(1), dLifP = new Float64Array(2);

/**
 * Current-based LIF (snnTorch Synaptic; docs/equations.md §1 "Synaptic"): a
 * first-order synaptic current that is never reset feeds the LIF-family step,
 *   syn' = α·syn + x;  then the LIF step with input syn' (lif/rule.ts).
 */
export const synapticRule: StepRule<LifRuleSettings> = {
  name: 'Synaptic',
  state: ['syn', 'v'],
  params: ['alpha', 'beta', 'threshold'],
  binary: () => true,
  step(k, c, x, prev, p, next, out) {
    const syn = c.round(p[0]! * prev[0]! + x);
    lifRule.step(k, c, syn, [prev[1]!], [p[1]!, p[2]!], lifNext, out);
    next[0] = syn;
    next[1] = lifNext[0]!;
  },
  adjoint(k, c, x, prev, p, gSpike, gMem, gNext, dPrev, dP) {
    const syn = c.round(p[0]! * prev[0]! + x);
    dLif[0] = 0;
    dLifP.fill(0);
    const dSynLif = lifRule.adjoint(k, c, syn, [prev[1]!], [p[1]!, p[2]!], gSpike, gMem, [gNext[1]!], dLif, dLifP);
    const dSyn = dSynLif + gNext[0]!;
    dP[0] = dP[0]! + dSyn * prev[0]!;
    dP[1] = dP[1]! + dLifP[0]!;
    dP[2] = dP[2]! + dLifP[1]!;
    dPrev[0] = p[0]! * dSyn;
    dPrev[1] = dLif[0]!;
    return dSyn;
  },
};
