import { ShapeError } from '../../errors.js';
import type { Storage } from '../storage.js';
import { WasmHeap } from './heap.js';
import { instantiateKernels, type KernelExports } from './module.js';
import { WasmStorage } from './storage.js';

/*
 * What every wasm kernel wrapper needs: the module exports, the heap, and
 * named scratch blocks (GEMM packing, event lists, LIF carries). A scratch
 * block is reused across calls and only replaced when a call needs more, so
 * steady-state training allocates nothing for scratch.
 */

/** Initial linear memory: large enough that a small model's training loop never grows it. */
const INITIAL_BYTES = 64 * 2 ** 20;

export class WasmContext {
  readonly k: KernelExports;
  readonly heap: WasmHeap;
  private readonly scratchBlocks = new Map<string, { ptr: number; cls: number }>();

  constructor(initialBytes = INITIAL_BYTES) {
    this.k = instantiateKernels();
    this.heap = new WasmHeap(this.k.memory, this.k.heapBase(), initialBytes);
  }

  alloc(n: number): WasmStorage {
    const { ptr, cls } = this.heap.alloc(n * 4, true);
    return new WasmStorage(this.heap, ptr, cls, n);
  }

  /** Byte address of a scratch block of at least `bytes` (contents undefined). Valid until the next scratch() of the same name. */
  scratch(name: string, bytes: number): number {
    const cur = this.scratchBlocks.get(name);
    if (cur && cur.cls >= bytes) return cur.ptr;
    if (cur) this.heap.free(cur.ptr, cur.cls);
    const blk = this.heap.alloc(bytes, false);
    this.scratchBlocks.set(name, blk);
    return blk.ptr;
  }

  /** True when s lives in this context's memory (anything else goes to the TypeScript kernels). */
  owns(s: Storage | null): s is WasmStorage {
    return s instanceof WasmStorage && s.heap === this.heap;
  }

  /** Refuses kernel calls that would read or write past a storage (a wasm kernel would silently hit a neighbour). */
  need(s: Storage, end: number, kernel: string, what: string): void {
    if (end > s.length) throw new ShapeError(`wasm ${kernel}: ${what} needs ${end} elements, storage has ${s.length}`);
  }
}
