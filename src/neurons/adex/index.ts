import type { NeuronEntry } from '../entry.js';
import { ADEX_OPTIONS, AdEx, type AdExOptions } from './model.js';

export { AdEx, ADEX_OPTIONS, type AdExOptions };
export { adexRule, type AdExRuleSettings } from './rule.js';

/**
 * `type: adex` in configs. Cost per neuron and step, the Euler step written
 * the cheapest straightforward way (constants such as dt/C, gL·Δ_T and 1/Δ_T
 * folded once per layer):
 *  - v: (v − E_L) 1 AC, gL·(v − E_L) 1 MAC, gL·Δ_T·e 1 MAC, − w + I 2 AC,
 *    v + (dt/C)·(…) 1 MAC;
 *  - the exponential: the cap min(v, V_peak) 1 AC, the argument
 *    ṽ/Δ_T − V_T/Δ_T 1 MAC, exp itself counted as 6 MAC (a range reduction
 *    and a degree-5 polynomial, the usual float32 evaluation);
 *  - w: a·(v − E_L) − w 1 MAC + 1 AC, w + (dt/τ_w)·(…) 1 MAC;
 *  - the threshold test, the reset select and w + b on a spike: 3 AC.
 * 12 MAC and 8 AC; two state words (v, w).
 */
export const adexEntry: NeuronEntry = {
  name: 'adex',
  aliases: ['aeif'],
  doc: 'adaptive exponential integrate-and-fire (Brette & Gerstner 2005), forward Euler, mV/pA/ms units',
  options: ADEX_OPTIONS,
  kind: 'AdEx',
  cost: { macs: 12, acs: 8, stateWords: 2 },
  make: (features, options) => new AdEx(features, options as AdExOptions),
};
