import type { NeuronEntry } from '../entry.js';
import { lifNir } from './nir.js';
import { LIF, LIF_OPTIONS } from './model.js';

export { LIF, LIF_OPTIONS, type LIFOptions } from './model.js';

export const lifEntry: NeuronEntry = {
  name: 'lif',
  aliases: ['leaky'],
  kind: 'LIF',
  options: LIF_OPTIONS,
  // β·v + I (1 MAC), compare and reset (2 AC), the membrane (1 word).
  cost: { macs: 1, acs: 2, stateWords: 1 },
  nir: lifNir,
  make: (f, o) => new LIF(f, o),
};
