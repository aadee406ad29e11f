import { BackendError } from '../../errors.js';
import type { Storage } from '../storage.js';
import type { WasmHeap } from './heap.js';

/*
 * A tensor's numbers in the wasm linear memory. `ptr` (a byte offset) is what
 * kernels receive; it never moves. The Float32Array view is re-derived when
 * memory growth has replaced the ArrayBuffer, which is why callers must not
 * keep `data` across backend calls.
 *
 * A block returns to the heap in one of three ways:
 *  - at the end of the step scope it was allocated in (WasmContext.endScope),
 *    unless the scope was told to keep it: deterministic, the normal path in
 *    training and evaluation;
 *  - when the storage object is garbage-collected (FinalizationRegistry) — for
 *    storages allocated outside any scope, or kept by the outermost one. Those
 *    callbacks only run when JavaScript yields to the event loop, so they cannot
 *    bound the memory of a long synchronous loop on their own;
 *  - on dispose().
 *
 * A released storage is poisoned: its `data`, `ptr` and `at()` throw, so a
 * tensor that outlived its block fails loudly instead of reading or writing a
 * block that now belongs to another tensor.
 */

interface Held {
  heap: WasmHeap;
  ptr: number;
  cls: number;
}

const registry = new FinalizationRegistry<Held>((h) => h.heap.free(h.ptr, h.cls));

/** Why a scope released a storage (the message users see when something kept it anyway). */
export const SCOPE_RELEASE_REASON =
  'it was released at the end of a training/evaluation step (Backend.endScope); a module keeps a tensor across steps without listing it in persistentTensors(), or a caller kept a tensor from inside a step scope';

export class WasmStorage implements Storage {
  private view: Float32Array;
  private held: Held | null;
  private readonly address: number;
  /** Set once the block went back to the heap: what to tell whoever touches the storage afterwards. */
  private releasedBecause: string | null = null;
  private finalized = false;

  /** `scoped`: the allocating scope owns the block, so no finalizer is registered (see adoptByGc). */
  constructor(readonly heap: WasmHeap, ptr: number, cls: number, readonly length: number, scoped = false) {
    this.address = ptr;
    this.view = new Float32Array(heap.buffer, ptr, length);
    this.held = { heap, ptr, cls };
    if (!scoped) this.adoptByGc();
  }

  /** Byte address of element 0 (what kernels receive). Throws once the storage was released. */
  get ptr(): number {
    if (this.releasedBecause !== null) this.poisoned();
    return this.address;
  }

  get data(): Float32Array {
    if (this.releasedBecause !== null) this.poisoned();
    const buf = this.heap.buffer;
    if (this.view.buffer !== buf) this.view = new Float32Array(buf, this.address, this.length);
    return this.view;
  }

  /** Byte address of element `off`. */
  at(off: number): number {
    return this.ptr + off * 4;
  }

  /** True once the block went back to the heap (the storage must not be used). */
  get released(): boolean {
    return this.releasedBecause !== null;
  }

  /** Hand the block to the garbage collector's care (a scope kept it past its end). */
  adoptByGc(): void {
    if (this.held === null || this.finalized) return;
    registry.register(this, this.held, this);
    this.finalized = true;
  }

  /** Return the block to the heap now and poison the storage with `reason`. Idempotent. */
  release(reason: string): void {
    if (!this.held) return;
    if (this.finalized) registry.unregister(this);
    this.heap.free(this.held.ptr, this.held.cls);
    this.held = null;
    this.releasedBecause = reason;
  }

  /** Returns the block now instead of at garbage collection; the storage must not be used afterwards. */
  dispose(): void {
    this.release('it was disposed (WasmStorage.dispose)');
  }

  private poisoned(): never {
    throw new BackendError(`wasm storage of ${this.length} elements used after release: ${this.releasedBecause}`);
  }
}
