import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty } from './util.js';

/** Same numbers, new shape (shares storage). One dimension may be -1. */
export function reshape(x: Tensor, shape: Shape): Tensor {
  const s = [...shape];
  const neg = s.indexOf(-1);
  if (neg >= 0) {
    const rest = sizeOf(s.filter((_, i) => i !== neg));
    if (rest === 0 || x.size % rest !== 0) throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} to ${fmtShape(shape)}`);
    s[neg] = x.size / rest;
  }
  if (sizeOf(s) !== x.size) throw new ShapeError(`reshape: cannot reshape ${fmtShape(x.shape)} (${x.size} elements) to ${fmtShape(shape)}`);
  const out = new Tensor(x.storage, s, { backend: x.backend, binary: x.binary });
  record('reshape', [x], [out], ([g]) => [new Tensor(g!.storage, x.shape, { backend: x.backend })]);
  return out;
}

/** Flatten dims [start, end] (inclusive, negative counts from the end) into one. */
export function flatten(x: Tensor, start = 0, end = -1): Tensor {
  const n = x.ndim;
  const s = start < 0 ? n + start : start;
  const e = end < 0 ? n + end : end;
  if (s < 0 || e >= n || s > e) return reshape(x, x.shape);
  const merged = x.shape.slice(s, e + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, s), merged, ...x.shape.slice(e + 1)]);
}

/**
 * Repeat a time-constant input [1, ...] over T steps → [T, ...]. Used by direct
 * encoding so layers before the first neuron run once instead of T times;
 * backward sums the T gradients.
 */
export function repeatTime(x: Tensor, T: number): Tensor {
  if (x.shape[0] !== 1) throw new ShapeError(`repeatTime: expected leading dimension 1, got ${fmtShape(x.shape)}`);
  const inner = x.size;
  const out = empty(x.backend, [T, ...x.shape.slice(1)], x.binary);
  for (let t = 0; t < T; t++) x.backend.copy(x.storage, 0, out.storage, t * inner, inner);
  record('repeatTime', [x], [out], ([g]) => {
    const gx = empty(x.backend, x.shape);
    x.backend.sumRows(T, inner, g!.storage, 0, gx.storage);
    return [gx];
  });
  return out;
}

/** Stack equally shaped tensors along a new leading dimension (e.g. per-step outputs → [T, ...]). */
export function stack(xs: Tensor[]): Tensor {
  if (xs.length === 0) throw new ShapeError('stack: no tensors');
  const first = xs[0]!;
  const n = first.size;
  for (const x of xs) if (x.size !== n) throw new ShapeError(`stack: shapes ${fmtShape(first.shape)} and ${fmtShape(x.shape)} differ`);
  const out = empty(first.backend, [xs.length, ...first.shape], xs.every((x) => x.binary));
  xs.forEach((x, i) => first.backend.copy(x.storage, 0, out.storage, i * n, n));
  record('stack', xs, [out], ([g]) =>
    xs.map((x, i) => {
      if (!x.requiresGrad) return null;
      const gx = empty(first.backend, x.shape);
      first.backend.copy(g!.storage, i * n, gx.storage, 0, n);
      return gx;
    }),
  );
  return out;
}

/** Slice [start, end) of the leading dimension (copy). */
export function sliceLeading(x: Tensor, start: number, end: number): Tensor {
  const L = x.shape[0] ?? 0;
  if (start < 0 || end > L || start > end) throw new ShapeError(`sliceLeading: [${start}, ${end}) out of range for ${fmtShape(x.shape)}`);
  const inner = x.size / Math.max(1, L);
  const out = empty(x.backend, [end - start, ...x.shape.slice(1)], x.binary);
  x.backend.copy(x.storage, start * inner, out.storage, 0, (end - start) * inner);
  record('sliceLeading', [x], [out], ([g]) => {
    const gx = empty(x.backend, x.shape);
    x.backend.copy(g!.storage, 0, gx.storage, start * inner, (end - start) * inner);
    return [gx];
  });
  return out;
}

/** [a; b] along the leading dimension (copy); the other dimensions must agree. Differentiable in both. */
export function concatLeading(a: Tensor, b: Tensor): Tensor {
  if (a.ndim !== b.ndim || !a.shape.slice(1).every((d, i) => d === b.shape[i + 1])) throw new ShapeError(`concatLeading: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ past the leading dimension`);
  const be = a.backend;
  const out = empty(be, [(a.shape[0] ?? 0) + (b.shape[0] ?? 0), ...a.shape.slice(1)], a.binary && b.binary);
  be.copy(a.storage, 0, out.storage, 0, a.size);
  be.copy(b.storage, 0, out.storage, a.size, b.size);
  record('concatLeading', [a, b], [out], ([g]) => [a, b].map((x, i) => {
    if (!x.requiresGrad) return null;
    const gx = empty(be, x.shape);
    be.copy(g!.storage, i === 0 ? 0 : a.size, gx.storage, 0, x.size);
    return gx;
  }));
  return out;
}
