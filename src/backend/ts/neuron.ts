import type { NeuronKernels } from '../kernels/neuron.js';

/** Reference (TypeScript) implementation of NeuronKernels. */
export const tsNeuronKernels: NeuronKernels = {
  neuronFamily: true,
};
