import { linear, type LinearStats } from '../ops/linear.js';
import { ConfigError } from '../errors.js';
import { defaultRng, Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultUniform } from './init.js';
import { WeightedLayer } from './weighted.js';

export interface LinearOptions {
  bias?: boolean;
}

/**
 * Fully connected layer, weight [out, in]; folds time and batch into one GEMM.
 * Its weight can be quantized (`setWeightQuantizer`, src/nn/weighted.ts).
 */
export class Linear extends WeightedLayer {
  /** What the last forward did (event-driven or dense, input density). */
  readonly lastStats: LinearStats = { eventDriven: false, density: 1 };

  /**
   * `new Linear(inFeatures, outFeatures)` draws the initial weights from the
   * default generator (`defaultRng()`, seeded, see `manualSeed`); pass an Rng
   * as third argument for weights of their own: `new Linear(784, 128, rng, { bias: false })`.
   * Options may also come third: `new Linear(4, 3, { bias: false })`.
   */
  constructor(inFeatures: number, outFeatures: number, rng?: Rng | LinearOptions, opts?: LinearOptions);
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rngOrOpts?: Rng | LinearOptions,
    opts: LinearOptions = {},
  ) {
    super();
    checkSize('Linear', 'inFeatures', 1, inFeatures, 'new Linear(inFeatures, outFeatures), e.g. new Linear(784, 128)');
    checkSize('Linear', 'outFeatures', 2, outFeatures, 'new Linear(inFeatures, outFeatures), e.g. new Linear(784, 128)');
    const rng = rngOrOpts instanceof Rng ? rngOrOpts : defaultRng();
    if (rngOrOpts !== undefined && !(rngOrOpts instanceof Rng)) opts = rngOrOpts;
    this.weight = this.addParameter('weight', defaultUniform([outFeatures, inFeatures], inFeatures, rng));
    this.bias = opts.bias === false ? null : this.addParameter('bias', defaultUniform([outFeatures], inFeatures, rng));
  }

  get kind(): string {
    return 'Linear';
  }

  forwardWith(x: Tensor, weight: Tensor, bias: Tensor | null = this.bias, weightGradInput: Tensor | null = null): Tensor {
    return linear(x, weight, bias, this.lastStats, { weightGradInput });
  }

  override describe(): Record<string, unknown> {
    return { in: this.inFeatures, out: this.outFeatures, bias: this.bias !== null, ...this.describeQuantizer() };
  }
}

/**
 * A layer size given as a positive integer, or a ConfigError naming the
 * argument and the call that works (a size left out is the usual mistake).
 */
export function checkSize(layer: string, arg: string, position: number, value: unknown, usage: string): void {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) return;
  const got = value === undefined ? 'missing' : `got ${typeof value === 'number' ? value : typeof value}`;
  throw new ConfigError(`${layer}: ${arg} (argument ${position}) must be a positive integer, ${got}: ${usage}`);
}
