import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { emptyOverwritten } from './util.js';

type Arr = Float32Array | Float64Array;

/**
 * Row lookup: ids `[T, B]` or `[T, B, 1]` holding integer token ids (as
 * numbers), weight `[V, D]` → `[T, B, D]`. The backward scatter-adds the
 * output gradient into the rows that were read. An id that is not an
 * integer in [0, V) is a ShapeError naming it and its position.
 */
export function embedding(ids: Tensor, weight: Tensor): Tensor {
  const op = 'embedding';
  if (!(ids.ndim === 2 || (ids.ndim === 3 && ids.shape[2] === 1))) throw new ShapeError(`${op}: token ids must be [T, B] or [T, B, 1], got ${fmtShape(ids.shape)}`);
  if (weight.ndim !== 2) throw new ShapeError(`${op}: weight must be [vocab, dim], got ${fmtShape(weight.shape)}`);
  const [T, B] = [ids.shape[0]!, ids.shape[1]!];
  const [V, D] = [weight.shape[0]!, weight.shape[1]!];
  const I = ids.data as Arr, Wt = weight.data as Arr;
  const n = T * B;
  const rows = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const id = I[i]!;
    if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new ShapeError(`${op}: token id ${id} at [${Math.floor(i / B)}, ${i % B}] is not an integer in [0, ${V})`);
    rows[i] = id;
  }
  const be = weight.backend;
  const out = emptyOverwritten(be, [T, B, D]);
  const O = out.data as Arr;
  for (let i = 0; i < n; i++) O.set(Wt.subarray(rows[i]! * D, rows[i]! * D + D), i * D);
  record(op, [weight], [out], ([g]) => {
    const dw = emptyOverwritten(be, weight.shape);
    const G = g!.data as Arr, Dw = dw.data as Arr;
    Dw.fill(0);
    for (let i = 0; i < n; i++) {
      const r = rows[i]! * D;
      for (let d = 0; d < D; d++) Dw[r + d]! += G[i * D + d]!;
    }
    return [dw];
  });
  return out;
}

/**
 * Binary spikes from real values with the arctan surrogate: forward
 * H(x) (1 where x > 0), backward g·(α/2)/(1 + (π·α·x/2)²) (semantics.md §2,
 * α = 2 by default). SpikeGPT's binary embedding.
 */
export function heavisideArctan(x: Tensor, alpha = 2): Tensor {
  const be = x.backend;
  const X = x.data as Arr;
  const out = emptyOverwritten(be, x.shape, true);
  const O = out.data as Arr;
  for (let i = 0; i < O.length; i++) O[i] = X[i]! > 0 ? 1 : 0;
  record('heavisideArctan', [x], [out], ([g]) => {
    const dx = emptyOverwritten(be, x.shape);
    const G = g!.data as Arr, Xg = x.data as Arr, D = dx.data as Arr;
    for (let i = 0; i < D.length; i++) {
      const z = (Math.PI * alpha * Xg[i]!) / 2;
      D[i] = (G[i]! * (alpha / 2)) / (1 + z * z);
    }
    return [dx];
  });
  return out;
}
