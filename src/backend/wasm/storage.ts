import type { Storage } from '../storage.js';
import type { WasmHeap } from './heap.js';

/*
 * A tensor's numbers in the wasm linear memory. `ptr` (a byte offset) is what
 * kernels receive; it never moves. The Float32Array view is re-derived when
 * memory growth has replaced the ArrayBuffer, which is why callers must not
 * keep `data` across backend calls. Blocks return to the heap when the
 * storage object is garbage-collected (FinalizationRegistry) or on dispose().
 */

interface Held {
  heap: WasmHeap;
  ptr: number;
  cls: number;
}

const registry = new FinalizationRegistry<Held>((h) => h.heap.free(h.ptr, h.cls));

export class WasmStorage implements Storage {
  private view: Float32Array;
  private held: Held | null;

  constructor(readonly heap: WasmHeap, readonly ptr: number, cls: number, readonly length: number) {
    this.view = new Float32Array(heap.buffer, ptr, length);
    this.held = { heap, ptr, cls };
    registry.register(this, this.held, this);
  }

  get data(): Float32Array {
    const buf = this.heap.buffer;
    if (this.view.buffer !== buf) this.view = new Float32Array(buf, this.ptr, this.length);
    return this.view;
  }

  /** Byte address of element `off`. */
  at(off: number): number {
    return this.ptr + off * 4;
  }

  /** Returns the block now instead of at garbage collection; the storage must not be used afterwards. */
  dispose(): void {
    if (!this.held) return;
    registry.unregister(this);
    this.heap.free(this.held.ptr, this.held.cls);
    this.held = null;
  }
}
