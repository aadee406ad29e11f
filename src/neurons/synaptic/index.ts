import type { NeuronEntry } from '../entry.js';
import { synapticNir } from './nir.js';
import { Synaptic, SYNAPTIC_OPTIONS } from './model.js';

export { Synaptic, SYNAPTIC_OPTIONS, type SynapticOptions } from './model.js';

export const synapticEntry: NeuronEntry = {
  name: 'synaptic',
  aliases: ['cubalif'],
  kind: 'Synaptic',
  options: SYNAPTIC_OPTIONS,
  // α·syn + I and β·mem + syn: 2 MAC; compare and reset: 2 AC; syn and mem.
  cost: { macs: 2, acs: 2, stateWords: 2 },
  nir: synapticNir,
  make: (f, o) => new Synaptic(f, o),
};
