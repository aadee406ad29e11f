import { ConfigError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import type { NeuronModule } from './base.js';
import { neuronRegistry } from './registry.js';


/**
 * Every type name createNeuron accepts (aliases included, lower case). A live
 * view of the neuron registry: entries registered later (the NIR neuron in
 * interop/nir) appear in it.
 */
export const NEURON_TYPES: readonly string[] = neuronRegistry.keys;

export function neuronTypes(): string[] {
  return [...NEURON_TYPES];
}

/**
 * A neuron layer from a config entry. Unknown types and options throw
 * ConfigError naming them; `rng` initialises random parameters (RLeaky's W_rec);
 * `where` (e.g. "model.layers[2]" in a file) prefixes error messages.
 */
export function createNeuron(type: string, options: Record<string, unknown>, features: number[] | number, rng: Rng, where?: string): NeuronModule {
  const at = where ? `${where}: ` : '';
  if (!neuronRegistry.has(type)) throw new ConfigError(`${at}unknown neuron type '${type}' (accepted: ${NEURON_TYPES.join(', ')})`);
  const entry = neuronRegistry.get(type);
  try {
    return entry.make(features, options ?? {}, rng);
  } catch (e) {
    if (e instanceof ConfigError && where) throw new ConfigError(`${at}${e.message}`);
    throw e;
  }
}
