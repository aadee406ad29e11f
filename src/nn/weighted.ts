import { ConfigError, ShapeError } from '../errors.js';
import { lsqQuantize, quantizeLevel, quantLevels, type QuantLevels } from '../ops/quantize.js';
import { fmtShape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { Module } from '../module/module.js';

/*
 * The common body of the layers with a weight [C_out, ...] and an optional
 * bias (Linear, Conv1d, Conv2d) and its weight-quantization hook. Composite
 * layers (attention blocks) are built from these as children, so a quantizer
 * attached here covers them too.
 *
 * With a quantizer the forward uses w_q = round(clamp(w/s, −Qn, Qp))·s
 * (src/ops/quantize.ts) instead of w; the float w stays the trained
 * parameter. The step s is a tensor of the layer named `weight_step` ([C_out]
 * per channel, [1] per tensor), so state dicts, checkpoints and
 * model.safetensors carry it as `<layer>.weight_step`: a parameter when it is
 * learned (LSQ), a buffer when post-training quantization fixed it.
 */

/** How a layer's weight is quantized. */
export interface WeightQuantSpec {
  /** 2..8 (signed: levels −2^(b−1) .. 2^(b−1) − 1). */
  bits: number;
  /** One step per output channel (axis 0 of the weight) rather than one for the tensor. */
  perChannel: boolean;
  /** Train the step (LSQ): a parameter with LSQ's gradient; else a fixed buffer. */
  learnStep: boolean;
}

/** The tensor name of the step, next to `weight`. */
export const WEIGHT_STEP = 'weight_step';

/** Smallest step the layer keeps after an optimizer update (a step must stay positive for w/s). */
export const MIN_STEP = 1e-8;

/**
 * LSQ's initial step per channel (or for the tensor): 2·mean|w|/√Qp (Esser et
 * al. §2.1), floored at MIN_STEP so an all-zero channel still has a usable step.
 */
export function lsqInitialStep(w: Tensor, qp: number, perChannel: boolean): Float64Array {
  const C = perChannel ? w.shape[0]! : 1;
  const per = w.size / C;
  const d = w.data;
  const out = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    let s = 0;
    for (let i = c * per, e = i + per; i < e; i++) s += Math.abs(d[i]!);
    out[c] = Math.max(MIN_STEP, (2 * (s / Math.max(1, per))) / Math.sqrt(qp));
  }
  return out;
}

/** Linear and convolution layers: weight [C_out, ...], optional bias [C_out], optional weight quantizer. */
export abstract class WeightedLayer extends Module {
  weight!: Tensor;
  bias!: Tensor | null;
  private quant: { spec: WeightQuantSpec; levels: QuantLevels } | null = null;
  /**
   * Called with every input before the forward (post-training calibration
   * measures a layer's output error on its real inputs through it); null
   * normally. Not saved, not part of the model's settings.
   */
  inputObserver: ((x: Tensor) => void) | null = null;

  /**
   * The layer's operation with a given weight (the quantized one, or a
   * candidate during calibration) and bias (default its own; null leaves it
   * out, as a sum over virtual time steps adds it once afterwards).
   * `weightGradInput`: what the weight gradient is formed from instead of x
   * (the input trace below; src/ops/linear.ts WeightGradOptions).
   */
  abstract forwardWith(x: Tensor, weight: Tensor, bias?: Tensor | null, weightGradInput?: Tensor | null): Tensor;

  /**
   * Input trace (OTTT, docs/online-training.md): the decay λ of
   * â_t = λ·â_{t−1} + x_t, kept over the calls of one sequence, or null
   * (off, the default). While on and training, the weight gradient of each
   * step is formed from â_t instead of x_t; the forward and the input gradient
   * are unchanged. Set by the Trainer for `train.method: ottt`.
   */
  private traceDecay: number | null = null;
  /** â of the last step seen, [B, ...]; null at the start of a sequence. */
  private trace: Tensor | null = null;

