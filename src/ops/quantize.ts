import { record } from '../autograd/tape.js';
import { ConfigError, NumericError, ShapeError } from '../errors.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { empty } from './util.js';

/*
 * Learned Step Size Quantization (Esser et al., ICLR 2020) of a weight tensor,
 * per output channel (axis 0) or per tensor:
 *
 *   v = w / s,   w_q = round(clamp(v, −Qn, Qp)) · s
 *
 * with a hand-written backward (one tape node):
 *   ∂w_q/∂w = 1 for −Qn < v < Qp, else 0              (straight-through round)
 *   ∂w_q/∂s = round(v) − v inside, −Qn below, Qp above (LSQ eq. 3)
 * and the step's gradient multiplied by the gradient scale g (LSQ uses
 * 1/√(N·Qp), N = weights sharing the step). The numbers are computed in
 * float64 and stored in the backend's dtype; rounding is half to even, as
 * PyTorch's torch.round, so ±0.5 do not all round away from zero.
 */

/** The signed integer range of b-bit weights: q ∈ [−Qn, Qp], Qn = 2^(b−1), Qp = 2^(b−1) − 1 (2 bits: −2..1). */
export interface QuantLevels {
  bits: number;
  qn: number;
  qp: number;
}

/** Bit widths the quantizers support (2 bits is the levels −2, −1, 0, 1: no +2, so not symmetric). */
export const MIN_QUANT_BITS = 2;
export const MAX_QUANT_BITS = 8;

export function quantLevels(bits: number): QuantLevels {
  if (!Number.isInteger(bits) || bits < MIN_QUANT_BITS || bits > MAX_QUANT_BITS) {
    throw new ConfigError(`quantization: bits must be an integer from ${MIN_QUANT_BITS} to ${MAX_QUANT_BITS}, got ${bits}`);
  }
  const half = 2 ** (bits - 1);
  return { bits, qn: half, qp: half - 1 };
}

/** Round to the nearest integer, ties to even (torch.round, numpy.round). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  // Math.round sends ties up (2.5 → 3, −2.5 → −2); move the odd results of exact ties down.
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The integer level of one weight: round(clamp(w / s, −Qn, Qp)). */
export function quantizeLevel(w: number, s: number, qn: number, qp: number): number {
  const v = w / s;
  return roundHalfEven(v < -qn ? -qn : v > qp ? qp : v) + 0; // + 0: no −0 level
}

export interface LsqOptions {
  qn: number;
  qp: number;
  /** Factor on the step's gradient (LSQ: 1/√(N·Qp)); 1 gives the plain derivative (gradient checks). */
  gradScale: number;
}

/** Channels of a weight under a step of `steps` elements: 1 (per tensor) or the size of axis 0 (per channel). */
export function stepChannels(op: string, w: Tensor, step: Tensor): number {
  const C = step.size;
  if (step.ndim !== 1 || !(C === 1 || (w.ndim >= 1 && C === w.shape[0]))) {
    throw new ShapeError(`${op}: step ${fmtShape(step.shape)} must be [1] (per tensor) or [${w.shape[0] ?? '?'}] (one per output channel of weight ${fmtShape(w.shape)})`);
  }
  return C;
}

/**
 * w_q = round(clamp(w/s, −Qn, Qp))·s, s per output channel (`step` [C_out])
 * or per tensor (`step` [1]). Differentiable in w (straight-through inside the
 * range) and in s (LSQ's gradient times `gradScale`); a fixed step (post-
 * training quantization) is simply a step that does not require a gradient.
 */
export function lsqQuantize(w: Tensor, step: Tensor, o: LsqOptions): Tensor {
  const C = stepChannels('lsqQuantize', w, step);
  const n = w.size;
  const per = C === 1 ? n : n / C;
  const be = w.backend;
  const out = empty(be, w.shape);
  const wd = w.data, sd = step.data, od = out.data;
  const qn = -o.qn, qp = o.qp;
  for (let c = 0; c < C; c++) {
    const s = sd[c]!;
    if (!(s > 0 && Number.isFinite(s))) throw new NumericError(`lsqQuantize: step ${C === 1 ? '' : `of channel ${c} `}is ${s}; a step must be a positive finite number`);
    // quantizeLevel inlined (this loop runs over every weight at every forward): the same operations, so the same levels.
    for (let i = c * per, e = i + per; i < e; i++) {
      let v = wd[i]! / s;
      v = v < qn ? qn : v > qp ? qp : v;
      let r = Math.round(v);
      if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
      od[i] = (r + 0) * s;
    }
  }
  record('lsqQuantize', [w, step], [out], ([g]) => {
    const gw = w.requiresGrad ? empty(be, w.shape) : null;
    const gs = step.requiresGrad ? empty(be, step.shape) : null;
    // Views taken after the allocations (a wasm heap may grow and move).
    const gd = g!.data, wv = w.data, sv = step.data;
    const gwd = gw?.data, gsd = gs?.data;
    for (let c = 0; c < C; c++) {
      const s = sv[c]!;
      let acc = 0;
      for (let i = c * per, e = i + per; i < e; i++) {
        const v = wv[i]! / s;
        const gi = gd[i]!;
        if (v <= qn) acc += gi * qn;
        else if (v >= qp) acc += gi * qp;
        else {
          let r = Math.round(v);
          if (r - v === 0.5 && (r & 1) !== 0) r -= 1;
          acc += gi * (r - v);
          if (gwd) gwd[i] = gi;
        }
      }
      if (gsd) gsd[c] = acc * o.gradScale;
    }
    return [gw, gs];
  });
  return out;
}
