import { noGrad } from '../autograd/tape.js';
import { ConfigError } from '../errors.js';
import { Linear } from '../nn/linear.js';
import { MIN_STEP, type WeightedLayer } from '../nn/weighted.js';
import { lsqQuantize, quantLevels, type QuantLevels } from '../ops/quantize.js';
import { Tensor } from '../tensor/tensor.js';

/*
 * Post-training quantization: steps chosen from a trained float weight, per
 * output channel (or per tensor). The clip c of a channel is where the
 * largest level Qp lands, so the step is s = c / Qp:
 *  - minmax: c = max |w|, nothing is clipped (the negative side reaches
 *    −Qn·s, one step further than needed);
 *  - percentile p: c = the p-th percentile of |w| (linear interpolation, as
 *    numpy's default), so the few largest weights saturate and the rest get
 *    a finer grid;
 *  - mse: c = r·max|w| with r chosen from a grid to minimise the layer's
 *    output error Σ (y(w_q) − y(w))² per output channel on calibration inputs
 *    (calibrateMse).
 */

/** Channels (axis 0) or the whole tensor as one: absolute values per group. */
function absGroups(w: Tensor, perChannel: boolean): Float64Array[] {
  const C = perChannel ? w.shape[0]! : 1;
  const per = w.size / C;
  const d = w.data;
  return Array.from({ length: C }, (_, c) => Float64Array.from(d.subarray(c * per, (c + 1) * per), Math.abs));
}

/** The p-th percentile (0 < p ≤ 100) of the values, linear interpolation between order statistics. */
export function percentileOf(values: Float64Array, p: number): number {
  if (values.length === 0) return 0;
  const a = Float64Array.from(values).sort();
  const pos = (p / 100) * (a.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(a.length - 1, lo + 1);
  return a[lo]! + (pos - lo) * (a[hi]! - a[lo]!);
}

/** Per-channel (or per-tensor) clip values: max |w| or its p-th percentile. */
export function clipValues(w: Tensor, perChannel: boolean, percentile?: number): Float64Array {
  return Float64Array.from(absGroups(w, perChannel), (g) => (percentile === undefined ? g.reduce((m, v) => (v > m ? v : m), 0) : percentileOf(g, percentile)));
}

/** Steps s = clip / Qp (an all-zero channel gets the smallest step: its weights quantize to 0 either way). */
export function stepsFromClip(clip: ArrayLike<number>, qp: number): Float64Array {
  return Float64Array.from(clip, (c) => Math.max(MIN_STEP, c / qp));
}

/** The minmax step (no `percentile`) or the percentile step of a weight. */
export function ptqStep(w: Tensor, levels: QuantLevels, perChannel: boolean, o: { percentile?: number } = {}): Float64Array {
  return stepsFromClip(clipValues(w, perChannel, o.percentile), levels.qp);
}

/** Clip ratios the MSE search tries, relative to max |w|: 1, 0.975, ..., 0.3. */
export const MSE_RATIOS: readonly number[] = Object.freeze(Array.from({ length: 29 }, (_, k) => 1 - 0.025 * k));

export interface MseCalibration {
  /** Per layer (same order as given): the chosen clip ratio of each channel (or the tensor). */
  ratios: Float64Array[];
  /** Calibration inputs each layer saw (batches). */
  batches: number[];
}

/** Output elements per (T·B row, channel) block: the channel axis is last for Linear, axis 2 ([T, B, C, ...]) for convolutions. */
function channelInner(layer: WeightedLayer, out: Tensor): number {
  return layer instanceof Linear ? 1 : out.size / Math.max(1, out.shape[0]! * out.shape[1]! * out.shape[2]!);
}

/**
 * MSE-optimal clipping on calibration data. Each layer (already carrying a
 * post-training quantizer) is measured on the inputs it receives from the
 * float network (the quantizers are detached while `feed` runs the model on
 * the calibration samples, so one layer's choice does not depend on another's):
 * for every candidate ratio r in MSE_RATIOS the layer's output with the weight
 * quantized at clip r·max|w| is compared to its float output, and each channel
 * keeps the ratio with the least squared error summed over the inputs. The
 * layers get their quantizers back with the chosen steps. `feed` runs the
 * model (in eval mode, without gradients) over the calibration batches; the
 * caller owns the batches and any step scopes.
 */
export function calibrateMse(layers: readonly WeightedLayer[], feed: () => void): MseCalibration {
  const plans = layers.map((layer) => {
    const spec = layer.weightQuantizer;
    if (!spec || spec.learnStep) throw new ConfigError(`calibrateMse: ${layer.kind} needs a post-training (fixed-step) quantizer`);
    const levels = quantLevels(spec.bits);
    const max = clipValues(layer.weight, spec.perChannel);
    const C = max.length;
    const before = Float64Array.from(layer.weightStep!.data);
    return { layer, spec, levels, max, before, err: MSE_RATIOS.map(() => new Float64Array(C)), batches: 0 };
  });
  for (const p of plans) {
    p.layer.setWeightQuantizer(null);
    const { layer, levels, max, err } = p;
    const be = layer.weight.backend;
    const steps = MSE_RATIOS.map((r) => new Tensor(be.fromArray(stepsFromClip(max.map((m) => m * r), levels.qp)), [max.length], { backend: be }));
    layer.inputObserver = (x) =>
      noGrad(() => {
        p.batches++;
        const ref = layer.forwardWith(x, layer.weight);
        const inner = channelInner(layer, ref);
        const C = layer.weight.shape[0]!;
        steps.forEach((s, k) => {
          const y = layer.forwardWith(x, lsqQuantize(layer.weight, s, { qn: levels.qn, qp: levels.qp, gradScale: 0 }));
          const yd = y.data, rd = ref.data, e = err[k]!;
          const perStep = e.length === 1;
          for (let i = 0; i < yd.length; i++) {
            const dv = yd[i]! - rd[i]!;
            e[perStep ? 0 : Math.floor(i / inner) % C] += dv * dv;
          }
        });
      });
  }
  try {
    feed();
  } catch (e) {
    for (const p of plans) p.layer.setWeightQuantizer(p.spec, p.before); // as they were
    throw e;
  } finally {
    for (const p of plans) p.layer.inputObserver = null;
  }
  const ratios: Float64Array[] = [];
  for (const p of plans) {
    if (p.batches === 0) throw new ConfigError(`calibrateMse: the calibration pass never reached the ${p.layer.kind} layer`);
    const chosen = Float64Array.from(p.max, (_, c) => {
      let best = 0;
      for (let k = 1; k < MSE_RATIOS.length; k++) if (p.err[k]![c]! < p.err[best]![c]!) best = k;
      return MSE_RATIOS[best]!;
    });
    ratios.push(chosen);
    p.layer.setWeightQuantizer(p.spec, stepsFromClip(p.max.map((m, c) => m * chosen[c]!), p.levels.qp));
  }
  return { ratios, batches: plans.map((p) => p.batches) };
}
