import { ConfigError } from '../errors.js';
import type { Rng } from '../tensor/rng.js';
import type { NeuronModule } from './base.js';
import { ALIF } from './alif.js';
import { Alpha } from './alpha.js';
import { IF } from './if.js';
import { Izhikevich } from './izhikevich.js';
import { LIF } from './lif.js';
import { LIFNode } from './lif-node.js';
import { PLIF } from './plif.js';
import { RLeaky } from './rleaky.js';
import { Synaptic } from './synaptic.js';
import { neuronRegistry } from './registry.js';

export type Maker = (features: number[] | number, options: Record<string, unknown>, rng: Rng) => NeuronModule;

const MAKERS: Record<string, Maker> = {
  if: (f, o) => new IF(f, o),
  lif: (f, o) => new LIF(f, o),
  leaky: (f, o) => new LIF(f, o),
  sjlif: (f, o) => new LIFNode(f, o),
  lifnode: (f, o) => new LIFNode(f, o),
  plif: (f, o) => new PLIF(f, o),
  alif: (f, o) => new ALIF(f, o),
  synaptic: (f, o) => new Synaptic(f, o),
  cubalif: (f, o) => new Synaptic(f, o),
  alpha: (f, o) => new Alpha(f, o),
  rleaky: (f, o, rng) => new RLeaky(f, o, rng),
  izhikevich: (f, o) => new Izhikevich(f, o),
};
// Models that already live in a folder with a registry entry (src/neurons/registry.ts).
for (const e of neuronRegistry.list()) for (const n of [e.name, ...(e.aliases ?? [])]) MAKERS[n.toLowerCase()] = e.make;

/**
 * Every type name createNeuron accepts (aliases included). A live view:
 * registerNeuronType adds to it.
 */
export const NEURON_TYPES: readonly string[] = Object.keys(MAKERS);

export function neuronTypes(): string[] {
  return [...NEURON_TYPES];
}

/**
 * Extension point: a module defining a neuron type outside this folder (e.g.
 * the NIR-discretised neuron in interop/nir) registers it here, so configs can
 * name it without the neuron layer importing upwards.
 */
export function registerNeuronType(type: string, make: Maker): void {
  const key = type.toLowerCase();
  MAKERS[key] = make;
  if (!(NEURON_TYPES as string[]).includes(key)) (NEURON_TYPES as string[]).push(key);
}

/**
 * A neuron layer from a config entry. Unknown types and options throw
 * ConfigError naming them; `rng` initialises random parameters (RLeaky's W_rec);
 * `where` (e.g. "model.layers[2]" in a file) prefixes error messages.
 */
export function createNeuron(type: string, options: Record<string, unknown>, features: number[] | number, rng: Rng, where?: string): NeuronModule {
  const at = where ? `${where}: ` : '';
  const make = MAKERS[type.toLowerCase()];
  if (!make) throw new ConfigError(`${at}unknown neuron type '${type}' (accepted: ${NEURON_TYPES.join(', ')})`);
  try {
    return make(features, options ?? {}, rng);
  } catch (e) {
    if (e instanceof ConfigError && where) throw new ConfigError(`${at}${e.message}`);
    throw e;
  }
}
