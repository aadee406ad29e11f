import { record } from '../../autograd/tape.js';
import { ShapeError } from '../../errors.js';
import { empty } from '../../ops/util.js';
import type { Tensor } from '../../tensor/tensor.js';

/**
 * y = g ⊙ x + b over the feature axis of a [T, B, ...features] sequence, with
 * constant per-feature g and b (F values each). Differentiable in x:
 * dL/dx = g ⊙ dL/dy. NIR neurons use it for their input gain r·dt/τ and the
 * constant drive of a non-zero leak potential.
 */
export function featureAffine(x: Tensor, gain: Float64Array, bias: Float64Array | null): Tensor {
  const F = gain.length;
  if (x.ndim < 2 || x.size % F !== 0 || (x.size > 0 && x.shape.slice(2).reduce((a, b) => a * b, 1) !== F))
    throw new ShapeError(`featureAffine: input [${x.shape.join(', ')}] does not end in ${F} features`);
  if (bias && bias.length !== F) throw new ShapeError(`featureAffine: bias has ${bias.length} values, expected ${F}`);
  const be = x.backend;
  const out = empty(be, x.shape);
  const xd = x.data, o = out.data, n = x.size;
  for (let j = 0, f = 0; j < n; j++) {
    o[j] = gain[f]! * xd[j]! + (bias ? bias[f]! : 0);
    if (++f === F) f = 0;
  }
  record('featureAffine', [x], [out], ([g]) => {
    const gx = empty(be, x.shape);
    const gd = g!.data, r = gx.data;
    for (let j = 0, f = 0; j < n; j++) {
      r[j] = gain[f]! * gd[j]!;
      if (++f === F) f = 0;
    }
    return [gx];
  });
  return out;
}
