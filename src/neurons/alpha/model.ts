import type { Backend } from '../../backend/backend.js';
import { ResetMode } from '../../backend/kernels/neuron.js';
import { ConfigError } from '../../errors.js';
import { type ScanResult } from '../../ops/neuron.js';
import { alphaScan } from './scan.js';
import { zeros } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readOptions, type OptionSpec, type OptionValues } from '../../registry/options.js';
import { surrogateOption } from '../options.js';
import { bindRule, ScanNeuron, type RuleBinding } from '../scan-neuron.js';
import { add, scale } from '../../ops/elementwise.js';
import { alphaRule } from './rule.js';
import { arctan, surrogateCode, type Surrogate, type SurrogateLike } from '../surrogate.js';

export interface AlphaOptions {
  /** Excitatory decay α, 0 < β < α < 1. Default 0.9. */
  alpha?: number;
  /** Inhibitory decay β. Default 0.8. */
  beta?: number;
  threshold?: number | number[];
  learnThreshold?: boolean;
  /** 'zero' (default, delayed) or 'none'. */
  reset?: 'zero' | 'none';
  detachReset?: boolean;
  surrogate?: SurrogateLike;
  smoothSpikes?: boolean;
}

const openUnit = (v: number): boolean => v > 0 && v < 1;

export const ALPHA_OPTIONS = {
  alpha: { type: 'number', default: 0.9, check: openUnit, want: 'a number in (0, 1)', doc: 'excitatory decay α (0 < β < α < 1)' },
  beta: { type: 'number', default: 0.8, check: openUnit, want: 'a number in (0, 1)', doc: 'inhibitory decay β' },
  threshold: { type: 'numbers', default: 1 },
  learnThreshold: { type: 'boolean', default: false },
  reset: { type: 'choice', values: ['zero', 'none'] as const, default: 'zero', aliases: { hard: 'zero' }, doc: "'zero' (delayed) or 'none'" },
  detachReset: { type: 'boolean', default: true },
  // snnTorch's default spike_grad, as for Leaky.
  surrogate: surrogateOption(() => arctan()),
  smoothSpikes: { type: 'boolean', default: false },
} as const satisfies OptionSpec;

type State = { e: Tensor; i: Tensor };

/**
 * snnTorch Alpha neuron: e = α·e + I, i = β·i − I, mem = τα·(e + i) with
 * τα = ln α/(ln β − ln α) + 1 (an alpha-shaped PSP); delayed zero reset scales all three.
 */
export class Alpha extends ScanNeuron<State> {
  private readonly o: OptionValues<typeof ALPHA_OPTIONS>;

  constructor(features: number[] | number, options: AlphaOptions = {}) {
    const o = readOptions(ALPHA_OPTIONS, options as Record<string, unknown>, 'Alpha');
    if (!(o.beta < o.alpha)) throw new ConfigError(`Alpha: needs beta < alpha (got alpha ${o.alpha}, beta ${o.beta})`);
    super(features);
    this.o = o;
    if (o.learnThreshold) this.addParameter('threshold', this.paramInit('threshold', o.threshold));
    else if (typeof o.threshold !== 'number') this.settingTensor('threshold', o.threshold);
  }

  get kind(): string {
    return 'Alpha';
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    return { e: zeros(stepShape, { backend }), i: zeros(stepShape, { backend }) };
  }

  /** The rule keeps the membrane as a state variable, starting at τα·(e + i) as the fused scan does. */
  override stepRule(be: Backend): RuleBinding<State> {
    const o = this.o;
    const thr = o.learnThreshold ? this.getParameter('threshold')! : this.settingTensor('threshold', o.threshold, be);
    const tau = Math.log(o.alpha) / (Math.log(o.beta) - Math.log(o.alpha)) + 1;
    const k = { alpha: o.alpha, beta: o.beta, tau, resetMode: o.reset === 'zero' ? ResetMode.zero : ResetMode.none, detachReset: o.detachReset };
    return bindRule(alphaRule, k, surrogateCode(o.surrogate, o.smoothSpikes), [thr], {
      toRule: (st) => [st.e, st.i, scale(add(st.e, st.i), tau)],
      fromRule: ([e, i]) => ({ e: e!, i: i! }),
    });
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const o = this.o, be = x.backend;
    const thr = o.learnThreshold ? this.getParameter('threshold')! : this.settingTensor('threshold', o.threshold, be);
    return alphaScan(x, st, thr, {
      alpha: o.alpha,
      beta: o.beta,
      resetMode: o.reset === 'zero' ? ResetMode.zero : ResetMode.none,
      detachReset: o.detachReset,
      surrogate: surrogateCode(o.surrogate, o.smoothSpikes),
    });
  }

  override describe(): Record<string, unknown> {
    const { surrogate, smoothSpikes, ...rest } = this.o;
    return { features: [...this.features], ...rest, surrogate: { name: surrogate.name, ...surrogate.params }, ...(smoothSpikes ? { smoothSpikes } : {}) };
  }
}
