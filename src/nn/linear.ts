import { linear, type LinearStats } from '../ops/linear.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { defaultUniform } from './init.js';
import { Module } from '../module/module.js';

export interface LinearOptions {
  bias?: boolean;
}

/** Fully connected layer, weight [out, in]; folds time and batch into one GEMM. */
export class Linear extends Module {
  weight: Tensor;
  bias: Tensor | null;
  /** What the last forward did (event-driven or dense, input density). */
  readonly lastStats: LinearStats = { eventDriven: false, density: 1 };

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
    opts: LinearOptions = {},
  ) {
    super();
    this.weight = this.addParameter('weight', defaultUniform([outFeatures, inFeatures], inFeatures, rng));
    this.bias = opts.bias === false ? null : this.addParameter('bias', defaultUniform([outFeatures], inFeatures, rng));
  }

  get kind(): string {
    return 'Linear';
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias, this.lastStats);
  }

  protected override onTensorReplaced(name: string, t: Tensor): void {
    if (name === 'weight') this.weight = t;
    else if (name === 'bias') this.bias = t;
  }

  override describe(): Record<string, unknown> {
    return { in: this.inFeatures, out: this.outFeatures, bias: this.bias !== null };
  }
}
