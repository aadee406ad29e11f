import type { Backend } from '../backend/backend.js';
import type { Tensor } from '../tensor/tensor.js';
import { ChargeFireResetNeuron, readCfrCommon, type ChargeFireResetOptions } from './charge-fire-reset.js';
import { OptionReader } from './options.js';

export interface LIFNodeOptions extends ChargeFireResetOptions {
  /** Membrane time constant in steps, > 1. Default 2. */
  tau?: number;
  /** true (default): h = v + (x − (v − vReset))/τ; false: h = v − (v − vReset)/τ + x. */
  decayInput?: boolean;
}

/**
 * LIF in SpikingJelly's charge–fire–reset form (its `LIFNode`): same-step hard
 * reset to vReset by default. With β = 1 − 1/τ it is the Leaky family with the
 * input scaled by 1/τ when `decayInput`.
 */
export class LIFNode extends ChargeFireResetNeuron {
  readonly tau: number;
  readonly decayInput: boolean;

  constructor(features: number[] | number, options: LIFNodeOptions = {}) {
    const r = new OptionReader(options as Record<string, unknown>, 'LIFNode');
    const c = readCfrCommon(r);
    const tau = r.number('tau', 2, (v) => v > 1, 'a number > 1');
    const decayInput = r.bool('decayInput', true);
    r.done();
    super(features, c);
    this.tau = tau;
    this.decayInput = decayInput;
  }

  get kind(): string {
    return 'LIFNode';
  }

  protected decay(be: Backend): Tensor {
    return this.settingTensor('beta', 1 - 1 / this.tau, be);
  }

  protected get inputLeak(): boolean {
    return this.decayInput;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), tau: this.tau, decayInput: this.decayInput };
  }
}
