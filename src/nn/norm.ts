import { ConfigError, ShapeError } from '../errors.js';
import { batchNorm, batchNormCoefficients, type RunningStats } from '../ops/norm.js';
import { full, ones, zeros } from '../tensor/create.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module } from '../module/module.js';

export interface BatchNormLayerOptions {
  eps?: number;
  /** Running-statistics update rate (PyTorch convention, default 0.1). */
  momentum?: number;
  /** Learnable γ (init 1) and β (init 0); default true. */
  affine?: boolean;
  /** Keep running mean/variance for eval (default true); without them eval also uses batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over the folded time × batch dims (and spatial dims), so
 * statistics cover every step of the sequence, as in SpikingJelly's multi-step
 * BN. Buffers are named like PyTorch's (running_mean, running_var) so state
 * dicts map one to one.
 */
export abstract class BatchNormBase extends Module {
  weight: Tensor | null;
  bias: Tensor | null;
  runningMean: Tensor | null;
  runningVar: Tensor | null;
  readonly eps: number;
  /** Weight of each training batch in the running statistics; writable so a recalibration (Trainer.recalibrateBatchNorm) can average batches plainly. */
  momentum: number;

  constructor(
    private readonly layerKind: string,
    readonly numFeatures: number,
    /** Feature ranks accepted after [T, B]: 1 = [C], 2 = [C, L], 3 = [C, H, W]. */
    private readonly ranks: readonly number[],
    opts: BatchNormLayerOptions,
  ) {
    super();
    if (!Number.isInteger(numFeatures) || numFeatures < 1) throw new ConfigError(`${this.kind}: numFeatures must be a positive integer, got ${numFeatures}`);
    this.eps = opts.eps ?? 1e-5;
    this.momentum = opts.momentum ?? 0.1;
    if (!(this.eps > 0)) throw new ConfigError(`${this.kind}: eps must be > 0, got ${this.eps}`);
    if (!(this.momentum >= 0 && this.momentum <= 1)) throw new ConfigError(`${this.kind}: momentum must be in [0, 1], got ${this.momentum}`);
    const affine = opts.affine ?? true;
    this.weight = affine ? this.addParameter('weight', ones([numFeatures])) : null;
    this.bias = affine ? this.addParameter('bias', zeros([numFeatures])) : null;
    const track = opts.trackRunningStats ?? true;
    this.runningMean = track ? this.addBuffer('running_mean', zeros([numFeatures])) : null;
    this.runningVar = track ? this.addBuffer('running_var', full([numFeatures], 1)) : null;
  }

  get kind(): string {
    return this.layerKind;
  }

  /** Running statistics back to mean 0 and variance 1 (PyTorch's reset_running_stats); nothing without them. */
  resetRunningStats(): void {
    if (!this.runningMean || !this.runningVar) return;
    const be = this.runningMean.backend;
    be.fill(this.runningMean.storage, 0);
    be.fill(this.runningVar.storage, 1);
  }

  /** Factor on the normalised value (1 for plain BN, α·V_th for tdBN). */
  protected get normScale(): number {
    return 1;
  }

  private expected(): string {
    const shapes: Record<number, string> = { 1: 'C', 2: 'C, L', 3: 'C, H, W' };
    return this.ranks.map((r) => `[T, B, ${shapes[r]}]`).join(' or ');
  }

  /** Same shape out; checks the channel count. */
  outputShape(inputFeatureShape: Shape): number[] {
    if (!this.ranks.includes(inputFeatureShape.length) || inputFeatureShape[0] !== this.numFeatures)
      throw new ShapeError(`${this.kind}(${this.numFeatures}): expected input features with ${this.numFeatures} channels as in ${this.expected()}, got ${fmtShape(inputFeatureShape)}`);
    return [...inputFeatureShape];
  }

