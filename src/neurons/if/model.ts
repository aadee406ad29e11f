import type { Backend } from '../../backend/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readOptions } from '../../registry/options.js';
import { CFR_OPTIONS, ChargeFireResetNeuron, type ChargeFireResetOptions } from '../cfr/base.js';

export type IFOptions = ChargeFireResetOptions;

export const IF_OPTIONS = CFR_OPTIONS;

/** Integrate-and-fire: h[t] = v[t-1] + x[t], spike above θ, hard (default) or soft same-step reset. */
export class IF extends ChargeFireResetNeuron {
  constructor(features: number[] | number, options: IFOptions = {}) {
    super(features, readOptions(IF_OPTIONS, options as Record<string, unknown>, 'IF'));
  }

  get kind(): string {
    return 'IF';
  }

  protected decay(be: Backend): Tensor {
    return this.settingTensor('beta', 1, be);
  }

  protected get inputLeak(): boolean {
    return false;
  }
}
