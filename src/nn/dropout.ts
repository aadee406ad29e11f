import { ConfigError, ShapeError } from '../errors.js';
import { applyTimeSharedMask, dropoutMask } from '../ops/dropout.js';
import { fmtShape, shapeEq, type Shape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../module/module.js';

/**
 * Dropout with one mask per sequence shared by all its time steps
 * (inverted scaling 1/(1 − p)); identity in eval mode. Masks are drawn from
 * the Rng given here, so a seed fixes them.
 *
 * The mask is state, like a neuron's membrane: drawn by the first call after
 * `resetState()` and reused by the calls that continue the sequence (TBPTT
 * chunks, the one-step calls of SLTT/OTTT training), so a sequence run in
 * pieces is thinned exactly as a sequence run whole. A call with another
 * step shape [B, ...] draws a new mask.
 */
export class Dropout extends Module {
  private mask: Tensor | null = null;

  constructor(
    readonly p: number,
    private readonly rng: Rng,
  ) {
    super();
    if (!(p >= 0 && p <= 1)) throw new ConfigError(`Dropout: p must be in [0, 1], got ${p}`);
  }

  get kind(): string {
    return 'Dropout';
  }

  /** Same shape out. */
  outputShape(inputFeatureShape: Shape): number[] {
    return [...inputFeatureShape];
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 2) throw new ShapeError(`Dropout: input must be [T, B, ...], got ${fmtShape(x.shape)}`);
    if (!this.training || this.p === 0) return x;
    const step = x.shape.slice(1);
    if (!this.mask || !shapeEq(this.mask.shape, step) || this.mask.backend !== x.backend) this.mask = dropoutMask(step, this.p, this.rng, x.backend);
    return applyTimeSharedMask(x, this.mask);
  }

  override resetState(): void {
    this.mask = null;
    super.resetState();
  }

  override persistentTensors(): Tensor[] {
    const out = super.persistentTensors();
    if (this.mask) out.push(this.mask);
    return out;
  }

  override describe(): Record<string, unknown> {
    return { p: this.p };
  }
}
