import { record } from '../autograd/tape.js';
import type { Backend } from '../backend/backend.js';
import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape, shapeEq, sizeOf, type Shape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { empty } from './util.js';

function checkP(p: number): void {
  if (!(p >= 0 && p <= 1)) throw new ConfigError(`dropout: probability p must be in [0, 1], got ${p}`);
}

/**
 * A dropout mask of the given shape: each entry is 0 with probability p, else
 * 1/(1 − p) (inverted scaling, so eval needs no rescaling). Drawn from rng in
 * row-major order, so the same seed gives the same mask.
 */
export function dropoutMask(shape: Shape, p: number, rng: Rng, backend: Backend): Tensor {
  checkP(p);
  const n = sizeOf(shape);
  const keep = p >= 1 ? 0 : 1 / (1 - p);
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) v[i] = rng.random() < p ? 0 : keep;
  return new Tensor(backend.fromArray(v), shape, { backend });
}

/**
 * y[t] = x[t] ⊙ mask for every leading index t: x is [T, ...mask.shape].
 * Differentiable in x (the mask is a constant).
 */
export function applyTimeSharedMask(x: Tensor, mask: Tensor): Tensor {
  if (x.ndim < 1 || !shapeEq(x.shape.slice(1), mask.shape))
    throw new ShapeError(`dropout: mask ${fmtShape(mask.shape)} does not match input ${fmtShape(x.shape)} after its time dim`);
  const be = x.backend;
  const T = x.shape[0]!;
  const n = mask.size;
  const y = empty(be, x.shape);
  be.mulBroadcast(T, n, x.storage, mask.storage, y.storage);
  record('dropout', [x], [y], ([g]) => {
    const dx = empty(be, x.shape);
    be.mulBroadcast(T, n, g!.storage, mask.storage, dx.storage);
    return [dx];
  }, [mask.storage]);
  return y;
}

/**
 * Dropout for time-major sequences [T, B, ...]: one mask [B, ...] is sampled
 * per call and applied to every time step, so a dropped unit stays silent for
 * the whole sequence (the usual choice for SNNs; independent masks per step
 * would add noise on the time axis instead of thinning the network).
 * Identity when not training or p = 0.
 */
export function dropout(x: Tensor, p: number, rng: Rng, training: boolean): Tensor {
  checkP(p);
  if (!training || p === 0) return x;
  if (x.ndim < 2) throw new ShapeError(`dropout: input must be [T, B, ...], got ${fmtShape(x.shape)}`);
  return applyTimeSharedMask(x, dropoutMask(x.shape.slice(1), p, rng, x.backend));
}
