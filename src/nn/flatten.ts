import { ConfigError, ShapeError } from '../errors.js';
import { reshape } from '../ops/shape.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../module/module.js';

export interface FlattenOptions {
  /** First feature dim to merge (0 = the first dim after [T, B]; negative counts from the end). Default 0. */
  startDim?: number;
  /** Last feature dim to merge, inclusive. Default -1. */
  endDim?: number;
}

/**
 * Merge feature dims of [T, B, ...features] into one (no copy). Dims are
 * counted over the features only, like NIR's Flatten over shapes without batch.
 */
export class Flatten extends Module {
  readonly startDim: number;
  readonly endDim: number;

  constructor(opts: FlattenOptions = {}) {
    super();
    this.startDim = opts.startDim ?? 0;
    this.endDim = opts.endDim ?? -1;
    if (!Number.isInteger(this.startDim) || !Number.isInteger(this.endDim)) throw new ConfigError(`Flatten: startDim/endDim must be integers, got ${this.startDim}, ${this.endDim}`);
  }

  get kind(): string {
    return 'Flatten';
  }

  /** Output feature shape, e.g. [C, H, W] → [C·H·W] with the defaults. */
  outputShape(inputFeatureShape: Shape): number[] {
    const n = inputFeatureShape.length;
    const s = this.startDim < 0 ? n + this.startDim : this.startDim;
    const e = this.endDim < 0 ? n + this.endDim : this.endDim;
    if (n === 0 || s < 0 || e >= n || s > e)
      throw new ShapeError(`Flatten(startDim=${this.startDim}, endDim=${this.endDim}): cannot flatten input features ${fmtShape(inputFeatureShape)}`);
    const merged = inputFeatureShape.slice(s, e + 1).reduce((a, b) => a * b, 1);
    return [...inputFeatureShape.slice(0, s), merged, ...inputFeatureShape.slice(e + 1)];
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 3) throw new ShapeError(`Flatten: input must be [T, B, ...features] with at least one feature dim, got ${fmtShape(x.shape)}`);
    return reshape(x, [x.shape[0]!, x.shape[1]!, ...this.outputShape(x.shape.slice(2))]);
  }

  override describe(): Record<string, unknown> {
    return { startDim: this.startDim, endDim: this.endDim };
  }
}
