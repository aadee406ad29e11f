import type { Backend } from '../backend.js';
import type { Storage } from '../storage.js';
import { tsCoreKernels } from '../ts/core.js';
import { tsConvKernels } from '../ts/conv.js';
import { tsTrainKernels } from '../ts/train.js';
import { tsDelayKernels } from '../ts/delay.js';
import { tsAttentionKernels } from '../ts/attention.js';
import { tsRwkvKernels } from '../ts/rwkv.js';
import { WasmContext } from './context.js';
import { wasmConvKernels } from './conv.js';
import { wasmCoreKernels } from './core.js';
import { wasmDelayKernels } from './delay.js';
import { wasmAttentionKernels } from './attention.js';
import { wasmRwkvKernels } from './rwkv.js';
import { wasmNeuronKernels } from './neuron.js';
import { wasmTrainKernels } from './train.js';
import type { WasmMemoryStats } from './context.js';

/*
 * The WebAssembly SIMD128 backend (float32). Tensor storage lives in the
 * module's linear memory; the hot kernels (GEMM, event-driven GEMM, elementwise
 * and reductions, LIF scans, optimizer updates, im2col/col2im, pooling, the
 * per-channel conv/batch-norm maps, the delay-layer and the spiking-attention kernels) run in wasm on byte pointers,
 * and every other kernel is the TypeScript reference working on `.data` views
 * of the same memory — so the backend is complete from day one and kernels
 * move to wasm one at a time.
 *
 * Memory is released deterministically by step scopes (beginScope/endScope,
 * which the Trainer opens around every batch), so long synchronous training
 * loops stay within a bounded heap; see context.ts and storage.ts.
 */

/**
 * Below this spike density the event-driven kernels beat the wasm GEMM.
 * Measured with kernels/wasm/measure.mjs (M = 128 rows of T·B, K = 784, N = 1000,
 * medians): forward eventGemm 0.18 / 0.96 / 6.0 / 7.9 ms at 2 / 10 / 30 / 50 %
 * density against 6.6 ms for the dense NT GEMM; weight gradient 1.2 / 5.3 / 9.1 /
 * 15 ms against 9.8 ms dense. Both cross near 30 %, so switch a little below it.
 */
export const WASM_EVENT_DENSITY_THRESHOLD = 0.25;

export interface WasmBackend extends Backend {
  /** Allocator counters (bytes in use — of which `scratch` in kernel scratch blocks —, in free lists, linear memory size, growth count). */
  heapStats(): WasmMemoryStats;
  beginScope(): void;
  endScope(keep: Iterable<Storage>): void;
  rotateScope(keep: Iterable<Storage>): void;
  /** Number of open step scopes (0 outside any). */
  scopeDepth(): number;
}

export function createWasmBackend(): WasmBackend {
  const ctx = new WasmContext();
  return {
    ...wasmConvKernels(ctx, tsConvKernels),
    ...wasmCoreKernels(ctx, tsCoreKernels),
    neuronKernels: wasmNeuronKernels(ctx),
    ...wasmTrainKernels(ctx, tsTrainKernels),
    ...wasmDelayKernels(ctx, tsDelayKernels),
    ...wasmAttentionKernels(ctx, tsAttentionKernels),
    ...wasmRwkvKernels(ctx, tsRwkvKernels),
    name: 'wasm',
    dtype: 'float32',
    syncRead: true,
    eventDensityThreshold: WASM_EVENT_DENSITY_THRESHOLD,
    alloc: (n: number): Storage => ctx.alloc(n),
    allocUninit: (n: number): Storage => ctx.alloc(n, false),
    fromArray(values) {
      const s = ctx.alloc(values.length);
      s.data.set(values);
      return s;
    },
    async read(s) {
      return s.data.slice();
    },
    heapStats: () => ctx.stats(),
    beginScope: () => ctx.beginScope(),
    endScope: (keep) => ctx.endScope(keep),
    rotateScope: (keep) => ctx.rotateScope(keep),
    scopeDepth: () => ctx.scopeDepth,
  };
}