  /** Turn the input trace on with decay λ in [0, 1], or off (null). Clears the current trace. */
  setInputTrace(decay: number | null): void {
    if (decay !== null && !(decay >= 0 && decay <= 1)) throw new ConfigError(`${this.kind}: input trace decay must be in [0, 1], got ${decay}`);
    this.traceDecay = decay;
    this.trace = null;
  }

  /** The input trace's decay, or null when the trace is off. */
  get inputTraceDecay(): number | null {
    return this.traceDecay;
  }

  forward(x: Tensor): Tensor {
    this.inputObserver?.(x);
    const u = this.traceDecay !== null && this.training ? this.advanceTrace(x) : null;
    return this.forwardWith(x, this.effectiveWeight(), this.bias, u);
  }

  /**
   * â for every step of x [T, B, ...] (continuing from the last call's), kept
   * as the layer's state; not recorded (a trace is a constant of the backward).
   * Updated under noGrad too, so steps run without a graph still count.
   */
  private advanceTrace(x: Tensor): Tensor {
    const T = x.shape[0] ?? 0;
    const step = x.shape.slice(1);
    const n = T > 0 ? x.size / T : 0;
    const prev = this.trace;
    if (prev && (prev.size !== n || prev.backend !== x.backend)) {
      throw new ShapeError(`${this.kind}: input trace has shape ${fmtShape(prev.shape)} but input steps are ${fmtShape(step)}; call resetState() before a new batch size`);
    }
    const be = x.backend;
    const out = be.alloc(x.size);
    be.copy(x.storage, 0, out, 0, x.size);
    const last = be.alloc(n);
    // A plain loop over the CPU arrays (views taken after the allocations above).
    const u = out.data;
    const lam = this.traceDecay!;
    if (prev) {
      const p = prev.storage.data;
      for (let i = 0; i < n; i++) u[i] = u[i]! + lam * p[i]!;
    }
    for (let t = 1; t < T; t++) {
      const o = t * n, q = o - n;
      for (let i = 0; i < n; i++) u[o + i] = u[o + i]! + lam * u[q + i]!;
    }
    if (T > 0) be.copy(out, (T - 1) * n, last, 0, n);
    this.trace = new Tensor(last, step, { backend: be });
    return new Tensor(out, x.shape, { backend: be });
  }

  override resetState(): void {
    this.trace = null;
    super.resetState();
  }

  override persistentTensors(): Tensor[] {
    const out = super.persistentTensors();
    if (this.trace) out.push(this.trace);
    return out;
  }

  /** The quantizer's settings, or null for a float weight. */
  get weightQuantizer(): WeightQuantSpec | null {
    return this.quant ? { ...this.quant.spec } : null;
  }

  /** The integer range of the quantized weight (null without a quantizer). */
  get weightLevels(): QuantLevels | null {
    return this.quant ? { ...this.quant.levels } : null;
  }

  /** The step tensor (`weight_step`), or null without a quantizer. */
  get weightStep(): Tensor | null {
    return this.getParameter(WEIGHT_STEP) ?? this.getBuffer(WEIGHT_STEP) ?? null;
  }

  /**
   * Quantize this layer's weight (null: back to float, dropping the step).
   * `step` gives the initial step values ([C_out] per channel, [1] per
   * tensor); default LSQ's initialisation from the current weight. Attach
   * before the optimizer is made: a learned step is a new parameter.
   */
  setWeightQuantizer(spec: WeightQuantSpec | null, step?: ArrayLike<number>): this {
    this.removeTensor(WEIGHT_STEP);
    this.quant = null;
    if (spec === null) return this;
    const levels = quantLevels(spec.bits);
    const C = spec.perChannel ? this.weight.shape[0]! : 1;
    const init = step ?? lsqInitialStep(this.weight, levels.qp, spec.perChannel);
    this.checkStepValues(init, C, 'setWeightQuantizer');
    const t = new Tensor(this.weight.backend.fromArray(init), [C], { backend: this.weight.backend });
    if (spec.learnStep) this.addParameter(WEIGHT_STEP, t);
    else this.addBuffer(WEIGHT_STEP, t);
    this.quant = { spec: { ...spec }, levels };
    return this;
  }

