import type { Backend } from '../../backend/backend.js';
import { type ScanResult } from '../../ops/neuron.js';
import { lifScan } from './scan.js';
import { zeros } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readOptions } from '../../registry/options.js';
import { bindRule, type RuleBinding } from '../scan-neuron.js';
import { lifRule } from './rule.js';
import { LEAKY_OPTIONS, LeakyBase, lifSettings, type LeakyOptionsBase } from './leaky-base.js';
import { storageCopy } from '../../ops/util.js';
import type { NeuronStepper } from '../step/stepper.js';
import { lifStepper } from './stepper.js';

export type LIFOptions = LeakyOptionsBase;

export const LIF_OPTIONS = LEAKY_OPTIONS;

type State = { v: Tensor };

/**
 * Leaky integrate-and-fire with snnTorch "Leaky" semantics:
 * mem[t] = β·mem[t-1] + I[t] − R[t]·θ with the delayed reset R[t] = H(mem[t-1] − θ)
 * by default; `reset: 'zero' | 'none'`; `resetDelay: false` for snnTorch's same-step reset
 * (reset_delay=False, with its (spk − R) correction), `sameStepReset: 'textbook'` for the plain one.
 * Defaults as snnTorch 0.9: θ = 1, arctan surrogate (α = 2), detached reset.
 */
export class LIF extends LeakyBase<State> {
  constructor(features: number[] | number, options: LIFOptions = {}) {
    super(features, readOptions(LIF_OPTIONS, options as Record<string, unknown>, 'LIF'));
  }

  get kind(): string {
    return 'LIF';
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    return { v: zeros(stepShape, { backend }) };
  }

  override stepRule(be: Backend): RuleBinding<State> {
    const { surrogate, fireAtThreshold, ...k } = lifSettings(this.opts, false);
    return bindRule(lifRule, k, surrogate, [this.betaTensor(be), this.thresholdTensor(be)], { fireAtThreshold });
  }

  protected override makeStepper(be: Backend, batch: number, init: State): NeuronStepper {
    const p = { beta: storageCopy(be, this.betaTensor(be)), threshold: storageCopy(be, this.thresholdTensor(be)), recV: null, recW: null };
    return lifStepper(be, this.kind, lifSettings(this.opts, false), p, batch, this.numFeatures, init.v.storage);
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const be = x.backend;
    const r = lifScan(x, { v: st.v, s: null }, { beta: this.betaTensor(be), threshold: this.thresholdTensor(be) }, lifSettings(this.opts, false));
    return { spikes: r.spikes, membrane: r.membrane, state: { v: r.state.v } };
  }
}