  forward(x: Tensor): Tensor {
    if (x.ndim < 3 || !this.ranks.includes(x.ndim - 2) || x.shape[2] !== this.numFeatures)
      throw new ShapeError(`${this.kind}(${this.numFeatures}): input must be ${this.expected()} with C = ${this.numFeatures}, got ${fmtShape(x.shape)}`);
    const running: RunningStats | null = this.runningMean && this.runningVar ? { mean: this.runningMean, variance: this.runningVar } : null;
    return batchNorm(x, this.weight, this.bias, running, { channelAxis: 2, training: this.training, momentum: this.momentum, eps: this.eps, scale: this.normScale });
  }

  /**
   * Eval mode as a per-channel affine map y = a·x + b, with the coefficients
   * the op computes (float64), or null without running statistics (eval then
   * normalises by the batch's own statistics). The streaming plan runs this.
   */
  evalAffine(): { a: Float64Array; b: Float64Array } | null {
    if (!this.runningMean || !this.runningVar) return null;
    const mean = Float64Array.from(this.runningMean.data);
    const variance = Float64Array.from(this.runningVar.data);
    const gamma = this.weight ? Float64Array.from(this.weight.data) : null;
    const beta = this.bias ? Float64Array.from(this.bias.data) : null;
    const { a, b } = batchNormCoefficients(mean, variance, gamma, beta, this.eps, this.normScale);
    return { a, b };
  }

  protected override onTensorReplaced(name: string, t: Tensor): void {
    if (name === 'weight') this.weight = t;
    else if (name === 'bias') this.bias = t;
    else if (name === 'running_mean') this.runningMean = t;
    else if (name === 'running_var') this.runningVar = t;
  }

  override describe(): Record<string, unknown> {
    return { features: this.numFeatures, eps: this.eps, momentum: this.momentum, affine: this.weight !== null, trackRunningStats: this.runningMean !== null };
  }
}

/** Batch norm over [T, B, C] or [T, B, C, L]. */
export class BatchNorm1d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super('BatchNorm1d', numFeatures, [1, 2], opts);
  }
}

/** Batch norm over [T, B, C, H, W]. */
export class BatchNorm2d extends BatchNormBase {
  constructor(numFeatures: number, opts: BatchNormLayerOptions = {}) {
    super('BatchNorm2d', numFeatures, [3], opts);
  }
}

export interface TdBatchNormOptions extends BatchNormLayerOptions {
  /** 1: [T, B, C] or [T, B, C, L]; 2: [T, B, C, H, W] (default 2). */
  dims?: 1 | 2;
  /** α of tdBN (default 1; the paper uses 1/√2 for the two branches of a residual block). */
  alpha?: number;
  /** V_th of the neurons that follow (default 1). */
  threshold?: number;
}

/**
 * Threshold-dependent batch norm (tdBN, Zheng et al. 2021):
 * y = α·V_th·(x − μ)/√(σ² + ε)·γ + β with μ, σ² over time, batch and space, so
 * pre-activations are scaled to the firing threshold of the next neurons.
 */
export class TdBatchNorm extends BatchNormBase {
  readonly alpha: number;
  readonly threshold: number;
  readonly dims: 1 | 2;

  constructor(numFeatures: number, opts: TdBatchNormOptions = {}) {
    super('TdBatchNorm', numFeatures, (opts.dims ?? 2) === 1 ? [1, 2] : [3], opts);
    this.dims = opts.dims ?? 2;
    this.alpha = opts.alpha ?? 1;
    this.threshold = opts.threshold ?? 1;
    if (this.dims !== 1 && this.dims !== 2) throw new ConfigError(`TdBatchNorm: dims must be 1 or 2, got ${String(this.dims)}`);
    if (!Number.isFinite(this.alpha) || !Number.isFinite(this.threshold)) throw new ConfigError(`TdBatchNorm: alpha and threshold must be finite, got ${this.alpha}, ${this.threshold}`);
  }

  protected override get normScale(): number {
    return this.alpha * this.threshold;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), dims: this.dims, alpha: this.alpha, threshold: this.threshold };
  }
}
