import { ShapeError } from '../errors.js';
import { concatLeading } from '../ops/shape.js';
import { selectRows } from '../ops/select.js';
import { fmtShape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import type { ModelOutput, PredictFn, ScoreFn } from '../train/trainer.js';

/** What the readout says after a step: per active sample, the class scores and the class decided. */
export interface StepDecision {
  /** Active samples (rows). */
  rows: number;
  classes: number;
  /** The loss's class scores of the output accumulated so far, [rows, classes] row-major. */
  scores: Float64Array;
  /** The loss's class decision on the same accumulated output. */
  predictions: Int32Array;
}

/**
 * The per-step readout: after each step, the class scores and the class of
 * the output accumulated up to that step, as the loss defines them. It keeps
 * the output sequence so far ([t, B, C] spikes, and the membrane when the
 * loss reads it) and applies the loss entry's own `scores` and `predict`
 * (src/train/losses.ts) to that prefix, so spike counts, a membrane reduced
 * by mean / last / max / Σ softmax, and `ce_readout`'s mean of a real-valued
 * head are all read exactly as the loss reads the whole sequence, with no
 * second definition here. Re-reducing the prefix costs O(t·B·C) per step,
 * O(T²·B·C) per sequence: a few thousand additions next to a network step.
 */
export class StepReadout {
  private spikes: Tensor | null = null;
  private membrane: Tensor | null = null;

  constructor(
    private readonly score: ScoreFn,
    private readonly predict: PredictFn,
    /** Classes the scores must have (checked on the first step), or null to take the output's. */
    private readonly classes: number | null = null,
  ) {}

  /** Forget the sequences so far (a new batch). */
  reset(): void {
    this.spikes = null;
    this.membrane = null;
  }

  /** Steps accumulated so far. */
  get steps(): number {
    return this.spikes?.shape[0] ?? 0;
  }

  /**
   * Add one step of model output (`out.spikes` [1, B, C], `out.membrane`
   * [1, B, C] or null) and decide on the accumulated prefix. The batch must
   * be the one left by `keep`.
   */
  push(out: ModelOutput): StepDecision {
    const y = out.spikes;
    if (y.ndim !== 3 || y.shape[0] !== 1 || (this.classes !== null && y.shape[2] !== this.classes)) {
      const want = this.classes === null ? '[1, B, classes]' : `[1, B, ${this.classes}]`;
      throw new ShapeError(`early exit needs a classification readout: the model's output at one step is ${fmtShape(y.shape)}, expected ${want} class scores (the last layer must give one value per class)`);
    }
    if (this.spikes && this.spikes.shape[1] !== y.shape[1]) throw new ShapeError(`StepReadout: a step of ${y.shape[1]} samples follows ${this.spikes.shape[1]} (call keep(rows) when samples stop)`);
    this.spikes = this.spikes ? concatLeading(this.spikes, y) : y;
    if (out.membrane) this.membrane = this.membrane ? concatLeading(this.membrane, out.membrane) : out.membrane;
    const prefix: ModelOutput = { spikes: this.spikes, membrane: this.membrane };
    const s = this.score(prefix);
    const [B, C] = [y.shape[1]!, y.shape[2]!];
    if (s.size !== B * C) throw new ShapeError(`StepReadout: the loss's scores have shape ${fmtShape(s.shape)}, expected [${B}, ${C}]`);
    return { rows: B, classes: C, scores: Float64Array.from(s.data), predictions: this.predict(prefix) };
  }

  /** Keep only the samples `rows` (indices into the current batch), as the model does. */
  keep(rows: ArrayLike<number>): void {
    if (this.spikes) this.spikes = selectRows(this.spikes, 1, rows);
    if (this.membrane) this.membrane = selectRows(this.membrane, 1, rows);
  }
}
