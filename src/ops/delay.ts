import { record } from '../autograd/tape.js';
import type { DelayInterp, DelaySynapses } from '../backend/kernels/delay.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten } from './util.js';

/*
 * Synaptic delays as a temporal convolution (DCLS; docs/equations.md
 * §"Synaptic delays"). A delay layer's kernel is [K, O, I]: tap k carries the
 * input from K − 1 − k steps before. The convolution is causal (the input is
 * zero before step 0), so with time-major [T, B, I] sequences tap k is one
 * GEMM of the input's first rows against the tap's [O, I] matrix, added to
 * the output rows d = K − 1 − k steps later: K GEMMs over row blocks, no
 * im2col copy, on whatever GEMM the backend has.
 */

export interface DelayKernelOptions {
  /** Taps (max delay + 1), odd. */
  K: number;
  interp: DelayInterp;
  /** Gaussian σ (not trained; DCLS shrinks it by a schedule). */
  sigma: number;
}

/** kernel[k, o, i] from weights w[O, I] and positions p[O, I]: one tape node, differentiable in both. */
export function delayKernel(w: Tensor, p: Tensor, o: DelayKernelOptions): Tensor {
  if (w.ndim !== 2) throw new ShapeError(`delayKernel: weight must be [out, in], got ${fmtShape(w.shape)}`);
  if (p.ndim !== 2 || p.shape[0] !== w.shape[0] || p.shape[1] !== w.shape[1]) throw new ShapeError(`delayKernel: positions ${fmtShape(p.shape)} must match the weight ${fmtShape(w.shape)}`);
  if (!(Number.isInteger(o.K) && o.K >= 1 && o.K % 2 === 1)) throw new ShapeError(`delayKernel: K must be a positive odd integer, got ${o.K}`);
  const be = w.backend;
  const [O, I] = w.shape as [number, number];
  const n = O * I;
  const kernel = emptyOverwritten(be, [o.K, O, I]);
  be.delayKernelBuild(n, o.K, o.interp, o.sigma, w.storage, p.storage, kernel.storage);
  record('delayKernel', [w, p], [kernel], ([g]) => {
    const dW = w.requiresGrad ? emptyOverwritten(be, w.shape) : null;
    const dP = p.requiresGrad ? emptyOverwritten(be, p.shape) : null;
    be.delayKernelBuildBackward(n, o.K, o.interp, o.sigma, w.storage, p.storage, g!.storage, dW?.storage ?? null, dP?.storage ?? null);
    return [dW, dP];
  });
  return kernel;
}

/**
 * y[t, b, o] = Σ_k Σ_i kernel[k, o, i]·x[t − (K−1−k), b, i] for t in [0, T + tail):
 * the causal delay convolution of a time-major sequence. `tail` extra output
 * steps let the last inputs arrive through long delays (the DCLS reference
 * pads (K − 1)/2 steps on the right).
 */
