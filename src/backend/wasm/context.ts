import { BackendError, ShapeError } from '../../errors.js';
import type { Storage } from '../storage.js';
import { WasmHeap, type HeapStats } from './heap.js';
import { instantiateKernels, type KernelExports } from './module.js';
import { SCOPE_RELEASE_REASON, WasmStorage } from './storage.js';

/*
 * What every wasm kernel wrapper needs: the module exports, the heap, and
 * named scratch blocks (GEMM packing, event lists, LIF carries). A scratch
 * block is reused across calls and only replaced when a call needs more, so
 * steady-state training allocates nothing for scratch.
 *
 * Step scopes give deterministic release (see Backend.beginScope): each open
 * scope records the storages allocated while it is the innermost one, holding
 * them strongly so the garbage collector cannot free a block the scope will
 * free again. endScope(keep) releases (and poisons) every recorded storage
 * not in `keep`; kept ones move to the enclosing scope's record or, at the
 * outermost level, to the FinalizationRegistry like any unscoped storage.
 */

/** Allocator counters plus the part of `inUse` held by kernel scratch blocks (the rest is tensor storage). */
export interface WasmMemoryStats extends HeapStats {
  scratch: number;
}

/** Initial linear memory: large enough that a small model's training loop never grows it. */
const INITIAL_BYTES = 64 * 2 ** 20;

export class WasmContext {
  readonly k: KernelExports;
  readonly heap: WasmHeap;
  private readonly scratchBlocks = new Map<string, { ptr: number; cls: number }>();
  /** Storages allocated in each open scope, innermost last. */
  private readonly scopes: WasmStorage[][] = [];

  constructor(initialBytes = INITIAL_BYTES) {
    this.k = instantiateKernels();
    this.heap = new WasmHeap(this.k.memory, this.k.heapBase(), initialBytes);
  }

  /** `zero = false`: contents unspecified (Backend.allocUninit). */
  alloc(n: number, zero = true): WasmStorage {
    const { ptr, cls } = this.heap.alloc(n * 4, zero);
    const record = this.scopes[this.scopes.length - 1];
    const s = new WasmStorage(this.heap, ptr, cls, n, record !== undefined);
    record?.push(s);
    return s;
  }

  stats(): WasmMemoryStats {
    let scratch = 0;
    for (const b of this.scratchBlocks.values()) scratch += b.cls;
    return { ...this.heap.stats(), scratch };
  }

  /** Number of open scopes. */
  get scopeDepth(): number {
    return this.scopes.length;
  }

  beginScope(): void {
    this.scopes.push([]);
  }

  /** Close the innermost scope: release its storages that are not in `keep`, hand the kept ones outwards. */
  endScope(keep: Iterable<Storage>): void {
    const record = this.scopes.pop();
    if (!record) throw new BackendError('wasm endScope: no scope is open (every endScope needs a beginScope before it)');
    this.close(record, keep, this.scopes[this.scopes.length - 1]);
  }

  /** Close the innermost scope as endScope does, its kept storages recorded by a new innermost scope (Backend.rotateScope). */
  rotateScope(keep: Iterable<Storage>): void {
    const record = this.scopes.pop();
    if (!record) throw new BackendError('wasm rotateScope: no scope is open (every rotateScope needs a beginScope before it)');
    const next: WasmStorage[] = [];
    this.close(record, keep, next);
    this.scopes.push(next);
  }

  private close(record: WasmStorage[], keep: Iterable<Storage>, outer: WasmStorage[] | undefined): void {
    const kept = keep instanceof Set ? (keep as Set<Storage>) : new Set(keep);
    for (const s of record) {
      if (!kept.has(s)) s.release(SCOPE_RELEASE_REASON);
      else if (outer) outer.push(s);
      else s.adoptByGc();
    }
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
