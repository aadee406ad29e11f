import type { Backend } from '../../backend/backend.js';
import { plifDecay } from '../../ops/neuron.js';
import { full } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readOptions, type OptionSpec } from '../../registry/options.js';
import { CFR_OPTIONS, ChargeFireResetNeuron, type ChargeFireResetOptions } from '../cfr/base.js';

export interface PLIFOptions extends ChargeFireResetOptions {
  /** Initial τ (> 1); w starts at −ln(τ − 1) so that 1/τ = sigmoid(w). Default 2 (w = 0). */
  initTau?: number;
  /** Default true (as SpikingJelly's ParametricLIFNode). */
  decayInput?: boolean;
  /** One w per neuron instead of one per layer. Default false. */
  perNeuron?: boolean;
}

export const PLIF_OPTIONS = {
  ...CFR_OPTIONS,
  initTau: { type: 'number', default: 2, check: (v: number) => v > 1, want: 'a number > 1', doc: 'initial τ; w starts at −ln(τ − 1) so that 1/τ = sigmoid(w)' },
  decayInput: { type: 'boolean', default: true },
  perNeuron: { type: 'boolean', default: false, doc: 'one w per neuron instead of one per layer' },
} as const satisfies OptionSpec;

/**
 * Parametric LIF (Fang et al. 2021): the charge–fire–reset LIF whose time
 * constant is learned through 1/τ = sigmoid(w), w a parameter.
 */
export class PLIF extends ChargeFireResetNeuron {
  readonly initTau: number;
  readonly decayInput: boolean;
  readonly perNeuron: boolean;

  constructor(features: number[] | number, options: PLIFOptions = {}) {
    const { initTau, decayInput, perNeuron, ...c } = readOptions(PLIF_OPTIONS, options as Record<string, unknown>, 'PLIF');
    super(features, c);
    this.initTau = initTau;
    this.decayInput = decayInput;
    this.perNeuron = perNeuron;
    this.addParameter('w', full([perNeuron ? this.numFeatures : 1], -Math.log(initTau - 1)));
  }

  get kind(): string {
    return 'PLIF';
  }

  protected decay(_be: Backend): Tensor {
    return plifDecay(this.getParameter('w')!);
  }

  protected get inputLeak(): boolean {
    return this.decayInput;
  }

  override describe(): Record<string, unknown> {
    return { ...super.describe(), initTau: this.initTau, decayInput: this.decayInput, perNeuron: this.perNeuron };
  }
}
