/// <reference types="@webgpu/types" />

/*
 * Size-bucketed GPUBuffer pool. Sizes round up to a power of two from 256
 * bytes to 1 MiB and to a multiple of 1 MiB above (at most half wasted below,
 * a few percent above), so a training step's buffers match the previous
 * step's. A released buffer is *pending* until the command encoder that may
 * still use it is submitted; only then is it handed out again. That ordering
 * is what makes `queue.writeBuffer` into a recycled buffer safe: every command
 * that touched it is already on the queue, and the write lands after them.
 */

const MIN_BYTES = 256;
const MiB = 1 << 20;

/** The bucket (allocated size in bytes) for a request of `bytes`. */
export function bucketBytes(bytes: number): number {
  if (bytes <= MIN_BYTES) return MIN_BYTES;
  if (bytes <= MiB) return 2 ** Math.ceil(Math.log2(bytes));
  return Math.ceil(bytes / MiB) * MiB;
}

export interface PoolStats {
  /** Buffers created so far and their bytes. */
  created: number;
  createdBytes: number;
  /** Buffers waiting for the next submit, and buffers ready to reuse. */
  pending: number;
  free: number;
}

export class BufferPool {
  private readonly freeLists = new Map<number, GPUBuffer[]>();
  private pendingList: GPUBuffer[] = [];
  private created = 0;
  private createdBytes = 0;

  constructor(private readonly device: GPUDevice, private readonly usage: number, private readonly label: string) {}

  /** A buffer of at least `bytes` (contents unspecified when recycled). */
  acquire(bytes: number): GPUBuffer {
    const size = bucketBytes(bytes);
    const reuse = this.freeLists.get(size)?.pop();
    if (reuse) return reuse;
    this.created++;
    this.createdBytes += size;
    return this.device.createBuffer({ size, usage: this.usage, label: `${this.label} ${size}` });
  }

  /** Give a buffer back; reusable after the next `submitted()`. */
  release(buf: GPUBuffer): void {
    this.pendingList.push(buf);
  }

  /** The open encoder was submitted: pending buffers become reusable. */
  submitted(): void {
    for (const b of this.pendingList) {
      let list = this.freeLists.get(b.size);
      if (!list) this.freeLists.set(b.size, (list = []));
      list.push(b);
    }
    this.pendingList = [];
  }

  /** Destroy the free buffers (pending ones stay until submitted). */
  trim(): void {
    for (const list of this.freeLists.values()) for (const b of list) b.destroy();
    this.freeLists.clear();
  }

  stats(): PoolStats {
    let free = 0;
    for (const list of this.freeLists.values()) free += list.length;
    return { created: this.created, createdBytes: this.createdBytes, pending: this.pendingList.length, free };
  }
}
