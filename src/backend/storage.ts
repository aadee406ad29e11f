/** Element arrays the CPU backends compute on. float64 exists for gradient checks and fixtures. */
export type Floats = Float32Array | Float64Array;
export type DType = 'float32' | 'float64';

/**
 * A block of numbers owned by a backend. CPU backends expose `data`, a view that
 * is valid until the next allocation (a wasm backend re-derives it after memory
 * growth, so never keep a `data` reference across backend calls). A GPU backend
 * would throw from `data` and serve `Backend.read` instead.
 */
export interface Storage {
  readonly length: number;
  readonly data: Floats;
}

/** Storage backed by a plain typed array (the TypeScript reference backend). */
export class ArrayStorage implements Storage {
  constructor(public readonly data: Floats) {}
  get length(): number {
    return this.data.length;
  }
}
