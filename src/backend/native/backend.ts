import type { Backend } from '../backend.js';
import { createTsBackend } from '../ts/backend.js';
import type { NativeAddon } from './addon.js';
import { nativeAttentionKernels } from './attention.js';
import { nativeRwkvKernels } from './rwkv.js';
import { nativeConvKernels } from './conv.js';
import { nativeCoreKernels } from './core.js';
import { nativeDelayKernels } from './delay.js';
import { nativeNeuronKernels } from './neuron.js';
import { nativeTrainKernels } from './train.js';
import { ArrayPool } from './pool.js';

/**
 * Input density below which linear layers take the event-driven kernels on
 * this backend. Measured with kernels/native/bench.mjs at the 3200×784→1000
 * layer (T·B = 3200 rows), forward + weight gradient, CPU time, AVX-512:
 * event-driven is 5.3× faster at 2%, 2.0–2.6× at 10%, 1.2–1.6× at 20%,
 * 0.8–1.2× at 30% and 0.6–0.9× at 40% (crossover ≈ 25–35%, the machine was
 * shared). Smaller layers cross lower (128×784→1000: ≈ 14%), so 0.2 keeps a
 * margin: nearly all of the gain at large shapes, little loss at small ones.
 */
export const NATIVE_EVENT_DENSITY_THRESHOLD = 0.2;

/**
 * The native backend: storage is plain Float32Arrays (recycled across step
 * scopes by an ArrayPool), and the hot kernels run in the C++ addon,
 * which computes on those arrays in place. Every kernel it does not override
 * is the TypeScript reference.
 */
export function createNativeBackend(addon: NativeAddon): Backend {
  const base = createTsBackend('float32');
  // SPIKEFLOW_POISON_UNINIT=1 (tests): recycled uninitialized outputs start as NaN.
  const poison = typeof process !== 'undefined' && process.env?.SPIKEFLOW_POISON_UNINIT === '1';
  const pool = new ArrayPool(undefined, poison);
  return {
    ...base,
    ...nativeCoreKernels(addon),
    neuronKernels: nativeNeuronKernels(addon),
    ...nativeTrainKernels(addon),
    ...nativeConvKernels(addon),
    ...nativeDelayKernels(addon),
    ...nativeAttentionKernels(addon),
    ...nativeRwkvKernels(addon),
    name: 'native',
    eventDensityThreshold: NATIVE_EVENT_DENSITY_THRESHOLD,
    // Step scopes recycle a step's temporaries (see pool.ts); outside a scope storage is plain GC'd memory.
    alloc: (n) => pool.alloc(n),
    allocUninit: (n) => pool.allocUninit(n),
    fromArray(values) {
      const s = pool.alloc(values.length);
      s.data.set(values);
      return s;
    },
    beginScope: () => pool.beginScope(),
    endScope: (keep) => pool.endScope(keep),
    rotateScope: (keep) => pool.rotateScope(keep),
  };
}
