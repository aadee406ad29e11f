import type { Backend } from '../../backend/backend.js';
import { clampUnit, type ScanResult } from '../../ops/neuron.js';
import { synapticScan } from './scan.js';
import { synapticRule } from './rule.js';
import { bindRule, type RuleBinding } from '../scan-neuron.js';
import { zeros } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isUnit, readOptions, type OptionSpec } from '../../registry/options.js';
import { describeLeaky, LEAKY_OPTIONS, LeakyBase, lifSettings, type LeakyOptionsBase } from '../lif/leaky-base.js';

export interface SynapticOptions extends LeakyOptionsBase {
  /** Synaptic current decay α in [0, 1] (number or one per neuron). Default 0.9. */
  alpha?: number | number[];
  learnAlpha?: boolean;
}

export const SYNAPTIC_OPTIONS = {
  ...LEAKY_OPTIONS,
  alpha: { type: 'numbers', default: 0.9, check: isUnit, want: 'a number in [0, 1]', doc: 'synaptic current decay α (per layer or per neuron)' },
  learnAlpha: { type: 'boolean', default: false },
} as const satisfies OptionSpec;

type State = { syn: Tensor; v: Tensor };

/**
 * Current-based LIF (snnTorch Synaptic, CubaLIF): syn[t] = α·syn[t-1] + I[t],
 * mem[t] = β·mem[t-1] + syn[t] − R[t]·θ; the synaptic current is never reset,
 * zero reset gives mem[t] = (β·mem[t-1] + syn[t])·(1 − R[t]).
 */
export class Synaptic extends LeakyBase<State> {
  private readonly alpha: number | number[];
  readonly learnAlpha: boolean;

  constructor(features: number[] | number, options: SynapticOptions = {}) {
    const { alpha, learnAlpha, ...c } = readOptions(SYNAPTIC_OPTIONS, options as Record<string, unknown>, 'Synaptic');
    super(features, c);
    this.alpha = alpha;
    this.learnAlpha = learnAlpha;
    if (learnAlpha) this.addParameter('alpha', this.paramInit('alpha', alpha));
    else if (typeof alpha !== 'number') this.settingTensor('alpha', alpha);
  }

  get kind(): string {
    return 'Synaptic';
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    return { syn: zeros(stepShape, { backend }), v: zeros(stepShape, { backend }) };
  }

  /** Two decays (α of the current, β of the membrane): the trace would be a double exponential. */
  override onlineTraceDecay(): string {
    return 'Synaptic filters its input through a decaying current before the membrane (α, then β): OTTT\'s one-decay trace does not describe it';
  }

  private alphaTensor(be: Backend): Tensor {
    return this.learnAlpha ? clampUnit(this.getParameter('alpha')!) : this.settingTensor('alpha', this.alpha, be);
  }

  override stepRule(be: Backend): RuleBinding<State> {
    const { surrogate, fireAtThreshold, ...k } = lifSettings(this.opts, true);
    return bindRule(synapticRule, k, surrogate, [this.alphaTensor(be), this.betaTensor(be), this.thresholdTensor(be)], { fireAtThreshold });
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const be = x.backend;
    const alpha = this.alphaTensor(be);
    return synapticScan(x, st, alpha, { beta: this.betaTensor(be), threshold: this.thresholdTensor(be) }, lifSettings(this.opts, true));
  }

  override describe(): Record<string, unknown> {
    return { features: [...this.features], alpha: this.alpha, learnAlpha: this.learnAlpha, ...describeLeaky(this.opts) };
  }
}
