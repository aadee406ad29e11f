import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten, scratchOutput } from './util.js';

/** Fewest input rows (T·B) for which the event-driven path pays for its transpose of W. */
export const EVENT_MIN_ROWS = 8;

export interface LinearStats {
  /** Whether the last call took the event-driven path. */
  eventDriven: boolean;
  /** Fraction of nonzero inputs seen by the last call (binary inputs only; 1 otherwise; NaN when the backend does not count them). */
  density: number;
}

/** Options of the weighted ops that change their backward (not their forward). */
export interface WeightGradOptions {
  /**
   * The input the weight gradient is formed from instead of x (same shape):
   * dW = Σ dY·uᵀ with u this tensor, while the forward and the input
   * gradient use x. OTTT's presynaptic traces (src/train/online.ts) enter
   * here. Not differentiated itself.
   */
  weightGradInput?: Tensor | null;
}

/** The substitute input of a weight gradient, checked against x. */
export function checkWeightGradInput(op: string, x: Tensor, u: Tensor | null | undefined): Tensor | null {
  if (!u) return null;
  if (u.size !== x.size || u.backend !== x.backend) throw new ShapeError(`${op}: weight-gradient input ${fmtShape(u.shape)} does not match input ${fmtShape(x.shape)}`);
  return u;
}

/**
 * y = x·Wᵀ + b over the last dimension; every leading dimension (time, batch)
 * is folded into the rows of one GEMM. W is [out, in] as in PyTorch and NIR.
 * Binary inputs below the backend's density threshold take the event-driven
 * kernels, which add weight rows for each spike instead of multiplying.
 * `opts.weightGradInput` forms dW from another tensor than x (see WeightGradOptions).
 */
export function linear(x: Tensor, W: Tensor, b: Tensor | null, stats?: LinearStats, opts: WeightGradOptions = {}): Tensor {
  if (W.ndim !== 2) throw new ShapeError(`linear: weight must be 2-D [out, in], got ${fmtShape(W.shape)}`);
  const [N, K] = W.shape as [number, number];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== K) throw new ShapeError(`linear: input ${fmtShape(x.shape)} does not end in ${K} features (weight ${fmtShape(W.shape)})`);
  if (b && (b.ndim !== 1 || b.shape[0] !== N)) throw new ShapeError(`linear: bias ${fmtShape(b.shape)} does not match ${N} outputs`);
  const be = x.backend;
  const M = x.size / K;
  const u = checkWeightGradInput('linear', x, opts.weightGradInput);
  const y = emptyOverwritten(be, [...x.shape.slice(0, -1), N]); // beta = 0 below: fully written
  let eventDriven = false;
  let density = 1;
  // A threshold of 0 means the backend never takes the event path (webgpu: counting
  // would be a read-back); the density is then not measured and reported as NaN.
  if (x.binary && M > 0 && be.eventDensityThreshold <= 0) density = NaN;
  else if (x.binary && M > 0) {
    density = be.countNonzero(x.storage) / x.size;
    // The event kernels read Wᵀ, transposed once per call (O(N·K), one dense row's
    // worth of work): with only a few rows (streaming, batch 1) dense GEMM wins.
    eventDriven = density < be.eventDensityThreshold && M >= EVENT_MIN_ROWS;
  }
  if (eventDriven) {
    const Wt = scratchOutput(be, K * N);
    be.transpose(N, K, W.storage, Wt);
    be.eventGemm(M, N, K, x.storage, Wt, 0, y.storage);
  } else {
    be.gemm(false, true, M, N, K, 1, x.storage, 0, W.storage, 0, 0, y.storage, 0);
  }
  if (b) be.addRowVector(M, N, y.storage, b.storage);
  if (stats) {
    stats.eventDriven = eventDriven;
    stats.density = density;
  }
  record('linear', [x, W, b], [y], ([g]) => {
    const dY = g!;
    let dX: Tensor | null = null;
    if (x.requiresGrad) {
      dX = emptyOverwritten(be, x.shape);
      be.gemm(false, false, M, K, N, 1, dY.storage, 0, W.storage, 0, 0, dX.storage, 0);
    }
    let dW: Tensor | null = null;
    if (W.requiresGrad) {
      // A substitute input (a trace) is real-valued: always the dense GEMM.
      const eventW = eventDriven && !u;
      // The event-driven gradient accumulates (needs zeros); the GEMM (beta = 0) overwrites.
      dW = eventW ? empty(be, W.shape) : emptyOverwritten(be, W.shape);
      if (eventW) be.eventGemmGradW(M, N, K, dY.storage, x.storage, dW.storage);
      else be.gemm(true, false, N, K, M, 1, dY.storage, 0, (u ?? x).storage, 0, 0, dW.storage, 0);
    }
    let db: Tensor | null = null;
    if (b && b.requiresGrad) {
      db = emptyOverwritten(be, b.shape);
      be.sumRows(M, N, dY.storage, 0, db.storage);
    }
    return [dX, dW, db];
  }, u ? [u.storage] : undefined);
  return y;
}

/** y + b with b [N] broadcast over every leading dimension of y [..., N] (a bias on its own). */
export function addBias(y: Tensor, b: Tensor): Tensor {
  const N = b.size;
  if (b.ndim !== 1 || y.shape[y.ndim - 1] !== N) throw new ShapeError(`addBias: bias ${fmtShape(b.shape)} does not match ${fmtShape(y.shape)}`);
  const be = y.backend;
  const M = y.size / N;
  const out = emptyOverwritten(be, y.shape);
  be.copy(y.storage, 0, out.storage, 0, y.size);
  be.addRowVector(M, N, out.storage, b.storage);
  record('addBias', [y, b], [out], ([g]) => {
    let dy: Tensor | null = null;
    if (y.requiresGrad) {
      dy = emptyOverwritten(be, y.shape);
      be.copy(g!.storage, 0, dy.storage, 0, y.size);
    }
    let db: Tensor | null = null;
    if (b.requiresGrad) {
      db = emptyOverwritten(be, b.shape);
      be.sumRows(M, N, g!.storage, 0, db.storage);
    }
    return [dy, db];
  });
  return out;
}
