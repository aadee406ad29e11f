import { record } from '../autograd/tape.js';
import { ShapeError } from '../errors.js';
import { fmtShape, shapeEq } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Storage } from '../backend/storage.js';
import { empty } from './util.js';
import { membraneScores, spreadSoftmaxSum, type MembraneReduction } from './readout.js';

/**
 * Classification losses for spiking outputs. Each loss is one coarse autograd
 * node with a hand-written backward; inputs are time-major `[T, B, C]` (output
 * spikes, or the output membrane), targets are class indices (one per sample).
 * The definitions follow snnTorch's `snntorch.functional` (checked against its
 * source, v0.9): every "mean" is over the batch, as `nn.NLLLoss()` / `nn.MSELoss()` do.
 */

function checkSeq(op: string, x: Tensor, targets: Int32Array): [number, number, number] {
  if (x.ndim !== 3) throw new ShapeError(`${op}: expected a time-major [T, B, C] tensor, got ${fmtShape(x.shape)}`);
  const [T, B, C] = x.shape as [number, number, number];
  if (T === 0 || B === 0 || C === 0) throw new ShapeError(`${op}: empty input ${fmtShape(x.shape)}`);
  if (targets.length !== B) throw new ShapeError(`${op}: ${targets.length} targets for a batch of ${B} (input ${fmtShape(x.shape)})`);
  for (let b = 0; b < B; b++) {
    const y = targets[b]!;
    if (y < 0 || y >= C) throw new ShapeError(`${op}: target ${y} of sample ${b} is not a class index in [0, ${C})`);
  }
  return [T, B, C];
}

/** Gradient of a scalar output as a number (scalar losses only). */
function scalarGrad(g: Tensor | null): number {
  return g ? g.data[0]! : 0;
}

/** Broadcast a [B·C] gradient to every one of T steps → [T, B, C]. */
function broadcastOverTime(src: Tensor, like: Tensor, T: number): Tensor {
  const out = empty(like.backend, like.shape);
  const n = src.size;
  for (let t = 0; t < T; t++) like.backend.copy(src.storage, 0, out.storage, t * n, n);
  return out;
}

/** Cross-entropy of softmax over the rows of a [R, C] storage; loss = Σ / divisor; grad flows into `x` of shape `shape`. */
function crossEntropyNode(name: string, x: Tensor, rows: number, C: number, targets: Int32Array, divisor: number): Tensor {
  const be = x.backend;
  const probs = be.alloc(rows * C);
  const out = empty(be, []);
  // Device-side forms: the loss and its gradient scale stay where the backend computes.
  be.crossEntropyRowsInto(rows, C, x.storage, targets, probs, divisor, out.storage, 0);
  record(name, [x], [out], ([g]) => {
    const gx = empty(be, x.shape);
    if (g) be.crossEntropyRowsBackwardFrom(rows, C, probs, targets, g.storage, divisor, gx.storage);
    return [gx];
  });
  return out;
}

/**
 * Cross-entropy of softmax over spike counts: counts = Σ_t spikes[t] ([B, C]),
 * loss = mean_b −log softmax(counts_b)[y_b]. Equals snnTorch `SF.ce_count_loss()`.
 */
export function ceCountLoss(spikes: Tensor, targets: Int32Array): Tensor {
  const [T, B, C] = checkSeq('ceCountLoss', spikes, targets);
  const be = spikes.backend;
  const counts = empty(be, [B, C]);
  be.sumRows(T, B * C, spikes.storage, 0, counts.storage);
  const probs = be.alloc(B * C);
  const out = empty(be, []);
  be.crossEntropyRowsInto(B, C, counts.storage, targets, probs, B, out.storage, 0);
  record('ceCountLoss', [spikes], [out], ([g]) => {
    const gCounts = empty(be, [B, C]);
    if (g) be.crossEntropyRowsBackwardFrom(B, C, probs, targets, g.storage, B, gCounts.storage);
    return [broadcastOverTime(gCounts, spikes, T)];
  });
  return out;
}

/**
 * Cross-entropy applied at every time step and averaged over time, exactly as
 * snnTorch `SF.ce_rate_loss()`: loss = (1/T) Σ_t mean_b −log softmax(spikes[t, b])[y_b]
 * (snnTorch sums the per-step `NLLLoss` means and divides by T).
 */
