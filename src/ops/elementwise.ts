import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten } from './util.js';

// Outputs the next kernel writes in full (add, sub, mul, affine, the row copies) skip the pool's zero fill.
function sameShape(op: string, a: Tensor, b: Tensor): void {
  if (!shapeEq(a.shape, b.shape)) throw new ShapeError(`${op}: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
}

export function add(a: Tensor, b: Tensor): Tensor {
  sameShape('add', a, b);
  const out = emptyOverwritten(a.backend, a.shape);
  a.backend.add(a.storage, b.storage, out.storage);
  record('add', [a, b], [out], ([g]) => [g!, g!]);
  return out;
}

export function sub(a: Tensor, b: Tensor): Tensor {
  sameShape('sub', a, b);
  const out = emptyOverwritten(a.backend, a.shape);
  a.backend.sub(a.storage, b.storage, out.storage);
  record('sub', [a, b], [out], ([g]) => [g!, b.requiresGrad ? affine(g!, -1, 0) : null]);
  return out;
}

export function mul(a: Tensor, b: Tensor): Tensor {
  sameShape('mul', a, b);
  const out = emptyOverwritten(a.backend, a.shape, a.binary && b.binary);
  a.backend.mul(a.storage, b.storage, out.storage);
  record('mul', [a, b], [out], ([g]) => {
    const ga = a.requiresGrad ? emptyOverwritten(a.backend, a.shape) : null;
    if (ga) a.backend.mul(g!.storage, b.storage, ga.storage);
    const gb = b.requiresGrad ? emptyOverwritten(a.backend, a.shape) : null;
    if (gb) a.backend.mul(g!.storage, a.storage, gb.storage);
    return [ga, gb];
  });
  return out;
}

/** alpha·x + beta elementwise (no autograd recording; used inside backwards). */
function affine(x: Tensor, alpha: number, beta: number): Tensor {
  const out = emptyOverwritten(x.backend, x.shape);
  x.backend.affine(x.storage, alpha, beta, out.storage);
  return out;
}

/** alpha·x + beta, differentiable in x. */
export function scale(x: Tensor, alpha: number, beta = 0): Tensor {
  const out = affine(x, alpha, beta);
  record('scale', [x], [out], ([g]) => [affine(g!, alpha, 0)]);
  return out;
}

/** Sum of all elements → scalar tensor of shape []. */
export function sum(x: Tensor): Tensor {
  const out = empty(x.backend, []);
  // On the device (reduceInto; the gradient broadcast as a one-column row vector), so a GPU backend needs no read-back.
  x.backend.reduceInto('sum', x.storage, out.storage, 0, 1);
  record('sum', [x], [out], ([g]) => {
    const gx = empty(x.backend, x.shape);
    x.backend.addRowVector(x.size, 1, gx.storage, g!.storage);
    return [gx];
  });
  return out;
}

export function mean(x: Tensor): Tensor {
  return scale(sum(x), 1 / Math.max(1, x.size));
}

/** Sum of a [R, C] view over its rows → [C] (e.g. over time: [T, ...] → [...]). */
export function sumLeading(x: Tensor): Tensor {
  if (x.ndim < 1) throw new ShapeError(`sumLeading: needs at least one dimension, got ${fmtShape(x.shape)}`);
  const R = x.shape[0]!;
  const inner = x.shape.slice(1);
  const C = x.size / Math.max(1, R) || 0;
  const out = empty(x.backend, inner);
  x.backend.sumRows(R, C, x.storage, 0, out.storage);
  record('sumLeading', [x], [out], ([g]) => {
    const gx = emptyOverwritten(x.backend, x.shape);
    for (let r = 0; r < R; r++) x.backend.copy(g!.storage, 0, gx.storage, r * C, C);
    return [gx];
  });
  return out;
}

/** Mean over the leading (time) dimension. */
export function meanLeading(x: Tensor): Tensor {
  return scale(sumLeading(x), 1 / Math.max(1, x.shape[0] ?? 1));
}
