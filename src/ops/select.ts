import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './util.js';

/**
 * The entries `rows` of one axis of `x`, in that order (PyTorch's
 * index_select): [..., N, ...] → [..., rows.length, ...]. A copy that keeps
 * the binary flag. Early exit drops the batch rows of finished samples from
 * inputs and neuron state with it (axis 1 of a time-major sequence, axis 0 of
 * a state [B, ...]). Differentiable: the backward adds each output row's
 * gradient into the row it came from (indices may repeat).
 */
export function selectRows(x: Tensor, axis: number, rows: ArrayLike<number>): Tensor {
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.ndim) throw new ShapeError(`selectRows: axis ${axis} out of range for ${fmtShape(x.shape)}`);
  const N = x.shape[axis]!;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (!Number.isInteger(r) || r < 0 || r >= N) throw new ShapeError(`selectRows: index ${r} (position ${k}) out of range [0, ${N}) on axis ${axis} of ${fmtShape(x.shape)}`);
  }
  const outer = sizeOf(x.shape.slice(0, axis));
  const inner = sizeOf(x.shape.slice(axis + 1));
  const K = rows.length;
  const be = x.backend;
  const shape = [...x.shape];
  shape[axis] = K;
  const out = empty(be, shape, x.binary);
  for (let o = 0; o < outer; o++) for (let k = 0; k < K; k++) be.copy(x.storage, (o * N + rows[k]!) * inner, out.storage, (o * K + k) * inner, inner);
  record('selectRows', [x], [out], ([g]) => {
    const gx = empty(be, x.shape);
    const src = g!.data, dst = gx.data;
    for (let o = 0; o < outer; o++) {
      for (let k = 0; k < K; k++) {
        const from = (o * K + k) * inner, to = (o * N + rows[k]!) * inner;
        for (let i = 0; i < inner; i++) dst[to + i] += src[from + i]!;
      }
    }
    return [gx];
  });
  return out;
}
