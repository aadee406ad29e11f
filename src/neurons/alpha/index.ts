import type { NeuronEntry } from '../entry.js';
import { Alpha, ALPHA_OPTIONS } from './model.js';

export { Alpha, ALPHA_OPTIONS, type AlphaOptions } from './model.js';

export const alphaEntry: NeuronEntry = {
  name: 'alpha',
  kind: 'Alpha',
  options: ALPHA_OPTIONS,
  // two synaptic decays and τα·(exc + inh): 3 MAC; compare, reset: 2 AC; two currents.
  cost: { macs: 3, acs: 2, stateWords: 2 },
  make: (f, o) => new Alpha(f, o),
};
