import { ShapeError } from '../errors.js';
import type { WeightedLayer } from '../nn/weighted.js';
import { Linear } from '../nn/linear.js';
import { empty } from '../ops/util.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';

/*
 * Multi-level (integer) spikes as binary virtual time steps (QSD-Transformer,
 * SpikeYOLO's I-LIF): a count c ∈ 0..D of one time step is sent as D binary
 * spikes over D virtual steps — virtual step k (k = 0..D−1) carries a spike
 * when c > k (a thermometer code). A synaptic layer that sums its D virtual
 * steps before the next neuron update receives Σ_k W·s_k = W·c, the current
 * the training-time network computes from the counts, with only additions
 * (each spike adds a weight column). docs/quantization.md says when the
 * equality is exact in floating point.
 */

/** What a multi-level layer emits per step: counts c, or c/D ('normalized'). */
export interface CountCoding {
  /** D, the largest count. */
  levels: number;
  /** The values are c/D rather than c. */
  normalized: boolean;
}

/** The coding of a multi-level neuron module (type multilevel: `levels` and its `output` setting). */
export function countCodingOf(m: { levels: number; describe(): Record<string, unknown> }): CountCoding {
  return { levels: m.levels, normalized: m.describe()['output'] === 'normalized' };
}

/**
 * Expand counts [T, B, ...] into binary spikes [T·D, B, ...]: row t·D + k
 * fires where c > k. The values must be counts on the coding's grid (c or
 * c/D with c an integer in 0..D); anything else is a ShapeError naming the
 * element.
 */
export function expandCounts(x: Tensor, coding: CountCoding): Tensor {
  const D = coding.levels;
  if (x.ndim < 2) throw new ShapeError(`expandCounts: input must be time-major [T, B, ...], got ${fmtShape(x.shape)}`);
  const T = x.shape[0]!;
  const row = x.size / Math.max(1, T);
  const out = empty(x.backend, [T * D, ...x.shape.slice(1)], true);
  const xd = x.data, od = out.data;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < row; j++) {
      const v = xd[t * row + j]!;
      const c = coding.normalized ? v * D : v;
      const n = Math.round(c);
      if (!(Math.abs(c - n) <= 1e-6 * D) || n < 0 || n > D) {
        throw new ShapeError(`expandCounts: element ${t * row + j} is ${v}, not a count 0..${D}${coding.normalized ? ` divided by ${D}` : ''}`);
      }
      for (let k = 0; k < n; k++) od[(t * D + k) * row + j] = 1;
    }
  }
  return out;
}

/**
 * A weighted layer's output computed from the binary expansion of its input
 * counts: the layer (its effective, possibly quantized weight, no bias) runs
 * on the T·D virtual steps — spikes, so the event-driven path adds weight
 * rows —, each group of D virtual steps is summed, divided by D for a
 * normalized input, and the bias is added once per real step. Equals
 * `layer.forward(x)` where the sums are exact (docs/quantization.md).
 */
export function virtualStepForward(layer: WeightedLayer, x: Tensor, coding: CountCoding): Tensor {
  const D = coding.levels;
  const spikes = expandCounts(x, coding);
  const y = layer.forwardWith(spikes, layer.effectiveWeight(), null);
  const T = x.shape[0]!;
  const out = empty(y.backend, [T, ...y.shape.slice(1)]);
  const row = y.size / (T * D);
  const C = layer.weight.shape[0]!;
  // Channel of an output element: last axis for Linear, axis 2 of [T, B, C, ...] for convolutions.
  const inner = layer instanceof Linear ? 1 : row / (y.shape[1]! * C);
  const yd = y.data, od = out.data, bd = layer.bias?.data;
  for (let t = 0; t < T; t++) {
    for (let j = 0; j < row; j++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += yd[(t * D + k) * row + j]!;
      if (coding.normalized) s /= D;
      // Stored (rounded to the backend's dtype) before the bias, as the layer's own GEMM result is.
      od[t * row + j] = s;
      if (bd) od[t * row + j] = od[t * row + j]! + bd[Math.floor(j / inner) % C]!;
    }
  }
  return out;
}
