import { ShapeError } from '../../errors.js';
import type { TrainKernels } from '../kernels/train.js';

/**
 * Reference (TypeScript) implementation of TrainKernels. Arithmetic runs in
 * JS doubles and is stored in the backend's dtype, one pass per tensor.
 */
export const tsTrainKernels: TrainKernels = {
  crossEntropyRows(R, C, logits, targets, probs) {
    const x = logits.data, p = probs.data;
    const B = targets.length;
    let total = 0;
    for (let r = 0; r < R; r++) {
      const o = r * C;
      // Subtract the row maximum so exp never overflows (log-sum-exp trick).
      let mx = -Infinity;
      for (let c = 0; c < C; c++) if (x[o + c]! > mx) mx = x[o + c]!;
      let z = 0;
      for (let c = 0; c < C; c++) {
        const e = Math.exp(x[o + c]! - mx);
        p[o + c] = e;
        z += e;
      }
      const inv = 1 / z;
      for (let c = 0; c < C; c++) p[o + c]! *= inv;
      const y = targets[r % B]!;
      total += mx + Math.log(z) - x[o + y]!;
    }
    return total;
  },

  crossEntropyRowsBackward(R, C, probs, targets, scale, out) {
    const p = probs.data, o = out.data;
    const B = targets.length;
    for (let r = 0; r < R; r++) {
      const base = r * C;
      for (let c = 0; c < C; c++) o[base + c] = scale * p[base + c]!;
      o[base + targets[r % B]!]! -= scale;
    }
  },

  // The same operations as the losses did on the host (a division by the divisor, in double).
  crossEntropyRowsInto(R, C, logits, targets, probs, divisor, out, outOff) {
    out.data[outOff] = tsTrainKernels.crossEntropyRows(R, C, logits, targets, probs) / divisor;
  },

  crossEntropyRowsBackwardFrom(R, C, probs, targets, g, divisor, out) {
    tsTrainKernels.crossEntropyRowsBackward(R, C, probs, targets, g.data[0]! / divisor, out);
  },

  // The rule of predictFromScores (ops/loss.ts): strictly greater moves the choice.
  countCorrectInto(R, C, scores, targets, out, outOff) {
    if (targets.length !== R) throw new ShapeError(`countCorrectInto: ${targets.length} targets for ${R} rows of scores`);
    const s = scores.data;
    let correct = 0;
    for (let r = 0; r < R; r++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (s[r * C + c]! > s[r * C + best]!) best = c;
      if (best === targets[r]) correct++;
    }
    out.data[outOff] = correct;
  },

  maxLeading(T, N, x, out, argmax) {
    const a = x.data, o = out.data;
    for (let n = 0; n < N; n++) {
      o[n] = a[n]!;
      argmax[n] = 0;
    }
    for (let t = 1; t < T; t++) {
      const r = t * N;
      for (let n = 0; n < N; n++) {
        if (a[r + n]! > o[n]!) {
          o[n] = a[r + n]!;
          argmax[n] = t;
        }
      }
    }
  },

  clamp(x, lo, hi) {
    const a = x.data;
    for (let i = 0; i < a.length; i++) {
      const v = a[i]!;
      if (v < lo) a[i] = lo;
      else if (v > hi) a[i] = hi;
    }
  },

  sgdStep(param, grad, buf, initBuf, h) {
    const p = param.data, g = grad.data;
    const { lr, momentum, dampening, nesterov, weightDecay: wd } = h;
    const b = buf ? buf.data : null;
    for (let i = 0; i < p.length; i++) {
      let d = g[i]!;
      if (wd !== 0) d += wd * p[i]!;
      if (b) {
        const m = initBuf ? d : momentum * b[i]! + (1 - dampening) * d;
        b[i] = m;
        // Use the stored (dtype-rounded) buffer so a resumed run sees the same numbers.
        d = nesterov ? d + momentum * b[i]! : b[i]!;
      }
      p[i] = p[i]! - lr * d;
    }
  },

  adamStep(param, grad, m, v, vMax, step, h) {
    const p = param.data, g = grad.data, m1 = m.data, m2 = v.data;
    const vm = vMax ? vMax.data : null;
    const { lr, beta1, beta2, eps, weightDecay: wd, decoupled } = h;
    const bc1 = 1 - Math.pow(beta1, step);
    const bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
    const stepSize = lr / bc1;
    const decay = decoupled ? 1 - lr * wd : 1;
    for (let i = 0; i < p.length; i++) {
      let d = g[i]!;
      let w = p[i]!;
      if (decoupled) w *= decay;
      else if (wd !== 0) d += wd * w;
      m1[i] = beta1 * m1[i]! + (1 - beta1) * d;
      m2[i] = beta2 * m2[i]! + (1 - beta2) * d * d;
      let second = m2[i]!;
      if (vm) {
        if (second > vm[i]!) vm[i] = second;
        second = vm[i]!;
      }
      const denom = Math.sqrt(second) / bc2Sqrt + eps;
      p[i] = w - (stepSize * m1[i]!) / denom;
    }
  },
};
