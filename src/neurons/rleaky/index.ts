import type { NeuronEntry } from '../entry.js';
import { RLeaky, RLEAKY_OPTIONS } from './model.js';

export { RLeaky, RLEAKY_OPTIONS, type RLeakyOptions } from './model.js';

export const rleakyEntry: NeuronEntry = {
  name: 'rleaky',
  kind: 'RLeaky',
  options: RLEAKY_OPTIONS,
  // β·mem + I and V·spk[t-1]: 2 MAC; compare, reset: 2 AC (all-to-all recurrence is counted as synaptic operations of its own).
  cost: { macs: 2, acs: 2, stateWords: 1 },
  make: (f, o, rng) => new RLeaky(f, o, rng),
};
