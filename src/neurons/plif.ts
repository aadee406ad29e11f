import type { Backend } from '../backend/backend.js';
import { plifDecay } from '../ops/neuron.js';
import { full } from '../tensor/create.js';
import type { Tensor } from '../tensor/tensor.js';
import { ChargeFireResetNeuron, readCfrCommon, type ChargeFireResetOptions } from './charge-fire-reset.js';
import { OptionReader } from './options.js';

export interface PLIFOptions extends ChargeFireResetOptions {
  /** Initial τ (> 1); w starts at −ln(τ − 1) so that 1/τ = sigmoid(w). Default 2 (w = 0). */
  initTau?: number;
  /** Default true (as SpikingJelly's ParametricLIFNode). */
  decayInput?: boolean;
  /** One w per neuron instead of one per layer. Default false. */
  perNeuron?: boolean;
}

/**
 * Parametric LIF (Fang et al. 2021): the charge–fire–reset LIF whose time
 * constant is learned through 1/τ = sigmoid(w), w a parameter.
 */
export class PLIF extends ChargeFireResetNeuron {
  readonly initTau: number;
  readonly decayInput: boolean;
  readonly perNeuron: boolean;

  constructor(features: number[] | number, options: PLIFOptions = {}) {
    const r = new OptionReader(options as Record<string, unknown>, 'PLIF');
    const c = readCfrCommon(r);
    const initTau = r.number('initTau', 2, (v) => v > 1, 'a number > 1');
    const decayInput = r.bool('decayInput', true);
    const perNeuron = r.bool('perNeuron', false);
    r.done();
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
