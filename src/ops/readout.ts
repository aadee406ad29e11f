import { record } from '../autograd/tape.js';
import type { Storage } from '../backend/storage.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { meanLeading, sumLeading } from './elementwise.js';
import { reshape, sliceLeading } from './shape.js';
import { empty } from './util.js';

/*
 * Readouts: per-sample class scores [B, C] from a time-major output [T, B, C]
 * (spikes or a membrane). The losses decide classes by these reductions;
 * distillation compares a student's and a teacher's scores, so it needs them
 * as differentiable ops (`reduceOverTime`).
 */

/**
 * How `ceMembraneLoss` turns the membrane trace into logits. 'softmax_sum' is
 * the DCLS reference's readout: logits = Σ_t softmax(v_t) (its loss 'sum').
 */
export type MembraneReduction = 'mean' | 'last' | 'max' | 'softmax_sum';

/** A reduction over time: the membrane ones plus 'sum' (spike counts). */
export type TimeReduction = 'sum' | MembraneReduction;

/** Row-wise softmax of a [R, C] array into `out`, in float64. */
export function softmaxRows(R: number, C: number, x: ArrayLike<number>, out: Float64Array): void {
  for (let r = 0; r < R; r++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, x[r * C + c]!);
    let z = 0;
    for (let c = 0; c < C; c++) z += out[r * C + c] = Math.exp(x[r * C + c]! - m);
    for (let c = 0; c < C; c++) out[r * C + c]! /= z;
  }
}

/**
 * The per-sample class scores [B·C] a membrane readout decides by (argmax):
 * the same reduction over time as the loss of that name ('mean' and
 * 'softmax_sum' rank classes alike only by accident, so each has its own).
 */
export function membraneScores(membrane: Tensor, reduce: MembraneReduction): Float64Array {
  if (membrane.ndim !== 3) throw new ShapeError(`membraneScores: expected a time-major [T, B, C] membrane, got ${fmtShape(membrane.shape)}`);
  const [T, B, C] = membrane.shape as [number, number, number];
  const N = B * C;
  const v = membrane.data;
  const out = new Float64Array(N);
  if (reduce === 'last') {
    for (let n = 0; n < N; n++) out[n] = v[(T - 1) * N + n]!;
  } else if (reduce === 'max') {
    out.fill(-Infinity);
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) out[n] = Math.max(out[n]!, v[t * N + n]!);
  } else if (reduce === 'mean') {
    for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) out[n] += v[t * N + n]! / T;
  } else {
    const p = new Float64Array(N);
    for (let t = 0; t < T; t++) {
      softmaxRows(B, C, v.subarray(t * N, (t + 1) * N), p);
      for (let n = 0; n < N; n++) out[n] += p[n]!;
    }
  }
  return out;
}

/**
 * The gradient of logits m_b = Σ_t softmax(v_t,b) (the DCLS reference's 'sum' loss)
 * spread over time: ∂L/∂v_t = p_t ⊙ (g − ⟨g, p_t⟩) with g = ∂L/∂m, p_t = softmax(v_t).
 */
export function spreadSoftmaxSum(membrane: Tensor, T: number, B: number, C: number, gLogits: Storage, gm: Tensor): void {
  const N = B * C;
  const gl = gLogits.data, dst = gm.data, v = membrane.data;
  const p = new Float64Array(N);
  for (let t = 0; t < T; t++) {
    softmaxRows(B, C, v.subarray(t * N, (t + 1) * N), p);
    for (let b = 0; b < B; b++) {
      let dot = 0;
      for (let c = 0; c < C; c++) dot += gl[b * C + c]! * p[b * C + c]!;
      for (let c = 0; c < C; c++) dst[t * N + b * C + c] = p[b * C + c]! * (gl[b * C + c]! - dot);
    }
  }
}

/**
 * Class scores [B, C] from a time-major [T, B, C] output, differentiable:
 * 'sum' (spike counts), 'mean', 'last', 'max' (the gradient goes to the
 * earliest step reaching the maximum, as in ceMembraneLoss) or 'softmax_sum'
 * (Σ_t softmax(x_t)). The same numbers as `membraneScores` for the
 * membrane reductions.
 */
export function reduceOverTime(x: Tensor, reduce: TimeReduction): Tensor {
  if (x.ndim !== 3) throw new ShapeError(`reduceOverTime: expected a time-major [T, B, C] tensor, got ${fmtShape(x.shape)}`);
  const [T, B, C] = x.shape as [number, number, number];
  if (T === 0) throw new ShapeError(`reduceOverTime: no time steps in ${fmtShape(x.shape)}`);
  const be = x.backend;
  const N = B * C;
  switch (reduce) {
    case 'sum':
      return sumLeading(x);
    case 'mean':
      return meanLeading(x);
    case 'last':
      return reshape(sliceLeading(x, T - 1, T), [B, C]);
    case 'max': {
      const out = empty(be, [B, C]);
      const argmax = new Int32Array(N);
      be.maxLeading(T, N, x.storage, out.storage, argmax);
      record('reduceOverTime.max', [x], [out], ([g]) => {
        const gx = empty(be, x.shape);
        const src = g!.data, dst = gx.data;
        for (let n = 0; n < N; n++) dst[argmax[n]! * N + n] = src[n]!;
        return [gx];
      });
      return out;
    }
    case 'softmax_sum': {
      const out = empty(be, [B, C]);
      out.data.set(membraneScores(x, 'softmax_sum'));
      record('reduceOverTime.softmax_sum', [x], [out], ([g]) => {
        const gx = empty(be, x.shape);
        spreadSoftmaxSum(x, T, B, C, g!.storage, gx);
        return [gx];
      });
      return out;
    }
    default:
      throw new ShapeError(`reduceOverTime: unknown reduction '${String(reduce)}' (sum, mean, last, max, softmax_sum)`);
  }
}
