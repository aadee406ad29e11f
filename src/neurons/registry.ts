import { Registry } from '../registry/registry.js';
import type { NeuronEntry } from './entry.js';

export type { NeuronEntry, NeuronCost } from './entry.js';

/** Every neuron type a config can name. Each model's folder exports its entry; the lines below register them. */
export const neuronRegistry = new Registry<NeuronEntry>('neuron type');
