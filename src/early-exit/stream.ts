import { ShapeError } from '../errors.js';
import { noGrad } from '../autograd/tape.js';
import type { Module } from '../module/module.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { PredictFn, ScoreFn } from '../train/trainer.js';
import { checkThreshold, confidences, type ConfidenceRule } from './confidence.js';
import { StepReadout } from './readout.js';
import { ModelStepper } from './stepper.js';

export interface StreamOptions {
  rule: ConfidenceRule;
  threshold: number;
  score: ScoreFn;
  predict: PredictFn;
  /** Classes of the readout; the threshold is checked against the rule's range for them. */
  classes: number;
  /** Stop at this step at the latest (T of the sequences the model was trained on); default: never forced. */
  maxSteps?: number;
}

/** After one streamed step: the class so far, how sure, and whether to stop. */
export interface StreamStep {
  /** Steps seen so far (1 after the first). */
  step: number;
  prediction: number;
  confidence: number;
  /** The confidence reached the threshold (or maxSteps was reached): stop feeding this sample. */
  done: boolean;
}

/**
 * Streaming inference of one sample with early exit: feed the encoded input
 * one step at a time ([1, 1, ...]) and stop as soon as `done` says so. The
 * decision is the batch runner's (the same readout of the accumulated
 * output, the same rule and `confidence ≥ threshold`), so a stream stops at
 * the step and with the class runEarlyExit gives that sample. Call `reset()`
 * before the next sample. The model is put in eval mode.
 */
export class EarlyExitStream {
  private readonly stepper: ModelStepper;
  private readonly readout: StepReadout;
  private steps = 0;
  private stopped = false;

  constructor(
    readonly model: Module,
    private readonly opts: StreamOptions,
  ) {
    checkThreshold(opts.rule, opts.threshold, opts.classes, 'EarlyExitStream threshold');
    if (opts.maxSteps !== undefined && !(Number.isInteger(opts.maxSteps) && opts.maxSteps >= 1)) throw new ShapeError(`EarlyExitStream: maxSteps must be a positive integer, got ${opts.maxSteps}`);
    this.stepper = new ModelStepper(model);
    this.readout = new StepReadout(opts.score, opts.predict, opts.classes);
    model.eval();
    this.reset();
  }

  /** Start a new sample. */
  reset(): void {
    this.model.resetState();
    this.readout.reset();
    this.steps = 0;
    this.stopped = false;
  }

  /** One step of the encoded input, [1, 1, ...features]. */
  push(x: Tensor): StreamStep {
    if (this.stopped) throw new ShapeError(`EarlyExitStream: this sample stopped after step ${this.steps}; call reset() before the next one`);
    if (x.ndim < 3 || x.shape[0] !== 1 || x.shape[1] !== 1) throw new ShapeError(`EarlyExitStream: push one step of one sample, [1, 1, ...features], got ${fmtShape(x.shape)}`);
    return noGrad(() => {
      const d = this.readout.push(this.stepper.stepInput(x, this.steps === 0));
      this.steps++;
      const confidence = confidences(this.opts.rule, d.scores, 1, d.classes)[0]!;
      const done = confidence >= this.opts.threshold || (this.opts.maxSteps !== undefined && this.steps >= this.opts.maxSteps);
      this.stopped = done;
      return { step: this.steps, prediction: d.predictions[0]!, confidence, done };
    });
  }
}
