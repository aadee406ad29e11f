import type { NeuronEntry } from '../entry.js';
import { Izhikevich, IZHIKEVICH_OPTIONS } from './model.js';

export { Izhikevich, IZHIKEVICH_OPTIONS, type IzhikevichOptions } from './model.js';

export const izhikevichEntry: NeuronEntry = {
  name: 'izhikevich',
  kind: 'Izhikevich',
  options: IZHIKEVICH_OPTIONS,
  // v² term, 5v, u coupling, a(bv − u), Euler steps: about 6 MAC and 3 AC; v and u.
  cost: { macs: 6, acs: 3, stateWords: 2 },
  make: (f, o) => new Izhikevich(f, o),
};
