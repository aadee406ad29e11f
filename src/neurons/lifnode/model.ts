import type { Backend } from '../../backend/backend.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readOptions, type OptionSpec } from '../../registry/options.js';
import { CFR_OPTIONS, ChargeFireResetNeuron, type ChargeFireResetOptions } from '../cfr/base.js';

export interface LIFNodeOptions extends ChargeFireResetOptions {
  /** Membrane time constant in steps, > 1. Default 2. */
  tau?: number;
  /** true (default): h = v + (x − (v − vReset))/τ; false: h = v − (v − vReset)/τ + x. */
  decayInput?: boolean;
}

export const LIF_NODE_OPTIONS = {
  ...CFR_OPTIONS,
  tau: { type: 'number', default: 2, check: (v: number) => v > 1, want: 'a number > 1', doc: 'membrane time constant in steps' },
  decayInput: { type: 'boolean', default: true, doc: 'h = v + (x − (v − vReset))/τ (true) or h = v − (v − vReset)/τ + x' },
} as const satisfies OptionSpec;

/**
 * LIF in SpikingJelly's charge–fire–reset form (its `LIFNode`): same-step hard
 * reset to vReset by default. With β = 1 − 1/τ it is the Leaky family with the
 * input scaled by 1/τ when `decayInput`.
 */
export class LIFNode extends ChargeFireResetNeuron {
  readonly tau: number;
  readonly decayInput: boolean;

  constructor(features: number[] | number, options: LIFNodeOptions = {}) {
    const { tau, decayInput, ...c } = readOptions(LIF_NODE_OPTIONS, options as Record<string, unknown>, 'LIFNode');
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
