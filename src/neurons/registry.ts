import { Registry } from '../registry/registry.js';
import type { NeuronEntry } from './entry.js';
import { lifEntry } from './lif/index.js';
import { rleakyEntry } from './rleaky/index.js';
import { synapticEntry } from './synaptic/index.js';
import { alphaEntry } from './alpha/index.js';
import { alifEntry } from './alif/index.js';
import { ifEntry } from './if/index.js';
import { lifNodeEntry } from './lifnode/index.js';
import { plifEntry } from './plif/index.js';
import { izhikevichEntry } from './izhikevich/index.js';
import { adexEntry } from './adex/index.js';
import { multiLevelEntry } from './multilevel/index.js';

export type { NeuronEntry, NeuronCost } from './entry.js';

/** Every neuron type a config can name. Each model's folder exports its entry; the lines below register them. */
export const neuronRegistry = new Registry<NeuronEntry>('neuron type');

neuronRegistry.register(ifEntry);
neuronRegistry.register(lifEntry);
neuronRegistry.register(lifNodeEntry);
neuronRegistry.register(plifEntry);
neuronRegistry.register(alifEntry);
neuronRegistry.register(synapticEntry);
neuronRegistry.register(alphaEntry);
neuronRegistry.register(rleakyEntry);
neuronRegistry.register(izhikevichEntry);
neuronRegistry.register(multiLevelEntry);
neuronRegistry.register(adexEntry);
