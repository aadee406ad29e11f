/**
 * Cost of one neuron update (one neuron, one time step), counted apart from the
 * synaptic operations. Counts follow the discrete step rules of semantics.md §1,
 * written the cheapest straightforward way:
 *  - a decay-and-integrate `v ← β·v + I` is one MAC;
 *  - the threshold test `v > θ` is one comparison, counted as an AC;
 *  - the reset (subtract θ, or select v_reset) is one AC;
 *  - `stateWords` is how many state variables are read and written each step
 *    (membrane, synaptic current, adaptation trace), used by the memory model.
 * These are approximations for comparison between models, not a gate count.
 */
export interface NeuronCost {
  macs: number;
  acs: number;
  stateWords: number;
}

/** Leaky integrate-and-fire: β·v + I (1 MAC), compare, reset (2 AC), membrane (1 word). Also the default. */
export const LIF_COST: NeuronCost = Object.freeze({ macs: 1, acs: 2, stateWords: 1 });

/** Costs by neuron `kind`; kinds not listed use LIF_COST (reported in the assumptions). */
export const NEURON_COSTS: Readonly<Record<string, NeuronCost>> = Object.freeze({
  // v + I, compare, reset: additions only.
  IF: { macs: 0, acs: 3, stateWords: 1 },
  Leaky: LIF_COST,
  LIF: LIF_COST,
  // The trainable 1/τ is still one multiply per step.
  PLIF: LIF_COST,
  // α·syn + I and β·mem + syn: 2 MAC; compare and reset: 2 AC; syn and mem.
  Synaptic: { macs: 2, acs: 2, stateWords: 2 },
  CubaLIF: { macs: 2, acs: 2, stateWords: 2 },
  // Two synaptic decays and τ_α·(exc + inh): 3 MAC; compare, reset: 2 AC; two currents.
  Alpha: { macs: 3, acs: 2, stateWords: 2 },
  // β·mem + I and V·spk[t-1]: 2 MAC; compare, reset: 2 AC.
  RLeaky: { macs: 2, acs: 2, stateWords: 1 },
  // β·v + I, ρ·a + s, θ0 + β_a·a: 3 MAC; compare, reset: 2 AC; membrane and trace.
  ALIF: { macs: 3, acs: 2, stateWords: 2 },
  // v² term, 5v, u coupling, a(bv − u), Euler steps: about 6 MAC and 3 AC; v and u.
  Izhikevich: { macs: 6, acs: 3, stateWords: 2 },
});

export function neuronCostOf(kind: string, overrides?: Readonly<Record<string, NeuronCost>>): { cost: NeuronCost; known: boolean } {
  const c = overrides?.[kind] ?? NEURON_COSTS[kind];
  return c ? { cost: c, known: true } : { cost: LIF_COST, known: false };
}
