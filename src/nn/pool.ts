import { ShapeError } from '../errors.js';
import { perDim } from '../ops/conv.js';
import { tokenMean } from '../ops/attention.js';
import { avgPool2d, maxPool2d, poolOutputSize, sumPool2d, type Pool2dOptions } from '../ops/pool.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkSequenceInput } from './conv.js';
import { Module } from '../module/module.js';

export interface PoolLayerOptions {
  /** Defaults to the kernel size. */
  stride?: number | readonly number[];
  padding?: number | readonly number[];
}

/** Shared body of the 2-D pooling layers over [T, B, C, H, W]; no parameters. */
abstract class Pool2dLayer extends Module {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[];

  constructor(
    private readonly layerKind: string,
    kernelSize: number | readonly number[],
    opts: PoolLayerOptions,
  ) {
    super();
    const where = this.kind;
    this.kernelSize = perDim(where, 'kernel size', kernelSize, 2, 1);
    this.stride = perDim(where, 'stride', opts.stride ?? this.kernelSize, 2, 1);
    this.padding = perDim(where, 'padding', opts.padding ?? 0, 2, 0);
    // Checks padding against the kernel now rather than at the first forward.
    poolOutputSize(where, this.kernelSize, this.poolOptions());
  }

  get kind(): string {
    return this.layerKind;
  }

  protected poolOptions(): Pool2dOptions {
    return { kernel: this.kernelSize, stride: this.stride, padding: this.padding };
  }

  /** Output feature shape [C, H_out, W_out] for an input feature shape [C, H, W]. */
  outputShape(inputFeatureShape: Shape): number[] {
    if (inputFeatureShape.length !== 3) throw new ShapeError(`${this.kind}: expected input features [C, H, W], got ${fmtShape(inputFeatureShape)}`);
    return [inputFeatureShape[0]!, ...poolOutputSize(this.kind, inputFeatureShape.slice(1), this.poolOptions())];
  }

  protected checkInput(x: Tensor): void {
    this.outputShape(checkSequenceInput(this.kind, x, 3, 'C, H, W'));
  }

  override describe(): Record<string, unknown> {
    return { kernel: [...this.kernelSize], stride: [...this.stride], padding: [...this.padding] };
  }
}

/** Max pooling; on spikes the output stays binary (a window spikes if any input does). */
export class MaxPool2d extends Pool2dLayer {
  constructor(kernelSize: number | readonly number[], opts: PoolLayerOptions = {}) {
    super('MaxPool2d', kernelSize, opts);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return maxPool2d(x, this.poolOptions());
  }
}

export interface AvgPoolLayerOptions extends PoolLayerOptions {
  /** Divide by kh·kw even where the window covers padding (PyTorch default true). */
  countIncludePad?: boolean;
}

/** Average pooling. */
export class AvgPool2d extends Pool2dLayer {
  readonly countIncludePad: boolean;

  constructor(kernelSize: number | readonly number[], opts: AvgPoolLayerOptions = {}) {
    super('AvgPool2d', kernelSize, opts);
    this.countIncludePad = opts.countIncludePad ?? true;
  }

  protected override poolOptions(): Pool2dOptions {
    return { ...super.poolOptions(), countIncludePad: this.countIncludePad };
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return avgPool2d(x, this.poolOptions());
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), countIncludePad: this.countIncludePad };
  }
}

/** Sum pooling (NIR SumPool2d): counts spikes per window. */
export class SumPool2d extends Pool2dLayer {
  constructor(kernelSize: number | readonly number[], opts: PoolLayerOptions = {}) {
    super('SumPool2d', kernelSize, opts);
  }

  forward(x: Tensor): Tensor {
    this.checkInput(x);
    return sumPool2d(x, this.poolOptions());
  }
}

/** Mean over every position of each channel: [T, B, C, ...] → [T, B, C] (a transformer's head: mean over tokens). */
export class GlobalAvgPool extends Module {
  get kind(): string {
    return 'GlobalAvgPool';
  }
  forward(x: Tensor): Tensor {
    if (x.ndim < 4) throw new ShapeError(`GlobalAvgPool: input must be [T, B, C, ...positions], got ${fmtShape(x.shape)}`);
    return tokenMean(x);
  }
}
