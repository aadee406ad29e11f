import type { DType, Floats, Storage } from './storage.js';
import type { CoreKernels } from './kernels/core.js';
import type { NeuronKernelTable } from './kernels/neuron.js';
import type { ConvKernels } from './kernels/conv.js';
import type { TrainKernels } from './kernels/train.js';
import type { DelayKernels } from './kernels/delay.js';
import type { AttentionKernels } from './kernels/attention.js';
import type { RwkvKernels } from './kernels/rwkv.js';

/**
 * A backend owns tensor storage and implements the hot kernels. Ops and layers
 * only call these methods, so a faster backend (wasm, native, GPU) slots in by
 * providing the same object. Kernels are grouped in families, one file each
 * under kernels/, so each family can be implemented (or fall back) separately.
 */
export interface Backend extends CoreKernels, ConvKernels, TrainKernels, DelayKernels, AttentionKernels, RwkvKernels {
  readonly name: string;
  readonly dtype: DType;
  /** True when `Storage.data` is a synchronous view (every CPU backend). */
  readonly syncRead: boolean;
  /**
   * Below this fraction of nonzero inputs, linear layers fed by spikes use the
   * event-driven kernels instead of dense GEMM (measured per backend).
   */
  readonly eventDensityThreshold: number;
  /**
   * Fused neuron scans by model family id (see FusedScan in kernels/neuron.ts);
   * empty on the reference backends, whose scans are the kernels in each
   * model's folder.
   */
  readonly neuronKernels: NeuronKernelTable;
  /** Zero-filled storage of n elements. */
  alloc(n: number): Storage;
  /**
   * Storage of n elements whose contents are unspecified, for an output the
   * next kernel writes completely (a GEMM with beta = 0, a neuron scan's
   * traces). Saves the zero-fill pass on backends that recycle memory; a
   * backend without it gets `alloc`.
   */
  allocUninit?(n: number): Storage;
  /** Storage holding a copy of the given numbers (converted to the backend's dtype). */
  fromArray(values: ArrayLike<number>): Storage;
  /** Read back a copy of the numbers (the asynchronous path a GPU backend needs). */
  read(s: Storage): Promise<Floats>;
  /**
   * Open a step scope: storages allocated until the matching `endScope` are
   * recorded. Backends whose storage is garbage-collected JavaScript memory
   * (ts, ts64, native) implement both as no-ops; the wasm backend, whose blocks
   * would otherwise only return to its heap when JavaScript yields to the event
   * loop, uses them to free a training step's temporaries right after the step.
   * Scopes nest.
   */
  beginScope?(): void;
  /**
   * Close the innermost scope: every storage allocated in it that is not in
   * `keep` is released (touching it afterwards throws a BackendError); kept
   * storages move to the enclosing scope (outermost: ordinary GC lifetime).
   * What must be kept across a training step: see Module.persistentTensors().
   */
  endScope?(keep: Iterable<Storage>): void;
  /**
   * Close the innermost scope as `endScope` does and open a new innermost
   * one that records the kept storages, so they are released at its end
   * unless kept again (rather than moving to the enclosing scope for good).
   * The online training methods rotate a scope once per time step: the
   * state a step hands to the next is kept, the state it replaced is freed
   * one step later, and a batch's memory stays flat in T. Backends with
   * scopes implement it; without it a caller keeps one scope per batch.
   */
  rotateScope?(keep: Iterable<Storage>): void;
}
