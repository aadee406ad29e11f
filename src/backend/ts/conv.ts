import type { ConvKernels } from '../kernels/conv.js';

/** Reference (TypeScript) implementation of ConvKernels. */
export const tsConvKernels: ConvKernels = {
  convFamily: true,
};