export function ceRateLoss(spikes: Tensor, targets: Int32Array): Tensor {
  const [T, B, C] = checkSeq('ceRateLoss', spikes, targets);
  return crossEntropyNode('ceRateLoss', spikes, T * B, C, targets, T * B);
}

export interface MseCountOptions {
  /** Target firing rate of the correct class (fraction of steps). Default 1. */
  correctRate?: number;
  /** Target firing rate of the other classes. Default 0. */
  incorrectRate?: number;
}

/**
 * MSE between spike counts and target counts, as snnTorch
 * `SF.mse_count_loss(correct_rate, incorrect_rate)`: targets are
 * trunc(T·correctRate) for the true class and trunc(T·incorrectRate) for the
 * others (snnTorch applies Python `int()`), loss = mean_{b,c}(count − target)² / T.
 */
export function mseCountLoss(spikes: Tensor, targets: Int32Array, opts: MseCountOptions = {}): Tensor {
  const [T, B, C] = checkSeq('mseCountLoss', spikes, targets);
  const on = Math.trunc(T * (opts.correctRate ?? 1));
  const off = Math.trunc(T * (opts.incorrectRate ?? 0));
  const be = spikes.backend;
  const tgt = new Float64Array(B * C).fill(off);
  for (let b = 0; b < B; b++) tgt[b * C + targets[b]!] = on;
  const diff = be.alloc(B * C);
  be.sumRows(T, B * C, spikes.storage, 0, diff);
  be.sub(diff, be.fromArray(tgt), diff);
  const divisor = B * C * T;
  const out = empty(be, []);
  out.data[0] = be.sumSquares(diff) / divisor;
  record('mseCountLoss', [spikes], [out], ([g]) => {
    const gCounts = empty(be, [B, C]);
    be.affine(diff, (2 * scalarGrad(g)) / divisor, 0, gCounts.storage);
    return [broadcastOverTime(gCounts, spikes, T)];
  });
  return out;
}

export { membraneScores, type MembraneReduction } from './readout.js';

/** The largest entry of each row of scores [B, C] (ties → lowest class, as the spike-count decision). */
export function predictFromScores(scores: ArrayLike<number>, B: number, C: number): Int32Array {
  const out = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (scores[b * C + c]! > scores[b * C + best]!) best = c;
    out[b] = best;
  }
  return out;
}

/** Fraction of rows of scores [B, C] whose largest entry is the target (ties → lowest class, as accuracyFromCounts). */
export function accuracyFromScores(scores: ArrayLike<number>, B: number, C: number, targets: Int32Array): number {
  const pred = predictFromScores(scores, B, C);
  let correct = 0;
  for (let b = 0; b < B; b++) if (pred[b] === targets[b]) correct++;
  return correct / B;
}

/**
 * CE over per-sample logits [B, C] reduced from the membrane: the loss node
 * is shared, `spread` turns ∂L/∂logits into ∂L/∂membrane for the reduction.
 */
function ceOfReducedMembrane(membrane: Tensor, targets: Int32Array, B: number, C: number, logits: Storage, spread: (gLogits: Storage, gm: Tensor) => void): Tensor {
  const be = membrane.backend;
  const probs = be.alloc(B * C);
  const out = empty(be, []);
  out.data[0] = be.crossEntropyRows(B, C, logits, targets, probs) / B;
  record('ceMembraneLoss', [membrane], [out], ([g]) => {
    const gLogits = be.alloc(B * C);
    be.crossEntropyRowsBackward(B, C, probs, targets, scalarGrad(g) / B, gLogits);
    const gm = empty(be, membrane.shape);
    spread(gLogits, gm);
    return [gm];
  });
  return out;
}

/**
 * Cross-entropy on the output membrane `[T, B, C]`:
 *  - 'mean' (default): CE at every step, averaged over time (the ce_rate_loss form on membranes);
 *  - 'last': CE of the last step's membrane;
 *  - 'max': CE of the per-neuron maximum over time (snnTorch `SF.ce_max_membrane_loss()`);
 *    the gradient goes to the earliest step reaching the maximum;
 *  - 'softmax_sum': CE of Σ_t softmax(v_t) (the DCLS reference's readout).
 * Every variant averages over the batch.
 */
