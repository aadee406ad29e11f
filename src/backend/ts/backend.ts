import type { Backend } from '../backend.js';
import { ArrayStorage, type DType, type Storage } from '../storage.js';
import { tsCoreKernels } from './core.js';
import { tsConvKernels } from './conv.js';
import { tsTrainKernels } from './train.js';
import { tsDelayKernels } from './delay.js';
import { tsAttentionKernels } from './attention.js';
import { tsRwkvKernels } from './rwkv.js';

/**
 * The TypeScript reference backend: every kernel in plain TypeScript over typed
 * arrays. `float64` serves gradient checks and the float64 fixtures.
 */
export function createTsBackend(dtype: DType = 'float32'): Backend {
  const make = (n: number): Storage => new ArrayStorage(dtype === 'float64' ? new Float64Array(n) : new Float32Array(n));
  return {
    ...tsCoreKernels,
    // The reference neuron scans live in each model's folder (src/neurons/<model>/kernel.ts).
    neuronKernels: {},
    ...tsConvKernels,
    ...tsTrainKernels,
    ...tsDelayKernels,
    ...tsAttentionKernels,
    ...tsRwkvKernels,
    name: dtype === 'float64' ? 'ts64' : 'ts',
    dtype,
    syncRead: true,
    // Measured (bench/ workload d, 3200×784→1000): the scalar event kernels add
    // ~0.45 G/s and beat the 4×4-blocked dense GEMM below about 20% density.
    eventDensityThreshold: 0.2,
    alloc: make,
    fromArray(values) {
      const s = make(values.length);
      s.data.set(values);
      return s;
    },
    async read(s) {
      return s.data.slice();
    },
    // Storage is garbage-collected typed arrays: nothing to release at the end of a step.
    beginScope() {},
    endScope() {},
  };
}
