import type { NeuronKernels } from '../kernels/neuron.js';
import { lifBackward, lifForward } from './neurons/lif.js';
import { filterBackward, filterForward } from './neurons/filter.js';
import { alphaBackward, alphaForward } from './neurons/alpha.js';
import { alifBackward, alifForward } from './neurons/alif.js';
import { izhikevichBackward, izhikevichForward } from './neurons/izhikevich.js';

/** Reference (TypeScript) implementation of NeuronKernels: one file per model under neurons/. */
export const tsNeuronKernels: NeuronKernels = {
  lifForward,
  lifBackward,
  filterForward,
  filterBackward,
  alphaForward,
  alphaBackward,
  alifForward,
  alifBackward,
  izhikevichForward,
  izhikevichBackward,
};
