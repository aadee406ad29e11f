import { ConfigError, ShapeError } from '../errors.js';
import type { SpikeMonitor } from '../analysis/monitor.js';
import { isNeuron, type NeuronModule } from '../neurons/base.js';
import { Sequential } from '../nn/containers.js';
import { DelayedLinear } from '../nn/delay.js';
import { RepeatTime } from '../nn/repeat-time.js';
import type { Module } from '../module/module.js';
import { selectRows } from '../ops/select.js';
import { sliceLeading } from '../ops/shape.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { membraneSourceOf, type ModelOutput } from '../train/trainer.js';

export interface StepperOptions {
  /**
   * Count what is run (spikes, densities, operations) in this monitor: each
   * call reports only the samples still running, so the counts are per
   * sample-step actually run.
   */
  monitor?: SpikeMonitor;
}

/**
 * Runs a built model (the Sequential of the model builder) one time step at
 * a time on a batch whose samples may stop at different steps: `keep(rows)`
 * drops the finished samples from the input and from every layer's state
 * (`Module.selectBatchRows`), so the following steps run on a smaller batch
 * and a stopped sample costs nothing more.
 *
 * The numbers are those of one whole-sequence `forward`: neuron layers
 * continue their state across calls, stateless layers work per step, and a
 * delay layer keeps its input history. Under direct coding (an encoded
 * input [1, B, ...] and a RepeatTime in the model) the layers in front of
 * RepeatTime run once, at `start`, as in `forward`; RepeatTime itself then
 * passes each step through.
 */
export class ModelStepper {
  readonly model: Sequential;
  /** Index of the top-level RepeatTime (direct coding), or -1. */
  private readonly repeatAt: number;
  private readonly membraneSource: NeuronModule | null;
  private readonly monitor: SpikeMonitor | null;
  /** The per-step part's input: [T, B, ...] (one slice per step) or [1, B, ...] (the same every step). */
  private input: Tensor | null = null;
  private from = 0;
  private T = 0;
  private t = 0;
  private rows = 0;

  constructor(model: Module, opts: StepperOptions = {}) {
    if (!(model instanceof Sequential)) throw new ShapeError(`ModelStepper: expected the Sequential the model builder makes, got ${model.kind}`);
    this.model = model;
    this.repeatAt = model.layers.findIndex((l) => l instanceof RepeatTime);
    this.membraneSource = membraneSourceOf(model);
    this.monitor = opts.monitor ?? null;
    for (const [path, m] of model.namedModules()) {
      if (m instanceof DelayedLinear && m.tail > 0) {
        throw new ConfigError(`early exit runs the model one step at a time, but layer ${path} (delay_linear, tail ${m.tail}) adds steps after the end of the sequence and needs it whole`);
      }
    }
    if (!model.namedModules().some(([, m]) => isNeuron(m))) {
      throw new ConfigError('early exit: the model has no neuron layer, so its output does not change from step to step');
    }
  }

  /** Time steps of the current sequences. */
  get steps(): number {
    return this.T;
  }

  /** Steps run so far (0 right after `start`). */
  get time(): number {
    return this.t;
  }

  /** Samples still running. */
  get batch(): number {
    return this.rows;
  }

  /**
   * Start new sequences from an encoded batch [T, B, ...] (or [1, B, ...]
   * for a time-constant input): resets the model's state and, under direct
   * coding, runs the layers in front of RepeatTime once.
   */
  start(encoded: Tensor): void {
    if (encoded.ndim < 2) throw new ShapeError(`ModelStepper: the encoded batch must be time-major [T, B, ...], got ${fmtShape(encoded.shape)}`);
    this.model.resetState();
    const [Tin, B] = encoded.shape as [number, number];
    this.rows = B;
    this.t = 0;
    if (Tin === 1 && this.repeatAt >= 0) {
      const repeat = this.model.layers[this.repeatAt] as RepeatTime;
      this.T = repeat.steps;
      this.from = this.repeatAt;
      // With no layer in front of RepeatTime the first step's call starts the sequences instead.
      this.input = this.repeatAt > 0 ? this.run(encoded, 0, this.repeatAt, B) : encoded;
    } else {
      this.T = Tin;
      this.from = 0;
      this.input = encoded;
    }
  }

  /** Run the next step for the samples still running: their output [1, B', C] (and the membrane when recorded). */
  step(): ModelOutput {
    if (!this.input) throw new ShapeError('ModelStepper: call start(encoded) first');
    if (this.t >= this.T) throw new ShapeError(`ModelStepper: all ${this.T} steps have run`);
    if (this.rows === 0) throw new ShapeError('ModelStepper: every sample has stopped');
    const x = this.input.shape[0] === 1 ? this.input : sliceLeading(this.input, this.t, this.t + 1);
    const spikes = this.run(x, this.from, this.model.layers.length, this.t === 0 ? this.rows : 0);
    this.t++;
    return { spikes, membrane: this.membraneSource?.lastMembrane ?? null };
  }

  /**
   * Continue only the samples `rows` (indices into the current batch, in
   * the order they are to keep): the rest stop here and cost nothing more.
   */
  keep(rows: ArrayLike<number>): void {
    if (!this.input) throw new ShapeError('ModelStepper: call start(encoded) first');
    this.input = selectRows(this.input, 1, rows);
    this.model.selectBatchRows(rows);
    this.rows = rows.length;
  }

  /**
   * Streaming: run one step whose input arrives now, [1, B, ...] (one step of
   * the encoded sequence), through every layer (RepeatTime passes it
   * through). Call `model.resetState()` (or `start`) before a new sequence.
   */
  stepInput(x: Tensor, first: boolean): ModelOutput {
    if (x.ndim < 2 || x.shape[0] !== 1) throw new ShapeError(`ModelStepper: a streamed step must be [1, B, ...] (one time step of the encoded input), got ${fmtShape(x.shape)}`);
    const spikes = this.run(x, 0, this.model.layers.length, first ? x.shape[1]! : 0);
    return { spikes, membrane: this.membraneSource?.lastMembrane ?? null };
  }

  /** Top-level layers [from, to) on x, through the monitor when counting. */
  private run(x: Tensor, from: number, to: number, newSamples: number): Tensor {
    if (this.monitor) return this.monitor.forward(x, { layers: [from, to], oneStep: true, newSamples });
    let h = x;
    for (let i = from; i < to; i++) {
      const l = this.model.layers[i]!;
      if (!(l instanceof RepeatTime)) h = l.forward(h);
    }
    return h;
  }
}

