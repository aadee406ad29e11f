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
  /** NIR export/import (absent: NIR cannot express the model, the exporter refuses it naming the layer). */
  readonly nir?: NirMapping;
}

/**
 * A NIR neuron node as plain data: the model folders describe their NIR form
 * without importing the NIR layer above them (interop/nir turns this into
 * its typed node, with float32 arrays shaped like the layer).
 */
export interface NirNeuronNode {
  type: string;
  fields: Record<string, Float64Array>;
  metadata: Record<string, string>;
}

export interface NirExportContext {
  /** Euler step in seconds the graph is written for. */
  readonly dt: number;
  /** 'layer 3 (LIF)', for messages. */
  readonly where: string;
  /** Neurons in the layer. */
  readonly features: number;
  /** Per-neuron values of a per-layer number, a list, or a parameter's values (checked against the layer size). */
  perNeuron(v: number | ArrayLike<number>, what: string): Float64Array;
  /**
   * A reset NIR cannot express (NIR resets to v_reset on the spiking step):
   * throws ConfigError naming the layer unless approximation was asked for,
   * in which case it records a note and returns the metadata to attach.
   */
  reset(exact: boolean, what: string): Record<string, string>;
  /**
   * A difference from the graph's Euler convention that is written rather than refused
   * because it shows only on exact ties (a layer that fires at v ≥ v_threshold, where NIR
   * simulators fire at v > v_threshold): listed among the export's approximations, and
   * returned as node metadata `{ [key]: what }`.
   */
  approximate(key: string, what: string): Record<string, string>;
}

export interface NirImportContext {
  readonly dt: number;
  readonly where: string;
  readonly features: number[];
  /** A per-neuron field of the node (throws FormatError naming the node when absent). */
  field(name: string): Float64Array;
}

/** What an import builds: the layer, the config entry that rebuilds it (snake_case), and a line for the mapping report. */
export interface NirImported {
  layer: NeuronModule;
  config: { type: string; [option: string]: unknown };
  how: string;
}

/** A model's NIR mapping, both ways (either may be absent). */
export interface NirMapping {
  /** The node this layer exports as; throws ConfigError for what NIR cannot express. */
  toNir?(layer: NeuronModule, ctx: NirExportContext): NirNeuronNode;
  /** NIR node types `fromNir` may take. */
  readonly nodeTypes?: readonly string[];
  /** This model when it computes the node's Euler update exactly, else null (the importer falls back to the generic NIR neuron). */
  fromNir?(nodeType: string, ctx: NirImportContext): NirImported | null;
}
