import type { NeuronEntry } from '../entry.js';
import { lifNodeNir } from './nir.js';
import { LIFNode, LIF_NODE_OPTIONS } from './model.js';

export { LIFNode, LIF_NODE_OPTIONS, type LIFNodeOptions } from './model.js';

export const lifNodeEntry: NeuronEntry = {
  name: 'sjlif',
  aliases: ['lifnode'],
  kind: 'LIFNode',
  options: LIF_NODE_OPTIONS,
  // the leak toward vReset is one multiply-add, as LIF.
  cost: { macs: 1, acs: 2, stateWords: 1 },
  nir: lifNodeNir,
  make: (f, o) => new LIFNode(f, o),
};
