import type { NeuronEntry } from '../entry.js';
import { ifNir } from './nir.js';
import { IF, IF_OPTIONS } from './model.js';

export { IF, IF_OPTIONS, type IFOptions } from './model.js';

export const ifEntry: NeuronEntry = {
  name: 'if',
  kind: 'IF',
  options: IF_OPTIONS,
  // v + I, compare, reset: additions only.
  cost: { macs: 0, acs: 3, stateWords: 1 },
  nir: ifNir,
  make: (f, o) => new IF(f, o),
};
