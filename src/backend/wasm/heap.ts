import { BackendError } from '../../errors.js';
import type { WasmMemory } from './module.js';

/*
 * Allocator over the wasm linear memory, kept in JavaScript (the kernels never
 * allocate). Blocks come in size classes — multiples of 16 bytes up to 1 KiB,
 * then four classes per power of two (≤ 25 % waste) — each with its own free
 * list; new blocks are carved from a bump pointer. Freed blocks are reused
 * only for the same class and never coalesced: training allocates the same
 * shapes every step, so the lists settle after the first step.
 *
 * 16-byte alignment serves v128 loads. Memory grows in big steps (at least
 * 64 MiB or half the current size) because every growth detaches the
 * ArrayBuffer behind all `Storage.data` views.
 */

const PAGE = 65536;
const MIN_GROW_PAGES = 1024; // 64 MiB
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit

export interface HeapStats {
  /** Bytes handed out and not yet freed (class-rounded). */
  inUse: number;
  /** Bytes sitting in free lists. */
  free: number;
  /** Size of the linear memory. */
  capacity: number;
  /** Number of memory growths so far. */
  grows: number;
}

/** The size class (bytes) a request of `bytes` is served from. */
export function sizeClass(bytes: number): number {
  const b = Math.max(16, (bytes + 15) & ~15);
  if (b <= 1024) return b;
  const quarter = 2 ** (Math.floor(Math.log2(b)) - 2);
  return Math.ceil(b / quarter) * quarter;
}

export class WasmHeap {
  private top: number;
  private readonly lists = new Map<number, number[]>();
  private inUse = 0;
  private freeBytes = 0;
  private grows = 0;

  constructor(readonly memory: WasmMemory, base: number, initialBytes: number) {
    this.top = (base + 63) & ~63;
    const want = Math.ceil(initialBytes / PAGE) - this.pages();
    if (want > 0) this.memory.grow(want);
  }

  get buffer(): ArrayBuffer {
    return this.memory.buffer;
  }

  private pages(): number {
    return this.memory.buffer.byteLength / PAGE;
  }

  /** A 16-byte-aligned block of at least `bytes`; `zero` clears a reused block (fresh ones are already zero). */
  alloc(bytes: number, zero: boolean): { ptr: number; cls: number } {
    const cls = sizeClass(bytes);
    const list = this.lists.get(cls);
    this.inUse += cls;
    if (list && list.length > 0) {
      const ptr = list.pop()!;
      this.freeBytes -= cls;
      if (zero) new Uint8Array(this.memory.buffer, ptr, cls).fill(0);
      return { ptr, cls };
    }
    const ptr = this.top;
    if (ptr + cls > this.memory.buffer.byteLength) this.growFor(ptr + cls);
    this.top = ptr + cls;
    return { ptr, cls };
  }

  free(ptr: number, cls: number): void {
    let list = this.lists.get(cls);
    if (!list) {
      list = [];
      this.lists.set(cls, list);
    }
    list.push(ptr);
    this.inUse -= cls;
    this.freeBytes += cls;
  }

  stats(): HeapStats {
    return { inUse: this.inUse, free: this.freeBytes, capacity: this.memory.buffer.byteLength, grows: this.grows };
  }

  private growFor(end: number): void {
    const have = this.pages();
    const need = Math.ceil(end / PAGE) - have;
    const step = Math.min(MAX_PAGES - have, Math.max(need, MIN_GROW_PAGES, have >> 1));
    try {
      this.memory.grow(step);
    } catch {
      // A big step can be refused near the engine's limit; the exact amount may still fit.
      try {
        this.memory.grow(need);
      } catch {
        throw new BackendError(`wasm backend: out of memory (linear memory ${(have * PAGE) / 2 ** 20} MiB, ${need * 64} KiB more requested, ${(this.inUse / 2 ** 20).toFixed(1)} MiB in use)`);
      }
    }
    this.grows++;
  }
}