export function delayConv(x: Tensor, kernel: Tensor, tail = 0): Tensor {
  if (kernel.ndim !== 3) throw new ShapeError(`delayConv: kernel must be [K, out, in], got ${fmtShape(kernel.shape)}`);
  const [K, O, I] = kernel.shape as [number, number, number];
  if (x.ndim !== 3 || x.shape[2] !== I) throw new ShapeError(`delayConv: input must be [T, B, ${I}] (time-major), got ${fmtShape(x.shape)}`);
  if (!(Number.isInteger(tail) && tail >= 0)) throw new ShapeError(`delayConv: tail must be a non-negative integer, got ${tail}`);
  const be = x.backend;
  const [T, B] = x.shape as [number, number];
  const Tout = T + tail;
  const OI = O * I;
  // Tap k (delay d) maps input rows [0, rows) to output rows [d, d + rows).
  const rowsOf = (d: number): number => Math.max(0, Math.min(T, Tout - d)) * B;
  // Spikes (hidden layers' inputs, ~5–20 % nonzero) take the event-driven kernels for the forward and
  // the kernel gradient: nnz·K·O additions instead of 2·T·B·I·O·K multiply-adds. The density is measured,
  // as linear() does, against the backend's crossover.
  const event = x.size > 0 && be.countNonzero(x.storage) / x.size < be.delayEventDensityThreshold;
  let y: Tensor;
  if (event) {
    y = emptyOverwritten(be, [Tout, B, O]);
    be.delayEventForward(T, Tout, B, I, O, K, x.storage, kernel.storage, y.storage);
  } else {
    y = empty(be, [Tout, B, O]); // every tap accumulates (beta = 1)
    for (let k = 0; k < K; k++) {
      const d = K - 1 - k;
      const M = rowsOf(d);
      if (M > 0) be.gemm(false, true, M, O, I, 1, x.storage, 0, kernel.storage, k * OI, 1, y.storage, d * B * O);
    }
  }
  record('delayConv', [x, kernel], [y], ([g]) => {
    const dY = g!;
    let dX: Tensor | null = null;
    if (x.requiresGrad) {
      dX = empty(be, x.shape);
      for (let k = 0; k < K; k++) {
        const d = K - 1 - k;
        const M = rowsOf(d);
        if (M > 0) be.gemm(false, false, M, I, O, 1, dY.storage, d * B * O, kernel.storage, k * OI, 1, dX.storage, 0);
      }
    }
    let dK: Tensor | null = null;
    if (kernel.requiresGrad && event) {
      dK = emptyOverwritten(be, kernel.shape);
      be.delayEventGradKernel(T, Tout, B, I, O, K, x.storage, dY.storage, dK.storage);
    } else if (kernel.requiresGrad) {
      dK = empty(be, kernel.shape);
      for (let k = 0; k < K; k++) {
        const d = K - 1 - k;
        const M = rowsOf(d);
        if (M > 0) be.gemm(true, false, O, I, M, 1, dY.storage, d * B * O, x.storage, 0, 0, dK.storage, k * OI);
      }
    }
    return [dX, dK];
  });
  return y;
}

/**
 * The exact integer-delay path (inference after rounding): output steps
 * [tStart, tEnd) of the delay sum over the synapse lists, each output a
 * float64 sum in a fixed order (Backend.delaySparseForward), so it equals
 * `delayConvExact` of the one-hot kernel bit for bit, and a streamed run
 * equals a whole-sequence run. Not differentiable (inference only).
 */
export function delaySparse(x: Tensor, syn: DelaySynapses, tStart: number, tEnd: number): Tensor {
  const { inFeatures: I, outFeatures: O } = syn;
  if (x.ndim !== 3 || x.shape[2] !== I) throw new ShapeError(`delaySparse: input must be [T, B, ${I}] (time-major), got ${fmtShape(x.shape)}`);
  if (!(Number.isInteger(tStart) && Number.isInteger(tEnd) && 0 <= tStart && tStart <= tEnd)) throw new ShapeError(`delaySparse: bad step range [${tStart}, ${tEnd})`);
  const [T, B] = x.shape as [number, number];
  const y = emptyOverwritten(x.backend, [tEnd - tStart, B, O]);
  x.backend.delaySparseForward(T, tStart, tEnd, B, syn, x.storage, y.storage);
  return y;
}

/**
 * The definition, evaluated plainly: Σ over taps k ascending and inputs i
 * ascending of kernel[k, o, i]·x[t − (K−1−k), b, i], in float64, rounded once
 * (the reference the integer-delay path is held to, exactly). O(T·B·K·O·I):
 * for tests and checks, not for training.
 */
export function delayConvExact(x: Tensor, kernel: Tensor, tail = 0): Tensor {
  const [K, O, I] = kernel.shape as [number, number, number];
  if (x.ndim !== 3 || x.shape[2] !== I) throw new ShapeError(`delayConvExact: input must be [T, B, ${I}], got ${fmtShape(x.shape)}`);
  const [T, B] = x.shape as [number, number];
  const xd = x.data, kd = kernel.data;
  const out = new Float64Array((T + tail) * B * O);
  const acc = new Float64Array(O);
  for (let t = 0; t < T + tail; t++) {
    for (let b = 0; b < B; b++) {
      acc.fill(0);
      for (let k = 0; k < K; k++) {
        const s = t - (K - 1 - k);
        if (s < 0 || s >= T) continue;
        for (let i = 0; i < I; i++) {
          const xv = xd[(s * B + b) * I + i]!;
          for (let o = 0; o < O; o++) acc[o] += kd[(k * O + o) * I + i]! * xv;
        }
      }
      out.set(acc, (t * B + b) * O);
    }
  }
  return new Tensor(x.backend.fromArray(out), [T + tail, B, O], { backend: x.backend });
}