export function ceMembraneLoss(membrane: Tensor, targets: Int32Array, reduce: MembraneReduction = 'mean'): Tensor {
  const [T, B, C] = checkSeq('ceMembraneLoss', membrane, targets);
  const be = membrane.backend;
  const N = B * C;
  if (reduce === 'mean') return crossEntropyNode('ceMembraneLoss', membrane, T * B, C, targets, T * B);
  if (reduce === 'softmax_sum') {
    const logits = be.fromArray(membraneScores(membrane, 'softmax_sum'));
    return ceOfReducedMembrane(membrane, targets, B, C, logits, (gl, gm) => spreadSoftmaxSum(membrane, T, B, C, gl, gm));
  }
  const logits = be.alloc(N);
  const argmax = reduce === 'max' ? new Int32Array(N) : null;
  if (argmax) be.maxLeading(T, N, membrane.storage, logits, argmax);
  else if (reduce === 'last') be.copy(membrane.storage, (T - 1) * N, logits, 0, N);
  else throw new ShapeError(`ceMembraneLoss: unknown reduction '${String(reduce)}' (mean, last, max, softmax_sum)`);
  return ceOfReducedMembrane(membrane, targets, B, C, logits, (gLogits, gm) => {
    if (argmax) {
      // Scatter each logit's gradient to the step that produced the maximum.
      const src = gLogits.data, dst = gm.data;
      for (let n = 0; n < N; n++) dst[argmax[n]! * N + n] = src[n]!;
    } else be.copy(gLogits, 0, gm.storage, (T - 1) * N, N);
  });
}

/**
 * Fraction of samples whose spike count Σ_t spikes[t, b, c] is largest at the
 * target class. Ties go to the lowest class index (as `torch.argmax` on CPU and
 * snnTorch's `SF.accuracy_rate`), so an all-silent output predicts class 0.
 * Reads the numbers synchronously (CPU backends).
 */
export function accuracyFromCounts(spikes: Tensor, targets: Int32Array): number {
  const [, B] = checkSeq('accuracyFromCounts', spikes, targets);
  const pred = predictFromCounts(spikes);
  let correct = 0;
  for (let b = 0; b < B; b++) if (pred[b] === targets[b]) correct++;
  return correct / B;
}

/** The class with the most spikes Σ_t spikes[t, b, c] per sample (ties → lowest class). */
export function predictFromCounts(spikes: Tensor): Int32Array {
  if (spikes.ndim !== 3) throw new ShapeError(`predictFromCounts: expected time-major [T, B, C] spikes, got ${fmtShape(spikes.shape)}`);
  const [T, B, C] = spikes.shape as [number, number, number];
  const be = spikes.backend;
  const counts = be.alloc(B * C);
  be.sumRows(T, B * C, spikes.storage, 0, counts);
  return predictFromScores(counts.data, B, C);
}

/** Mean squared error mean((a − b)²) over all elements → scalar. */
export function mseLoss(a: Tensor, b: Tensor): Tensor {
  if (!shapeEq(a.shape, b.shape)) throw new ShapeError(`mseLoss: shapes ${fmtShape(a.shape)} and ${fmtShape(b.shape)} differ`);
  const be = a.backend;
  const n = Math.max(1, a.size);
  const diff = be.alloc(a.size);
  be.sub(a.storage, b.storage, diff);
  const out = empty(be, []);
  out.data[0] = be.sumSquares(diff) / n;
  record('mseLoss', [a, b], [out], ([g]) => {
    const k = (2 * scalarGrad(g)) / n;
    let ga: Tensor | null = null;
    let gb: Tensor | null = null;
    if (a.requiresGrad) {
      ga = empty(be, a.shape);
      be.affine(diff, k, 0, ga.storage);
    }
    if (b.requiresGrad) {
      gb = empty(be, b.shape);
      be.affine(diff, -k, 0, gb.storage);
    }
    return [ga, gb];
  });
  return out;
}

/** x² elementwise (e.g. membrane or spike-rate regularizers). */
export function square(x: Tensor): Tensor {
  const be = x.backend;
  const out = empty(be, x.shape);
  be.mul(x.storage, x.storage, out.storage);
  record('square', [x], [out], ([g]) => {
    const gx = empty(be, x.shape);
    be.mul(g!.storage, x.storage, gx.storage);
    be.affine(gx.storage, 2, 0, gx.storage);
    return [gx];
  });
  return out;
}
