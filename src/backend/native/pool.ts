import { BackendError } from '../../errors.js';
import type { Storage } from '../storage.js';

/*
 * Recycling of the native backend's Float32Arrays across training steps.
 *
 * A training step of the 784-1000-10 net allocates ~150 MB of temporaries
 * (membranes, spikes, gradients, each 12.8 MB at T·B = 3200). With plain
 * `new Float32Array` every one of them is fresh memory: calloc maps new pages
 * and the kernels then pay a page fault per 4 KiB on first touch, which cost
 * about a fifth of the step (bench b: 113 → 88 ms with recycling). Step scopes
 * (Backend.beginScope/endScope, the contract the wasm backend already relies
 * on) say exactly when a step's temporaries are dead, so their arrays go back
 * to a free list keyed by length and the next step reuses them, zero-filled
 * again as `alloc` promises.
 *
 * A released storage is poisoned like a wasm one: touching `data` afterwards
 * throws, so a tensor kept across steps without being listed in
 * persistentTensors() fails loudly instead of sharing memory with a newer one.
 */

/** Upper bound on the bytes parked in the free lists; beyond it released arrays are left to the garbage collector. */
const DEFAULT_POOL_BYTES = 1024 * 2 ** 20;

const RELEASE_REASON =
  'it was released at the end of a training/evaluation step (Backend.endScope); a module keeps a tensor across steps without listing it in persistentTensors(), or a caller kept a tensor from inside a step scope';

export class PooledStorage implements Storage {
  private array: Float32Array | null;
  readonly length: number;

  constructor(array: Float32Array) {
    this.array = array;
    this.length = array.length;
  }

  get data(): Float32Array {
    if (this.array === null) this.poisoned();
    return this.array;
  }

  get released(): boolean {
    return this.array === null;
  }

  /** Detach the array (for the free list) and poison this storage. */
  takeArray(): Float32Array {
    if (this.array === null) this.poisoned();
    const a = this.array;
    this.array = null;
    return a;
  }

  private poisoned(): never {
    throw new BackendError(`native storage used after release: ${RELEASE_REASON}`);
  }
}

export interface PoolStats {
  /** Arrays handed out from the free lists (no new memory). */
  reused: number;
  /** Arrays allocated fresh. */
  fresh: number;
  /** Bytes now parked in the free lists. */
  pooledBytes: number;
}

export class ArrayPool {
  private readonly free = new Map<number, Float32Array[]>();
  /** Storages allocated in each open scope, innermost last. */
  private readonly scopes: PooledStorage[][] = [];
  private pooledBytes = 0;
  private reused = 0;
  private fresh = 0;

  /**
   * `poisonUninit` fills recycled arrays handed out by allocUninit with NaN
   * (tests: an op that uses allocUninit for an output its kernel does not
   * fully write then produces NaN instead of silently reusing old numbers).
   */
  constructor(
    private readonly maxPooledBytes = DEFAULT_POOL_BYTES,
    private readonly poisonUninit = false,
  ) {}

  /** Zero-filled storage of n elements; recorded in the innermost open scope, if any. */
  alloc(n: number): Storage {
    return this.take(n, true);
  }

  /** Like alloc, but a recycled array keeps its old contents (for outputs a kernel overwrites in full). */
  allocUninit(n: number): Storage {
    return this.take(n, false);
  }

  private take(n: number, zero: boolean): Storage {
    const record = this.scopes[this.scopes.length - 1];
    if (record === undefined) return new PooledStorage(new Float32Array(n));
    const list = this.free.get(n);
    let a = list?.pop();
    if (a !== undefined) {
      this.pooledBytes -= a.byteLength;
      if (zero) a.fill(0);
      else if (this.poisonUninit) a.fill(NaN);
      this.reused++;
    } else {
      a = new Float32Array(n);
      this.fresh++;
    }
    const s = new PooledStorage(a);
    record.push(s);
    return s;
  }

  beginScope(): void {
    this.scopes.push([]);
  }

  /** Close the innermost scope: arrays of storages not in `keep` return to the free lists; kept ones move outwards. */
  endScope(keep: Iterable<Storage>): void {
    const record = this.scopes.pop();
    if (!record) throw new BackendError('native endScope: no scope is open (every endScope needs a beginScope before it)');
    this.close(record, keep, this.scopes[this.scopes.length - 1]);
  }

  /** Close the innermost scope as endScope does, its kept storages recorded by a new innermost scope (Backend.rotateScope). */
  rotateScope(keep: Iterable<Storage>): void {
    const record = this.scopes.pop();
    if (!record) throw new BackendError('native rotateScope: no scope is open (every rotateScope needs a beginScope before it)');
    const next: PooledStorage[] = [];
    this.close(record, keep, next);
    this.scopes.push(next);
  }

  private close(record: PooledStorage[], keep: Iterable<Storage>, outer: PooledStorage[] | undefined): void {
    const kept = keep instanceof Set ? (keep as Set<Storage>) : new Set(keep);
    for (const s of record) {
      if (kept.has(s)) {
        outer?.push(s);
        continue;
      }
      if (s.released) continue;
      const a = s.takeArray();
      if (this.pooledBytes + a.byteLength > this.maxPooledBytes) continue;
      let list = this.free.get(a.length);
      if (!list) this.free.set(a.length, (list = []));
      list.push(a);
      this.pooledBytes += a.byteLength;
    }
  }

  stats(): PoolStats {
    return { reused: this.reused, fresh: this.fresh, pooledBytes: this.pooledBytes };
  }

  /** Drop every parked array (memory goes back to the garbage collector). */
  clear(): void {
    this.free.clear();
    this.pooledBytes = 0;
  }
}
