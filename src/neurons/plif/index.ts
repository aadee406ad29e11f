import type { NeuronEntry } from '../entry.js';
import { plifNir } from './nir.js';
import { PLIF, PLIF_OPTIONS } from './model.js';

export { PLIF, PLIF_OPTIONS, type PLIFOptions } from './model.js';

export const plifEntry: NeuronEntry = {
  name: 'plif',
  kind: 'PLIF',
  options: PLIF_OPTIONS,
  // the trainable 1/τ is still one multiply per step.
  cost: { macs: 1, acs: 2, stateWords: 1 },
  nir: plifNir,
  make: (f, o) => new PLIF(f, o),
};
