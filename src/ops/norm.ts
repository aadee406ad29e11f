import { record } from '../autograd/tape.js';
import type { Storage } from '../backend/storage.js';
import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape, sizeOf } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty, emptyOverwritten } from './util.js';

export interface BatchNormOptions {
  /** Index of the channel dim; every dim before it is folded into the batch (for [T, B, C, ...] this is 2). */
  channelAxis: number;
  /** Training: normalise with batch statistics and update the running ones. Eval: use the running statistics. */
  training: boolean;
  /** running ← (1 − momentum)·running + momentum·batch (PyTorch convention; default 0.1). */
  momentum?: number;
  eps?: number;
  /** Extra factor on the normalised value: tdBN uses α·V_th (default 1 = plain batch norm). */
  scale?: number;
}

/** Running statistics a batch-norm layer keeps (null: always use batch statistics, PyTorch's track_running_stats=False). */
export interface RunningStats {
  mean: Tensor;
  variance: Tensor;
}

/**
 * The per-channel affine map y = a·x + b batch normalisation applies, in
 * float64: a = scale·γ/√(σ² + ε), b = β − a·μ. The op and the streaming plan's
 * eval-mode stage (src/stream/) both take their coefficients from here, so
 * they round to the same float32 numbers.
 */
export function batchNormCoefficients(
  mean: ArrayLike<number>, variance: ArrayLike<number>, gamma: ArrayLike<number> | null, beta: ArrayLike<number> | null, eps: number, scale: number,
): { invStd: Float64Array; a: Float64Array; b: Float64Array } {
  const C = mean.length;
  const invStd = new Float64Array(C);
  const a = new Float64Array(C);
  const b = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    invStd[c] = 1 / Math.sqrt(variance[c]! + eps);
    a[c] = scale * (gamma ? gamma[c]! : 1) * invStd[c]!;
    b[c] = (beta ? beta[c]! : 0) - a[c]! * mean[c]!;
  }
  return { invStd, a, b };
}

/**
 * Batch normalisation over every position of each channel:
 * y = scale·γ·(x − μ)/√(σ² + ε) + β, statistics taken over the folded leading
 * dims and the trailing spatial dims. Running variance is updated with the
 * unbiased estimate, as PyTorch does. One recorded node whose backward
 * differentiates through the batch statistics in training mode.
 *
 * Per-channel coefficient vectors (C numbers) are formed in JavaScript: that
 * is O(C) next to the O(N·C·P) kernels that do the bulk of the work.
 */
export function batchNorm(x: Tensor, weight: Tensor | null, bias: Tensor | null, running: RunningStats | null, opts: BatchNormOptions): Tensor {
  const axis = opts.channelAxis;
  if (!Number.isInteger(axis) || axis < 0 || axis >= x.ndim) throw new ShapeError(`batchNorm: channel axis ${axis} is outside input ${fmtShape(x.shape)}`);
  const C = x.shape[axis]!;
  const N = sizeOf(x.shape.slice(0, axis));
  const P = sizeOf(x.shape.slice(axis + 1));
  const M = N * P;
  for (const [what, t] of [['weight', weight], ['bias', bias], ['running mean', running?.mean], ['running variance', running?.variance]] as const)
    if (t && t.size !== C) throw new ShapeError(`batchNorm: ${what} ${fmtShape(t.shape)} does not match ${C} channels of input ${fmtShape(x.shape)}`);
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  const k = opts.scale ?? 1;
  if (!(eps > 0)) throw new ConfigError(`batchNorm: eps must be > 0, got ${eps}`);
  if (!(momentum >= 0 && momentum <= 1)) throw new ConfigError(`batchNorm: momentum must be in [0, 1], got ${momentum}`);
  const be = x.backend;
  const useBatch = opts.training || !running;
  if (useBatch && M <= 1) throw new ShapeError(`batchNorm: training needs more than one value per channel, got input ${fmtShape(x.shape)}`);

  let meanS: Storage;
  let varS: Storage;
  if (useBatch) {
    meanS = be.alloc(C);
    varS = be.alloc(C);
    be.channelMoments(N, C, P, x.storage, meanS, varS);
    if (running && opts.training) {
      // In place on the buffers: they are not differentiable and belong to the layer.
      be.affine(running.mean.storage, 1 - momentum, 0, running.mean.storage);
      be.axpy(momentum, meanS, running.mean.storage);
      be.affine(running.variance.storage, 1 - momentum, 0, running.variance.storage);
      be.axpy((momentum * M) / (M - 1), varS, running.variance.storage);
    }
  } else {
    meanS = running!.mean.storage;
    varS = running!.variance.storage;
  }
  // Per-channel copies (C numbers): a backend view may be detached by the allocations below (wasm memory growth).
  const mean = Float64Array.from(meanS.data);
  const variance = Float64Array.from(varS.data);
  const gamma = weight ? Float64Array.from(weight.storage.data) : null;
  const beta = bias ? Float64Array.from(bias.storage.data) : null;
  const { invStd, a, b } = batchNormCoefficients(mean, variance, gamma, beta, eps, k);
  // channelAffine writes every element (y = a·x + b).
  const y = emptyOverwritten(be, x.shape);
  be.channelAffine(N, C, P, x.storage, be.fromArray(a), be.fromArray(b), y.storage);

  // Keep the statistics used (copies: running buffers change on later calls).
  const meanUsed = useBatch ? meanS : be.fromArray(mean);
  record(useBatch ? 'batchNorm' : 'batchNormEval', [x, weight, bias], [y], ([gy]) => {
    const dy = gy!;
    const sumDy = be.alloc(C);
    const sumDyXc = be.alloc(C);
    be.channelCenteredDot(N, C, P, dy.storage, x.storage, meanUsed, sumDy, sumDyXc);
    const sd = Float64Array.from(sumDy.data);
    const sx = Float64Array.from(sumDyXc.data);
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = emptyOverwritten(be, x.shape); // both branches' kernels write every element
      if (useBatch) {
        // dx = a·dy + q·x + r: the two extra terms carry the gradient through μ and σ².
        const q = new Float64Array(C);
        const r = new Float64Array(C);
        const mu = Float64Array.from(meanUsed.data);
        for (let c = 0; c < C; c++) {
          q[c] = (-a[c]! * invStd[c]! * invStd[c]! * sx[c]!) / M;
          r[c] = (-a[c]! * sd[c]!) / M - q[c]! * mu[c]!;
        }
        be.channelAffine2(N, C, P, dy.storage, x.storage, be.fromArray(a), be.fromArray(q), be.fromArray(r), dx.storage);
      } else {
        be.channelAffine(N, C, P, dy.storage, be.fromArray(a), be.alloc(C), dx.storage);
      }
    }
    let dw: Tensor | null = null;
    if (weight && weight.requiresGrad) {
      dw = empty(be, weight.shape);
      const d = dw.storage.data;
      for (let c = 0; c < C; c++) d[c] = k * invStd[c]! * sx[c]!;
    }
    let db: Tensor | null = null;
    if (bias && bias.requiresGrad) {
      db = empty(be, bias.shape);
      be.copy(sumDy, 0, db.storage, 0, C);
    }
    return [dx, dw, db];
  }, [meanUsed, invStd, a]);
  return y;
}
