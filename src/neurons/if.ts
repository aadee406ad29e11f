import type { Backend } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { ChargeFireResetNeuron, readCfrCommon, type ChargeFireResetOptions } from './charge-fire-reset.js';
import { OptionReader } from './options.js';

export type IFOptions = ChargeFireResetOptions;

/** Integrate-and-fire: h[t] = v[t-1] + x[t], spike above θ, hard (default) or soft same-step reset. */
export class IF extends ChargeFireResetNeuron {
  constructor(features: number[] | number, options: IFOptions = {}) {
    const r = new OptionReader(options as Record<string, unknown>, 'IF');
    const c = readCfrCommon(r);
    r.done();
    super(features, c);
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
