import { Registry, type RegistryEntry } from '../registry/registry.js';
import type { Rng } from '../tensor/rng.js';
import type { NeuronModule } from './base.js';

/**
 * A neuron model as configs name it. `options` is the model's option spec
 * (camelCase keys; the builder converts a config's snake_case); `make` builds
 * the layer for a feature shape. `rng` initialises random parameters (RLeaky's
 * W_rec).
 */
export interface NeuronEntry extends RegistryEntry {
  make(features: number[] | number, options: Record<string, unknown>, rng: Rng): NeuronModule;
}

/** Every neuron type a config can name. Each model's folder registers itself (src/neurons/index.ts imports them all). */
export const neuronRegistry = new Registry<NeuronEntry>('neuron type');
