/// <reference types="@webgpu/types" />
import { BackendError } from '../../errors.js';
import type { Floats, Storage } from '../storage.js';

/*
 * A tensor's numbers in a pooled GPUBuffer. There is no synchronous view:
 * `data` throws and names the way out (`await tensor.read()`), so code that
 * still reads numbers on the host fails at the exact call instead of
 * computing on stale or missing values. A released storage (end of a step
 * scope, or garbage collection) is poisoned like the wasm one.
 */

/** Gives a storage's buffer back to its pool (the context's business). */
export interface BufferOwner {
  releaseBuffer(buf: GPUBuffer): void;
}

interface Held {
  owner: BufferOwner;
  buffer: GPUBuffer;
}

const finalizer = new FinalizationRegistry<Held>((h) => h.owner.releaseBuffer(h.buffer));

export class GpuStorage implements Storage {
  private held: Held | null;
  private releasedBecause: string | null = null;
  private finalized = false;

  /** `scoped`: the allocating scope owns the buffer, so no finalizer is registered (see adoptByGc). */
  constructor(readonly owner: BufferOwner, buffer: GPUBuffer, readonly length: number, scoped: boolean) {
    this.held = { owner, buffer };
    if (!scoped) this.adoptByGc();
  }

  get data(): Floats {
    throw new BackendError(
      `webgpu storage of ${this.length} elements has no synchronous view (Tensor.data / Storage.data); ` +
        'read it with `await tensor.read()` (Backend.read), or run this code on a CPU backend (ts, wasm, native)',
    );
  }

  /** The GPU buffer (its size is the pool bucket, at least 4·length bytes). Throws once released. */
  get buffer(): GPUBuffer {
    if (this.held === null) throw new BackendError(`webgpu storage of ${this.length} elements used after release: ${this.releasedBecause}`);
    return this.held.buffer;
  }

  get released(): boolean {
    return this.held === null;
  }

  /** Hand the buffer to the garbage collector's care (a scope kept it past its end). */
  adoptByGc(): void {
    if (this.held === null || this.finalized) return;
    finalizer.register(this, this.held, this);
    this.finalized = true;
  }

  /** Return the buffer to the pool now and poison the storage with `reason`. Idempotent. */
  release(reason: string): void {
    if (this.held === null) return;
    if (this.finalized) finalizer.unregister(this);
    this.held.owner.releaseBuffer(this.held.buffer);
    this.held = null;
    this.releasedBecause = reason;
  }
}
