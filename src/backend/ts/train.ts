import type { TrainKernels } from '../kernels/train.js';

/** Reference (TypeScript) implementation of TrainKernels. */
export const tsTrainKernels: TrainKernels = {
  trainFamily: true,
};
