import { ShapeError } from '../errors.js';
import { conv1d, conv2d, perDim, resolveWindow, type ConvStats, type Padding } from '../ops/conv.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import { defaultRng, Rng } from '../tensor/rng.js';
import { checkSize } from './linear.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultUniform } from './init.js';
import { WeightedLayer } from './weighted.js';

/**
 * Check that x is a time-major sequence [T, B, ...features] with `rank` feature
 * dims and return the feature shape; the error names the layer and the shapes.
 * Shared by the stateless layers in this folder.
 */
export function checkSequenceInput(layer: string, x: Tensor, rank: number, expected: string): Shape {
  if (x.ndim !== rank + 2) throw new ShapeError(`${layer}: input must be [T, B, ${expected}], got ${fmtShape(x.shape)}`);
  return x.shape.slice(2);
}

export interface ConvLayerOptions {
  stride?: number | readonly number[];
  padding?: Padding;
  dilation?: number | readonly number[];
  groups?: number;
  /** Learnable per-channel bias (default true). */
  bias?: boolean;
}

/** Shared body of Conv1d and Conv2d: weight [C_out, C_in/groups, ...k], PyTorch initialisation U(±1/√fan_in). */
abstract class ConvNd extends WeightedLayer {
  readonly kernelSize: number[];
  readonly stride: number[];
  readonly padding: number[] | 'same' | 'valid';
  readonly dilation: number[];
  readonly groups: number;
  /** The path and input density of the last forward (event-driven on spikes, pointwise GEMMs, im2col). */
  readonly lastStats: ConvStats = { path: 'im2col', density: 1 };

  constructor(
    readonly dims: 1 | 2,
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly number[],
    rngOrOpts: Rng | ConvLayerOptions | undefined,
    options: ConvLayerOptions,
  ) {
    super();
    const usage = `new Conv${dims}d(inChannels, outChannels, kernelSize), e.g. new Conv${dims}d(1, 16, 3)`;
    checkSize(`Conv${dims}d`, 'inChannels', 1, inChannels, usage);
    checkSize(`Conv${dims}d`, 'outChannels', 2, outChannels, usage);
    if (kernelSize === undefined) checkSize(`Conv${dims}d`, 'kernelSize', 3, kernelSize, usage);
    // The default generator when no Rng is given (see Linear); options may then come fourth.
    const rng = rngOrOpts instanceof Rng ? rngOrOpts : defaultRng();
    const opts = rngOrOpts !== undefined && !(rngOrOpts instanceof Rng) ? rngOrOpts : options;
    const where = `Conv${dims}d(${inChannels} → ${outChannels})`;
    perDim(where, 'channels', [inChannels, outChannels], 2, 1);
    this.kernelSize = perDim(where, 'kernel size', kernelSize, dims, 1);
    this.stride = perDim(where, 'stride', opts.stride ?? 1, dims, 1);
    this.dilation = perDim(where, 'dilation', opts.dilation ?? 1, dims, 1);
    const pad = opts.padding ?? 0;
    this.padding = pad === 'same' || pad === 'valid' ? pad : perDim(where, 'padding', pad, dims, 0);
    this.groups = opts.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || inChannels % this.groups !== 0 || outChannels % this.groups !== 0)
      throw new ShapeError(`${where}: groups=${this.groups} must divide both channel counts`);
    // Validates 'same' with stride != 1 up front rather than at the first forward.
    resolveWindow(where, this.kernelSize.map((k, i) => (k - 1) * this.dilation[i]! + 1), this.kernelSize, this.stride, this.padding, this.dilation);
    const fanIn = (inChannels / this.groups) * this.kernelSize.reduce((a, b) => a * b, 1);
    this.weight = this.addParameter('weight', defaultUniform([outChannels, inChannels / this.groups, ...this.kernelSize], fanIn, rng));
    this.bias = opts.bias === false ? null : this.addParameter('bias', defaultUniform([outChannels], fanIn, rng));
  }

  private get spatialName(): string {
    return this.dims === 1 ? 'L' : 'H, W';
  }

  /** Output feature shape [C_out, ...spatial_out] for an input feature shape [C_in, ...spatial] (no T, B). */
  outputShape(inputFeatureShape: Shape): number[] {
    const where = `${this.kind}(${this.inChannels} → ${this.outChannels})`;
    if (inputFeatureShape.length !== this.dims + 1 || inputFeatureShape[0] !== this.inChannels)
      throw new ShapeError(`${where}: expected input features [${this.inChannels}, ${this.spatialName}], got ${fmtShape(inputFeatureShape)}`);
    const out = resolveWindow(where, inputFeatureShape.slice(1), this.kernelSize, this.stride, this.padding, this.dilation).out;
    return [this.outChannels, ...out];
  }

  forwardWith(x: Tensor, weight: Tensor, bias: Tensor | null = this.bias, weightGradInput: Tensor | null = null): Tensor {
    const feat = checkSequenceInput(this.kind, x, this.dims + 1, `${this.inChannels}, ${this.spatialName}`);
    this.outputShape(feat);
    const opts = { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
    const w = { weightGradInput };
    return this.dims === 1 ? conv1d(x, weight, bias, opts, this.lastStats, w) : conv2d(x, weight, bias, opts, this.lastStats, w);
  }

  override describe(): Record<string, unknown> {
    return {
      in: this.inChannels,
      out: this.outChannels,
      kernel: [...this.kernelSize],
      stride: [...this.stride],
      padding: typeof this.padding === 'string' ? this.padding : [...this.padding],
      dilation: [...this.dilation],
      groups: this.groups,
      bias: this.bias !== null,
      ...this.describeQuantizer(),
    };
  }
}

/** 1-D convolution over [T, B, C_in, L] → [T, B, C_out, L_out]; T·B folded into one batch. */
export class Conv1d extends ConvNd {
  /** `rng` is optional (the default generator, as for Linear); options may take its place. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], rng?: Rng | ConvLayerOptions, opts: ConvLayerOptions = {}) {
    super(1, inChannels, outChannels, kernelSize, rng, opts);
  }

  get kind(): string {
    return 'Conv1d';
  }
}

/** 2-D convolution over [T, B, C_in, H, W] → [T, B, C_out, H_out, W_out]; T·B folded into one batch. */
export class Conv2d extends ConvNd {
  /** `rng` is optional (the default generator, as for Linear); options may take its place. */
  constructor(inChannels: number, outChannels: number, kernelSize: number | readonly number[], rng?: Rng | ConvLayerOptions, opts: ConvLayerOptions = {}) {
    super(2, inChannels, outChannels, kernelSize, rng, opts);
  }

  get kind(): string {
    return 'Conv2d';
  }
}
