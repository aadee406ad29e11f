import type { NeuronEntry } from '../entry.js';
import { ALIF, ALIF_OPTIONS } from './model.js';

export { ALIF, ALIF_OPTIONS, type ALIFOptions } from './model.js';

export const alifEntry: NeuronEntry = {
  name: 'alif',
  kind: 'ALIF',
  options: ALIF_OPTIONS,
  // β·v + I, ρ·a + s, θ0 + βa·a: 3 MAC; compare, reset: 2 AC; membrane and trace.
  cost: { macs: 3, acs: 2, stateWords: 2 },
  make: (f, o) => new ALIF(f, o),
};
