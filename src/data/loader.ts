import type { Backend } from '../backend/backend.js';
import { ConfigError } from '../errors.js';
import { tensor } from '../tensor/create.js';
import { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Dataset } from './dataset.js';

/** One mini-batch. `x` holds `size` samples back to back (`size × features`). */
export interface Batch {
  x: Float32Array;
  labels: Int32Array;
  size: number;
  /** Dataset indices of the samples, in batch order. */
  indices: Int32Array;
}

export interface DataLoaderOptions {
  batchSize: number;
  /** Reshuffle at the start of every epoch (default true). */
  shuffle?: boolean;
  /** Seed of the loader's own Rng (default 0); ignored when `rng` is given. */
  seed?: number;
  /** Use this generator (e.g. `rootRng.fork()`); the loader owns it from then on. */
  rng?: Rng;
  /** Skip the last batch of an epoch when it is smaller than batchSize (default false). */
  dropLast?: boolean;
  /**
   * Fill the same arrays for every batch (default true): no allocation per
   * batch, but a batch is only valid until the next one is requested — copy it
   * (e.g. `batchTensor`) before asking for another.
   */
  reuseBuffers?: boolean;
}

/**
 * Everything needed to continue bit-exactly: the epoch, how many samples of
 * it were consumed, and the Rng state at the start of that epoch (the epoch's
 * order is regenerated from it, so the state stays small).
 */
export interface DataLoaderState {
  epoch: number;
  position: number;
  epochRng: number[];
  datasetLength: number;
  batchSize: number;
}

/**
 * Mini-batches over an in-memory dataset with seeded per-epoch shuffling.
 * Each epoch's order is a Fisher–Yates shuffle of 0..N-1 drawn from the
 * loader's Rng at the start of the epoch, so it depends only on the seed and
 * the epoch number.
 */
export class DataLoader {
  readonly dataset: Dataset;
  readonly batchSize: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly reuseBuffers: boolean;
  private readonly rng: Rng;
  private readonly order: Int32Array;
  private epochRng: number[] = [];
  private epochIndex = 0;
  private pos = 0;
  private xBuf: Float32Array;
  private yBuf: Int32Array;
  private iBuf: Int32Array;

  constructor(dataset: Dataset, opts: DataLoaderOptions) {
    if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
      throw new ConfigError(`DataLoader: batchSize must be a positive integer, got ${opts.batchSize}`);
    }
    this.dataset = dataset;
    this.batchSize = opts.batchSize;
    this.shuffle = opts.shuffle ?? true;
    this.dropLast = opts.dropLast ?? false;
    this.reuseBuffers = opts.reuseBuffers ?? true;
    this.rng = opts.rng ?? new Rng(opts.seed ?? 0);
    this.order = new Int32Array(dataset.length);
    const B = Math.min(this.batchSize, Math.max(dataset.length, 1));
    this.xBuf = new Float32Array(B * dataset.features);
    this.yBuf = new Int32Array(B);
    this.iBuf = new Int32Array(B);
    this.startEpoch();
  }

  /** Batches per epoch. */
  get numBatches(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Current epoch (0-based); advances when an epoch's batches are exhausted. */
  get epoch(): number {
    return this.epochIndex;
  }

  /** Samples of the current epoch already delivered. */
  get position(): number {
    return this.pos;
  }

  /** The current epoch's sample order (read-only view). */
  epochOrder(): Int32Array {
    return this.order.subarray();
  }

  private startEpoch(): void {
    this.epochRng = this.rng.getState();
    const o = this.order;
    for (let i = 0; i < o.length; i++) o[i] = i;
    if (this.shuffle) this.rng.shuffle(o);
  }

  private remainingBatchSize(): number {
    const left = this.dataset.length - this.pos;
    if (left <= 0) return 0;
    if (left < this.batchSize) return this.dropLast ? 0 : left;
    return this.batchSize;
  }

  /**
   * The next batch of the current epoch, or null once the epoch is exhausted;
   * returning null moves the loader to the next epoch (new shuffle).
   */
  nextBatch(): Batch | null {
    const size = this.remainingBatchSize();
    if (size === 0) {
      this.epochIndex++;
      this.pos = 0;
      this.startEpoch();
      return null;
    }
    const F = this.dataset.features;
    let x = this.xBuf, y = this.yBuf, idx = this.iBuf;
    if (!this.reuseBuffers) {
      x = new Float32Array(size * F);
      y = new Int32Array(size);
      idx = new Int32Array(size);
    } else if (size < this.batchSize) {
      x = x.subarray(0, size * F);
      y = y.subarray(0, size);
      idx = idx.subarray(0, size);
    }
    const images = this.dataset.images, labels = this.dataset.labels;
    for (let b = 0; b < size; b++) {
      const i = this.order[this.pos + b]!;
      idx[b] = i;
      y[b] = labels[i]!;
      x.set(images.subarray(i * F, (i + 1) * F), b * F);
    }
    this.pos += size;
    return { x, labels: y, size, indices: idx };
  }

  /** The remaining batches of the current epoch; when they run out the loader moves to the next epoch. */
  *batches(): Generator<Batch, void, undefined> {
    for (;;) {
      const b = this.nextBatch();
      if (b === null) return;
      yield b;
    }
  }

  [Symbol.iterator](): Generator<Batch, void, undefined> {
    return this.batches();
  }

  getState(): DataLoaderState {
    return { epoch: this.epochIndex, position: this.pos, epochRng: [...this.epochRng], datasetLength: this.dataset.length, batchSize: this.batchSize };
  }

  /** Continue exactly where `getState` was taken (same dataset and batch size required). */
  setState(s: DataLoaderState): void {
    if (s.datasetLength !== this.dataset.length) {
      throw new ConfigError(`DataLoader.setState: state is for a dataset of ${s.datasetLength} samples, '${this.dataset.name}' has ${this.dataset.length}`);
    }
    if (s.batchSize !== this.batchSize) throw new ConfigError(`DataLoader.setState: state has batchSize ${s.batchSize}, loader has ${this.batchSize}`);
    if (!Number.isInteger(s.position) || s.position < 0 || s.position > this.dataset.length) {
      throw new ConfigError(`DataLoader.setState: position ${s.position} is outside [0, ${this.dataset.length}]`);
    }
    this.rng.setState(s.epochRng);
    this.startEpoch();
    this.epochIndex = s.epoch;
    this.pos = s.position;
  }
}

/** A batch's images as a tensor `[size, ...sampleShape]` (copied into the backend's storage). */
export function batchTensor(batch: Batch, sampleShape: readonly number[], backend?: Backend): Tensor {
  return tensor(batch.x, [batch.size, ...sampleShape], backend ? { backend } : undefined);
}
