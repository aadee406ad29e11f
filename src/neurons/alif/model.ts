import type { Backend } from '../../backend/backend.js';
import { ResetMode } from '../../backend/kernels/neuron.js';
import { clampUnit, type ScanResult } from '../../ops/neuron.js';
import { alifScan } from './scan.js';
import { zeros } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isPositive, isUnit, readOptions, type OptionSpec, type OptionValues } from '../../registry/options.js';
import { surrogateOption } from '../options.js';
import { bindRule, ScanNeuron, type RuleBinding } from '../scan-neuron.js';
import { alifRule, type AlifRuleSettings } from './rule.js';
import { surrogateCode, type Surrogate, type SurrogateLike } from '../surrogate.js';

export interface ALIFOptions {
  /** Membrane decay β (number or per neuron). Default 0.9. */
  beta?: number | number[];
  learnBeta?: boolean;
  /** Baseline threshold θ0. Default 1. */
  threshold?: number | number[];
  learnThreshold?: boolean;
  /** Adaptation time constant in steps (ρ = exp(−1/τa)). Default 200. */
  tauA?: number;
  /** Adaptation strength βa. Default 1.8 (Bellec et al. 2018). */
  betaA?: number;
  /** Same-step reset: 'subtract' (by the adaptive threshold, default) or 'zero'. */
  reset?: 'subtract' | 'zero';
  detachReset?: boolean;
  surrogate?: SurrogateLike;
  smoothSpikes?: boolean;
}

export const ALIF_OPTIONS = {
  beta: { type: 'numbers', default: 0.9, check: isUnit, want: 'a number in [0, 1]', doc: 'membrane decay β' },
  learnBeta: { type: 'boolean', default: false },
  threshold: { type: 'numbers', default: 1, doc: 'baseline threshold θ0' },
  learnThreshold: { type: 'boolean', default: false },
  tauA: { type: 'number', default: 200, check: isPositive, want: 'a number > 0', doc: 'adaptation time constant in steps (ρ = exp(−1/τa))' },
  betaA: { type: 'number', default: 1.8, doc: 'adaptation strength βa (Bellec et al. 2018)' },
  reset: { type: 'choice', values: ['subtract', 'zero'] as const, default: 'subtract', aliases: { soft: 'subtract', hard: 'zero' }, doc: 'same-step reset: subtract the adaptive threshold, or zero' },
  detachReset: { type: 'boolean', default: true },
  surrogate: surrogateOption(),
  smoothSpikes: { type: 'boolean', default: false },
} as const satisfies OptionSpec;

type State = { v: Tensor; a: Tensor; s: Tensor };

/**
 * Adaptive LIF (Bellec et al. 2018): threshold A[t] = θ0 + βa·a[t] with
 * a[t] = ρ·a[t-1] + s[t-1]; fires when β·v[t-1] + x[t] exceeds A[t].
 */
export class ALIF extends ScanNeuron<State> {
  private readonly o: OptionValues<typeof ALIF_OPTIONS>;

  constructor(features: number[] | number, options: ALIFOptions = {}) {
    const o = readOptions(ALIF_OPTIONS, options as Record<string, unknown>, 'ALIF');
    super(features);
    this.o = o;
    if (o.learnBeta) this.addParameter('beta', this.paramInit('beta', o.beta));
    else if (typeof o.beta !== 'number') this.settingTensor('beta', o.beta);
    if (o.learnThreshold) this.addParameter('threshold', this.paramInit('threshold', o.threshold));
    else if (typeof o.threshold !== 'number') this.settingTensor('threshold', o.threshold);
  }

  get kind(): string {
    return 'ALIF';
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    return { v: zeros(stepShape, { backend }), a: zeros(stepShape, { backend }), s: zeros(stepShape, { backend, binary: true }) };
  }

  private paramTensors(be: Backend): [Tensor, Tensor] {
    const o = this.o;
    const beta = o.learnBeta ? clampUnit(this.getParameter('beta')!) : this.settingTensor('beta', o.beta, be);
    const thr = o.learnThreshold ? this.getParameter('threshold')! : this.settingTensor('threshold', o.threshold, be);
    return [beta, thr];
  }

  private ruleSettings(): AlifRuleSettings {
    const o = this.o;
    return { rho: Math.exp(-1 / o.tauA), betaA: o.betaA, resetMode: o.reset === 'subtract' ? ResetMode.subtract : ResetMode.zero, detachReset: o.detachReset };
  }

  override stepRule(be: Backend): RuleBinding<State> {
    return bindRule(alifRule, this.ruleSettings(), surrogateCode(this.o.surrogate, this.o.smoothSpikes), this.paramTensors(be));
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const [beta, thr] = this.paramTensors(x.backend);
    return alifScan(x, st, beta, thr, { ...this.ruleSettings(), surrogate: surrogateCode(this.o.surrogate, this.o.smoothSpikes) });
  }

  override describe(): Record<string, unknown> {
    const { surrogate, smoothSpikes, ...rest } = this.o;
    return { features: [...this.features], ...rest, surrogate: { name: surrogate.name, ...surrogate.params }, ...(smoothSpikes ? { smoothSpikes } : {}) };
  }
}
