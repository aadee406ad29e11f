import { neuronRegistry } from '../neurons/registry.js';
import type { NeuronCost } from '../neurons/entry.js';

export type { NeuronCost } from '../neurons/entry.js';

/*
 * Neuron update costs come from each model's registry entry
 * (src/neurons/<model>/index.ts: `cost`), counted from its step rule; this
 * file only looks them up by the modules' `kind`.
 */

/** Leaky integrate-and-fire: β·v + I (1 MAC), compare, reset (2 AC), membrane (1 word). Also the default for unknown kinds. */
export const LIF_COST: NeuronCost = Object.freeze({ macs: 1, acs: 2, stateWords: 1 });

/** Costs by neuron `kind`, one per registered model (a live snapshot at each call). */
export function neuronCosts(): Readonly<Record<string, NeuronCost>> {
  const out: Record<string, NeuronCost> = {};
  for (const e of neuronRegistry.list()) out[e.kind] = e.cost;
  return out;
}

/** Kept for callers of the former table: the registered costs at import time plus the models registered later through `neuronCostOf`. */
export const NEURON_COSTS: Readonly<Record<string, NeuronCost>> = neuronCosts();

/** The cost of one update of a neuron of this kind; unknown kinds count as LIF (`known` false, reported in the assumptions). */
export function neuronCostOf(kind: string, overrides?: Readonly<Record<string, NeuronCost>>): { cost: NeuronCost; known: boolean } {
  const c = overrides?.[kind] ?? neuronRegistry.list().find((e) => e.kind === kind)?.cost;
  return c ? { cost: c, known: true } : { cost: LIF_COST, known: false };
}
