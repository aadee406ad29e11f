import { noGrad } from '../autograd/tape.js';
import type { Backend } from '../backend/backend.js';
import { getBackend } from '../backend/registry.js';
import type { Storage } from '../backend/storage.js';
import { ConfigError, ShapeError } from '../errors.js';
import type { Module } from '../module/module.js';
import { fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import { Tensor } from '../tensor/tensor.js';
import { compileLayer, type CompileContext } from './compile.js';
import { copyStage, type Slot, type Stage } from './stage.js';

export interface StreamingOptions {
  /** Per-sample input shape, without batch or time: [784], [1, 28, 28]. */
  inputShape: readonly number[];
  /** Samples per step (default 1). */
  batch?: number;
  /** Backend the plan runs on (default: that of the model's parameters, else the current default backend). */
  backend?: Backend;
}

/** One stage of a plan as describe() reports it. */
export interface PlanStageInfo {
  /** The layer, as `model.layers[i] (Kind)`. */
  where: string;
  op: string;
  /** How many steps took each kernel path since the plan was compiled. */
  paths: Record<string, number>;
}

/**
 * A trained feed-forward network compiled for streaming inference: one time
 * step of a fixed batch per `step()`, as an online (sensor-driven) deployment
 * runs it. Compiling walks the model once and fixes everything a step does:
 * every buffer is allocated here (weights copied and, for linear layers,
 * transposed for the event-driven kernel), the neurons' state lives in the
 * plan, and a step is a fixed list of kernel calls on raw storages — no
 * tensors, no tape checks, no step scopes, no allocation.
 *
 * Semantics are the model's in eval mode (dropout is the identity, batch norm
 * uses its running statistics, RepeatTime passes the step through), starting
 * from the neurons' initial state; the model's own state is not touched.
 * Weights are copies: recompile after training or loading weights. Feeding
 * steps x[0], x[1], ... gives the rows of `model.forward(x)` over the whole
 * sequence (docs/design.md, "Streaming inference plan", says when bit for bit).
 */
export class StreamingPlan {
  readonly backend: Backend;
  readonly batch: number;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  private readonly stages: Stage[];
  private readonly input: Slot;
  private readonly outSlot: Slot;
  private readonly output: Tensor;
  /** Input storage of the plan's own, for a step given on another backend (allocated at the first such step). */
  private foreign: Storage | null = null;
  private stepsSinceReset = 0;

  constructor(model: Module, opts: StreamingOptions) {
    const batch = opts.batch ?? 1;
    if (!Number.isInteger(batch) || batch < 1) throw new ConfigError(`compileStreaming: batch must be a positive integer, got ${batch}`);
    const inShape = [...opts.inputShape];
    if (inShape.length === 0 || inShape.some((d) => !Number.isInteger(d) || d < 1))
      throw new ShapeError(`compileStreaming: inputShape must be a non-empty list of positive integers (per sample, without batch or time), got ${fmtShape(inShape)}`);
    const be = opts.backend ?? model.parameters()[0]?.backend ?? getBackend();
    this.backend = be;
    this.batch = batch;
    this.inputShape = Object.freeze(inShape);
    const n = batch * sizeOf(inShape);
    // Placeholder until the first step points it at the caller's input.
    this.input = { storage: { length: n, data: new Float32Array(0) }, binary: false };
    const ctx: CompileContext = { be, batch, stages: [] };
    // Quantized weights and learned decays are ops: computed once, off the tape.
    const r = noGrad(() => compileLayer(ctx, model, 'model', this.input, inShape));
    let out = r.out;
    if (out === this.input) {
      out = { storage: be.alloc(n), binary: false };
      ctx.stages.push(copyStage(be, 'output', this.input, out, n));
    }
    this.stages = ctx.stages;
    this.outSlot = out;
    this.outputShape = Object.freeze([...r.shape]);
    this.output = new Tensor(out.storage, [batch, ...r.shape], { backend: be, binary: out.binary });
  }

  /**
   * One time step: x is [batch, ...inputShape] (its `binary` flag lets spike
   * inputs take the event-driven kernels, as in the ops). Returns the output
   * [batch, ...outputShape]: always the same tensor, whose storage the next
   * step overwrites — `clone()` it to keep a step's values.
   */
  step(x: Tensor): Tensor {
    const want = [this.batch, ...this.inputShape];
    if (x.ndim !== want.length || x.shape.some((d, i) => d !== want[i]))
      throw new ShapeError(`StreamingPlan.step: input ${fmtShape(x.shape)} does not match [batch, ...inputShape] = ${fmtShape(want)}`);
    if (x.backend === this.backend) this.input.storage = x.storage;
    else {
      // Another backend's tensor: copied into the plan's own input buffer (one pass over the step).
      this.foreign ??= this.backend.alloc(x.size);
      this.foreign.data.set(x.data);
      this.input.storage = this.foreign;
    }
    this.input.binary = x.binary;
    for (const s of this.stages) s.run();
    this.output.binary = this.outSlot.binary;
    this.stepsSinceReset++;
    return this.output;
  }

  /** Back to the initial state: the next step starts a new sequence. */
  reset(): void {
    for (const s of this.stages) s.reset?.();
    this.stepsSinceReset = 0;
  }

  /** Steps taken since compiling or the last reset. */
  get steps(): number {
    return this.stepsSinceReset;
  }

  /** The stages in order: layer, operation, and how often each kernel path ran. */
  describe(): PlanStageInfo[] {
    return this.stages.map((s) => ({ where: s.where, op: s.op, paths: { ...s.paths } }));
  }

  /** Every storage the plan owns (a caller running it inside a wasm step scope keeps these). */
  storages(): Storage[] {
    return [...new Set(this.stages.flatMap((s) => s.storages())), ...(this.foreign ? [this.foreign] : [])];
  }
}

/** Compile `model` for streaming inference (see StreamingPlan). */
export function compileStreaming(model: Module, opts: StreamingOptions): StreamingPlan {
  return new StreamingPlan(model, opts);
}
