import type { RegistryEntry } from '../registry/registry.js';
import type { Rng } from '../tensor/rng.js';
import type { NeuronModule } from './base.js';

/**
 * Cost of one neuron update (one neuron, one time step), counted apart from
 * the synaptic operations, following the model's step rule written the
 * cheapest straightforward way: a decay-and-integrate `v ← β·v + I` is one
 * MAC, a threshold test or a reset one AC; `stateWords` is how many state
 * variables are read and written per step (the energy model's memory term).
 * Approximations for comparing models, not a gate count.
 */
export interface NeuronCost {
  macs: number;
  acs: number;
  stateWords: number;
}

/**
 * A neuron model as configs name it; each model's folder exports one (or a
 * few, for aliases with other defaults) and src/neurons/registry.ts registers
 * them. `options` is the model's option spec (camelCase keys; the model
 * builder converts a config's snake_case); `make` builds the layer for a
 * feature shape; `rng` initialises random parameters (RLeaky's W_rec).
 */
export interface NeuronEntry extends RegistryEntry {
  make(features: number[] | number, options: Record<string, unknown>, rng: Rng): NeuronModule;
  /** The `kind` of the modules `make` builds (summaries, checkpoints, cost lookup). */
  readonly kind: string;
  readonly cost: NeuronCost;
}
