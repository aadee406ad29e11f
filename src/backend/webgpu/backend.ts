import { BackendError } from '../../errors.js';
import type { Backend } from '../backend.js';
import type { Storage } from '../storage.js';
import { tsConvKernels } from '../ts/conv.js';
import { tsTrainKernels } from '../ts/train.js';
import { tsDelayKernels } from '../ts/delay.js';
import { tsAttentionKernels } from '../ts/attention.js';
import { tsRwkvKernels } from '../ts/rwkv.js';
import type { GpuContext, GpuCounters } from './context.js';
import { webgpuConvKernels } from './conv.js';
import { webgpuCoreKernels } from './core.js';
import type { AdapterSummary } from './device.js';
import { webgpuNeuronKernels } from './neuron.js';
import { webgpuTrainKernels } from './train.js';

/*
 * The WebGPU backend (float32): storage in GPU buffers, kernels in WGSL,
 * commands batched per step (context.ts). Kernels without a GPU version yet
 * (event convolution, batch norm, the losses, delay, attention, RWKV's WKV) refuse with a BackendError
 * naming the kernel: a CPU fallback through `.data` cannot exist here, and a
 * hidden read-back per call would cost more than the GPU saves.
 */

export interface WebGpuBackend extends Backend {
  readonly adapter: AdapterSummary;
  beginScope(): void;
  endScope(keep: Iterable<Storage>): void;
  rotateScope(keep: Iterable<Storage>): void;
  scopeDepth(): number;
  /** Submit everything recorded so far (reads and scope ends do it on their own). */
  flush(): void;
  /** Submissions, dispatches, reads and pool state so far. */
  counters(): GpuCounters;
  /** Destroy the device; every later call throws a BackendError. */
  dispose(): void;
}

/** Every function member of a CPU family, replaced by one that throws naming the kernel; numbers (thresholds) kept. */
function refused<T extends object>(family: string, reference: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(reference)) {
    out[key] =
      typeof value === 'function'
        ? () => {
            throw new BackendError(`webgpu backend has no ${family} kernel '${key}' yet; run this model on a CPU backend (--backend wasm, native or ts)`);
          }
        : value;
  }
  return out as T;
}

export function createWebGpuBackend(ctx: GpuContext, adapter: AdapterSummary): WebGpuBackend {
  return {
    ...refused('convolution', tsConvKernels),
    ...webgpuConvKernels(ctx),
    ...refused('training', tsTrainKernels),
    ...webgpuTrainKernels(ctx),
    ...refused('delay', tsDelayKernels),
    ...refused('attention', tsAttentionKernels),
    ...refused('RWKV', tsRwkvKernels),
    ...webgpuCoreKernels(ctx),
    neuronKernels: webgpuNeuronKernels(ctx),
    name: 'webgpu',
    dtype: 'float32',
    syncRead: false,
    // Dense GEMM on a GPU beats scattered event kernels at any density worth
    // measuring, and the density itself would need a read-back: never event-driven.
    eventDensityThreshold: 0,
    adapter,
    alloc: (n) => ctx.alloc(n),
    allocUninit: (n) => ctx.alloc(n, false),
    fromArray: (values) => ctx.fromArray(values),
    async read(s) {
      return ctx.read(ctx.gpu(s, 'read', 'the storage'));
    },
    beginScope: () => ctx.beginScope(),
    endScope: (keep) => ctx.endScope(keep),
    rotateScope: (keep) => ctx.rotateScope(keep),
    scopeDepth: () => ctx.scopeDepth,
    flush: () => ctx.flush(),
    counters: () => ctx.counters(),
    dispose: () => ctx.destroy(),
  };
}
