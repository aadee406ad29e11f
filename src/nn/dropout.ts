import { ConfigError, ShapeError } from '../errors.js';
import { dropout } from '../ops/dropout.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../module/module.js';

/**
 * Dropout with one mask per forward shared by all time steps of [T, B, ...]
 * (inverted scaling 1/(1 − p)); identity in eval mode. Masks are drawn from
 * the Rng given here, so a seed fixes them.
 */
export class Dropout extends Module {
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
    return dropout(x, this.p, this.rng, this.training);
  }

  override describe(): Record<string, unknown> {
    return { p: this.p };
  }
}