  /** Replace the step values (post-training calibration), keeping the tensor's kind. */
  setWeightStep(values: ArrayLike<number>): void {
    const s = this.weightStep;
    if (!s) throw new ConfigError(`${this.kind}: setWeightStep needs a weight quantizer (setWeightQuantizer first)`);
    this.checkStepValues(values, s.size, 'setWeightStep');
    const d = s.data;
    for (let i = 0; i < d.length; i++) d[i] = values[i]!;
  }

  /** The weight the forward uses: quantized when a quantizer is attached, else the weight itself. */
  effectiveWeight(): Tensor {
    const q = this.quant;
    const s = this.weightStep;
    if (!q || !s) return this.weight;
    const per = this.weight.size / s.size;
    return lsqQuantize(this.weight, s, { qn: q.levels.qn, qp: q.levels.qp, gradScale: 1 / Math.sqrt(per * q.levels.qp) });
  }

  /** The integer levels q of the quantized weight (w_q = q·step), in weight order. */
  weightIntegers(): Int32Array {
    const q = this.quant;
    const s = this.weightStep;
    if (!q || !s) throw new ConfigError(`${this.kind}: weightIntegers needs a weight quantizer`);
    const C = s.size;
    const per = this.weight.size / C;
    const wd = this.weight.data, sd = s.data;
    const out = new Int32Array(this.weight.size);
    for (let c = 0; c < C; c++) for (let i = c * per, e = i + per; i < e; i++) out[i] = quantizeLevel(wd[i]!, sd[c]!, q.levels.qn, q.levels.qp);
    return out;
  }

  /** A learned step stays positive: the optimizer may push it through zero. */
  override afterUpdate(): void {
    const s = this.getParameter(WEIGHT_STEP);
    if (s) {
      const d = s.data;
      for (let i = 0; i < d.length; i++) if (!(d[i]! >= MIN_STEP)) d[i] = MIN_STEP;
    }
    super.afterUpdate();
  }

  override checkTensorValues(name: string, t: Tensor): string | null {
    if (name !== WEIGHT_STEP) return null;
    const d = t.data;
    for (let i = 0; i < d.length; i++) if (!(d[i]! > 0 && Number.isFinite(d[i]!))) return `holds ${d[i]} at index ${i}; a quantization step must be a positive finite number`;
    return null;
  }

  protected override onTensorReplaced(name: string, t: Tensor): void {
    if (name === 'weight') this.weight = t;
    else if (name === 'bias') this.bias = t;
  }

  private checkStepValues(v: ArrayLike<number>, C: number, where: string): void {
    if (v.length !== C) throw new ShapeError(`${this.kind}: ${where}: ${v.length} step values for ${C === 1 ? 'a per-tensor step [1]' : `${C} output channels`} (weight ${fmtShape(this.weight.shape)})`);
    for (let i = 0; i < v.length; i++) {
      if (!(v[i]! > 0 && Number.isFinite(v[i]!))) throw new ConfigError(`${this.kind}: ${where}: step ${i} is ${v[i]}; a step must be a positive finite number`);
    }
  }

  /** The quantizer as describe() reports it (merged into the layer's settings). */
  protected describeQuantizer(): Record<string, unknown> {
    const q = this.quant;
    return q ? { quantize: { bits: q.spec.bits, per_channel: q.spec.perChannel, learn_step: q.spec.learnStep } } : {};
  }
}

/** Whether a module is a weighted layer (Linear, Conv1d, Conv2d) and so can be quantized. */
export function isWeightedLayer(m: Module): m is WeightedLayer {
  return m instanceof WeightedLayer;
}
