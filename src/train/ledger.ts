import type { Backend } from '../backend/backend.js';
import type { Storage } from '../backend/storage.js';
import { ShapeError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';

/*
 * Per-batch numbers kept on the device until the host asks for them: on a
 * backend without synchronous reads (webgpu) a batch's loss and its count
 * of correct predictions are written into one slot each of a small storage,
 * and the host reads the whole ledger with one `await` once per `capacity`
 * batches (and at the end of an epoch). The GPU never waits for the host in
 * between, and a read costs one round trip per window instead of per batch.
 */

/** One batch's figures, as read back. */
export interface LedgerEntry {
  loss: number;
  correct: number;
}

export class DeviceLedger {
  readonly storage: Storage;
  private used = 0;

  constructor(private readonly backend: Backend, readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new ShapeError(`DeviceLedger: capacity must be a positive integer, got ${capacity}`);
    this.storage = backend.alloc(2 * capacity);
  }

  get full(): boolean {
    return this.used === this.capacity;
  }

  get size(): number {
    return this.used;
  }

  /**
   * Record a batch: its loss (a one-element tensor, copied on the device)
   * and the rows of `scores` [R, C] whose largest entry is the target.
   */
  record(loss: Tensor, scores: Tensor, targets: Int32Array): void {
    if (this.full) throw new ShapeError(`DeviceLedger: all ${this.capacity} slots are taken; read() it first`);
    if (loss.size !== 1) throw new ShapeError(`Trainer: loss must be a scalar, got [${loss.shape.join(', ')}]`);
    if (scores.ndim !== 2) throw new ShapeError(`Trainer: class scores must be [B, C], got [${scores.shape.join(', ')}]`);
    const [R, C] = scores.shape as [number, number];
    const slot = this.used++;
    this.backend.copy(loss.storage, 0, this.storage, 2 * slot, 1);
    this.backend.countCorrectInto(R, C, scores.storage, targets, this.storage, 2 * slot + 1);
  }

  /** The recorded batches in order (one device read), and the ledger emptied. */
  async read(): Promise<LedgerEntry[]> {
    if (this.used === 0) return [];
    const v = await this.backend.read(this.storage);
    const out: LedgerEntry[] = [];
    for (let i = 0; i < this.used; i++) out.push({ loss: v[2 * i]!, correct: v[2 * i + 1]! });
    this.used = 0;
    return out;
  }
}
