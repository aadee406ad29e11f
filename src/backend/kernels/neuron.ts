// eslint-disable-next-line @typescript-eslint/no-unused-vars
import type { Storage } from '../storage.js';

/** Fused neuron scans (forward over T and BPTT backward) for every neuron model, surrogate chosen by id + parameters. */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NeuronKernels {
  /** Marker so the family is never structurally empty; filled in by the family's implementation. */
  readonly neuronFamily: true;
}
