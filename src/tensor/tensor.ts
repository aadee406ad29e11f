import type { Backend } from '../backend/backend.js';
import type { Floats, Storage } from '../backend/storage.js';
import { getBackend } from '../backend/registry.js';
import { ShapeError } from '../errors.js';
import { checkShape, fmtShape, sizeOf, type Shape } from './shape.js';

export interface TensorOptions {
  backend?: Backend;
  requiresGrad?: boolean;
  /** Values are known to be 0/1 (spikes): lets linear layers take the event-driven path. */
  binary?: boolean;
  name?: string;
}

/**
 * One recorded operation on the tape. Coarse by design: a whole matmul, a
 * neuron scan over all T steps or a loss is one node with a hand-written
 * backward, so the tape stays short and backward can be fused like forward.
 *
 * Declared here, next to Tensor, rather than in autograd/: a tensor points at
 * the node that produced it and a node holds tensors, so the two types are
 * mutually recursive and one file keeps the floors free of an import cycle
 * (autograd/ builds on tensor/, never the other way round).
 */
export interface Node {
  readonly name: string;
  readonly inputs: readonly (Tensor | null)[];
  readonly outputs: readonly Tensor[];
  /**
   * Given the gradient of each output (null where the output did not reach the
   * loss), return the gradient of each input (null where not needed). Must not
   * write into the gradients it receives. Released after use.
   */
  backward: ((gradOutputs: (Tensor | null)[]) => (Tensor | null)[]) | null;
  /**
   * Buffers the backward keeps besides the inputs and outputs (a scan's
   * state traces and spike masks, pooling indices, normalisation
   * statistics): declared so the tape's memory accounting
   * (autograd/tape.ts, `tapeMemory`) counts them. Released with the node.
   */
  saved?: readonly SavedBuffer[];
}

/** A buffer a node keeps for its backward: backend storage or a plain typed array (spike masks, indices). */
export type SavedBuffer = Storage | ArrayBufferView;

/**
 * An n-dimensional array whose numbers live in a backend's storage. Sequences are
 * time-major `[T, B, ...]`. Tensors are immutable for ops; only optimizers and
 * explicit in-place helpers write into parameter storage.
 */
export class Tensor {
  readonly shape: Shape;
  readonly size: number;
  readonly storage: Storage;
  readonly backend: Backend;
  requiresGrad: boolean;
  binary: boolean;
  name: string | undefined;
  /** Accumulated gradient of a leaf after `backward()`. */
  grad: Tensor | null = null;
  /** The autograd node that produced this tensor (null for leaves and under noGrad). */
  node: Node | null = null;
  /** Which output of `node` this tensor is. */
  outputIndex = 0;

  constructor(storage: Storage, shape: Shape, opts: TensorOptions = {}) {
    checkShape(shape);
    const n = sizeOf(shape);
    if (storage.length !== n) throw new ShapeError(`Tensor: storage of ${storage.length} elements cannot have shape ${fmtShape(shape)}`);
    this.storage = storage;
    this.shape = Object.freeze([...shape]);
    this.size = n;
    this.backend = opts.backend ?? getBackend();
    this.requiresGrad = opts.requiresGrad ?? false;
    this.binary = opts.binary ?? false;
    this.name = opts.name;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** Synchronous view of the numbers (CPU backends). Do not keep it across backend calls. */
  get data(): Floats {
    return this.storage.data;
  }

  /** Copy of the numbers; works on every backend including asynchronous ones. */
  async read(): Promise<Floats> {
    return this.backend.read(this.storage);
  }

  toArray(): number[] {
    return Array.from(this.storage.data);
  }

  /** The single number of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ShapeError(`item(): tensor has shape ${fmtShape(this.shape)}, expected one element`);
    return this.storage.data[0]!;
  }

  /** A tensor over the same storage with another shape (no copy; not differentiable — use ops.reshape for that). */
  view(shape: Shape): Tensor {
    return new Tensor(this.storage, shape, { backend: this.backend, binary: this.binary });
  }

  /** A detached copy (new storage, no autograd history). */
  clone(): Tensor {
    const s = this.backend.alloc(this.size);
    this.backend.copy(this.storage, 0, s, 0, this.size);
    return new Tensor(s, this.shape, { backend: this.backend, binary: this.binary });
  }

  /** Same storage, no autograd history. */
  detach(): Tensor {
    return new Tensor(this.storage, this.shape, { backend: this.backend, binary: this.binary });
  }

  /**
   * The numbers nested by shape (`[[1, 2], [3, 4]]` for a [2, 2] tensor; a
   * plain number for a scalar). `toArray()` stays flat, which is what most
   * numeric code wants.
   */
  toNested(): NestedArray {
    const data = this.storage.data;
    const shape = this.shape;
    if (shape.length === 0) return data[0]!;
    let k = 0;
    const build = (d: number): NestedArray[] => {
      const n = shape[d]!;
      const out: NestedArray[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = d === shape.length - 1 ? data[k++]! : build(d + 1);
      return out;
    };
    return build(0);
  }

  /**
   * One line a person can read: shape, dtype, backend, flags and the first
   * values, e.g. `Tensor[2, 3] float32 ts binary [0, 1, 1, 0, 0, 1]`.
   */
  toString(): string {
    const flags = [this.binary ? 'binary' : '', this.requiresGrad ? 'requiresGrad' : ''].filter(Boolean).join(' ');
    const data = this.storage.data;
    const n = Math.min(this.size, PREVIEW_VALUES);
    const vals: string[] = [];
    for (let i = 0; i < n; i++) vals.push(formatValue(data[i]!));
    const more = this.size > n ? `, … ${this.size - n} more` : '';
    return `Tensor${fmtShape(this.shape)} ${dtypeName(data)} ${this.backend.name}${flags ? ' ' + flags : ''} [${vals.join(', ')}${more}]`;
  }

  /** Node's console.log / util.inspect use this (a symbol, so the core stays free of node:util). */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }
}

/** What `Tensor.toNested()` returns: a number, or arrays nested as deep as the tensor's rank. */
export type NestedArray = number | NestedArray[];

/** Values shown by `Tensor.toString()`. */
const PREVIEW_VALUES = 8;

function dtypeName(a: Floats): string {
  return a instanceof Float64Array ? 'float64' : 'float32';
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? String(v) : Number(v.toPrecision(4)).toString();
}
