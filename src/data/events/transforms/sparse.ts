import type { Rng } from '../../../tensor/rng.js';
import type { EventStream } from '../stream.js';
import { checkSliceSpec, computeSlices, sliceParams, type SliceSpec } from './slicing.js';
import type { Transform, TransformParam } from './transform.js';

/**
 * Coordinate-format sparse counts of the frames ToFrame would give: `indices`
 * holds nnz rows of (t, p, y, x) — or (t, channel) for channel streams — in
 * ascending row-major order, each once, with its count in `values`.
 */
export interface SparseEvents {
  readonly shape: readonly number[];
  readonly indices: Int32Array;
  readonly values: Float32Array;
  readonly nnz: number;
}

export class ToSparseTensor implements Transform<EventStream, SparseEvents> {
  readonly name = 'ToSparseTensor';
  readonly random = false;
  readonly params: Readonly<Record<string, TransformParam>>;

  constructor(readonly spec: SliceSpec) {
    checkSliceSpec('ToSparseTensor', spec);
    this.params = sliceParams(spec);
  }

  apply(s: EventStream, _rng?: Rng): SparseEvents {
    const { starts, ends } = computeSlices(s, this.spec);
    const K = starts.length;
    const shape = s.kind === 'dvs' ? [K, 2, s.height, s.width] : [K, s.channels];
    let total = 0;
    for (let k = 0; k < K; k++) total += ends[k]! - starts[k]!;
    // Flat row-major indices (Float64 so T·2·H·W may exceed 2^32), then sort and merge duplicates.
    const flat = new Float64Array(total);
    let m = 0;
    for (let k = 0; k < K; k++) {
      for (let i = starts[k]!; i < ends[k]!; i++) {
        flat[m++] = s.kind === 'dvs' ? ((k * 2 + s.p[i]!) * s.height + s.y[i]!) * s.width + s.x[i]! : k * s.channels + s.channel[i]!;
      }
    }
    flat.sort();
    let nnz = 0;
    for (let i = 0; i < total; i++) if (i === 0 || flat[i] !== flat[i - 1]) nnz++;
    const rank = shape.length;
    const indices = new Int32Array(nnz * rank);
    const values = new Float32Array(nnz);
    let j = -1;
    for (let i = 0; i < total; i++) {
      if (i === 0 || flat[i] !== flat[i - 1]) {
        j++;
        let f = flat[i]!;
        for (let d = rank - 1; d >= 0; d--) {
          indices[j * rank + d] = f % shape[d]!;
          f = Math.floor(f / shape[d]!);
        }
      }
      values[j]! += 1;
    }
    return { shape, indices, values, nnz };
  }
}

/** Expand a SparseEvents to a dense Float32Array (row-major). */
export function sparseToDense(sp: SparseEvents): Float32Array {
  const rank = sp.shape.length;
  let size = 1;
  for (const d of sp.shape) size *= d;
  const out = new Float32Array(size);
  for (let j = 0; j < sp.nnz; j++) {
    let f = 0;
    for (let d = 0; d < rank; d++) f = f * sp.shape[d]! + sp.indices[j * rank + d]!;
    out[f] = sp.values[j]!;
  }
  return out;
}
