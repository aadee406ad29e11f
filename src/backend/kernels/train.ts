import type { Storage } from '../storage.js';

/** Hyper-parameters of one SGD update (PyTorch `torch.optim.SGD` semantics). */
export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  nesterov: boolean;
  weightDecay: number;
}

/** Hyper-parameters of one Adam/AdamW update (PyTorch `torch.optim.Adam` / `AdamW` semantics). */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the weights directly (p ← p·(1 − lr·wd)) instead of adding wd·p to the gradient. */
  decoupled: boolean;
}

/**
 * Loss and optimizer-update kernels. Each optimizer kernel updates one whole
 * parameter tensor in one call, so a backend runs the update where the numbers
 * live without a round trip per element.
 */
export interface TrainKernels {
  /**
   * Row-wise softmax cross-entropy. `logits` is [R, C]; the target class of row r
   * is `targets[r % targets.length]` (time-major rows [T·B] reuse the batch's B
   * targets). Writes the softmax probabilities into `probs` [R, C] (kept for the
   * backward) and returns Σ_r −log softmax(logits_r)[y_r] (a plain sum; callers scale).
   */
  crossEntropyRows(R: number, C: number, logits: Storage, targets: Int32Array, probs: Storage): number;
  /** out[r, c] = scale·(probs[r, c] − [c = y_r]) with y_r as in crossEntropyRows (the CE gradient w.r.t. the logits). */
  crossEntropyRowsBackward(R: number, C: number, probs: Storage, targets: Int32Array, scale: number, out: Storage): void;
  /**
   * The device-side forms the losses use, so a GPU backend needs no read-back:
   * out[outOff] = crossEntropyRows(...) / divisor, and the backward with its
   * scale g[0] / divisor read from a storage (g: the loss's one-element gradient).
   */
  crossEntropyRowsInto(R: number, C: number, logits: Storage, targets: Int32Array, probs: Storage, divisor: number, out: Storage, outOff: number): void;
  crossEntropyRowsBackwardFrom(R: number, C: number, probs: Storage, targets: Int32Array, g: Storage, divisor: number, out: Storage): void;
  /**
   * out[outOff] = the number of rows r of scores [R, C] whose largest entry
   * (the first one on ties, so a silent output predicts class 0) is at
   * column targets[r]: a batch's correct predictions, counted where the
   * scores live so a GPU backend reports accuracy without reading scores back.
   */
  countCorrectInto(R: number, C: number, scores: Storage, targets: Int32Array, out: Storage, outOff: number): void;
  /**
   * out[n] = max_t x[t, n] over a [T, N] array; argmax[n] = the first t reaching
   * the maximum (ties → earliest step, so the gradient goes to one element).
   */
  maxLeading(T: number, N: number, x: Storage, out: Storage, argmax: Int32Array): void;
  /** x ← min(max(x, lo), hi) elementwise (gradient clipping by value). */
  clamp(x: Storage, lo: number, hi: number): void;
  /**
   * One SGD step on a parameter. `buf` is the momentum buffer (null when
   * momentum = 0); `initBuf` says it holds no history yet, in which case it is
   * set to the (weight-decayed) gradient without dampening, as PyTorch does.
   */
  sgdStep(param: Storage, grad: Storage, buf: Storage | null, initBuf: boolean, h: SgdHyper): void;
  /**
   * One Adam/AdamW step with bias correction; `step` is the 1-based step count
   * after incrementing. `vMax` is the AMSGrad running maximum (null = plain Adam).
   */
  adamStep(param: Storage, grad: Storage, m: Storage, v: Storage, vMax: Storage | null, step: number, h: AdamHyper): void;
}
