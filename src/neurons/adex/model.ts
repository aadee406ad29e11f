import type { Backend } from '../../backend/backend.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import { ConfigError } from '../../errors.js';
import { isPositive, readOptions, type OptionInput, type OptionSpec, type OptionValues } from '../../registry/options.js';
import type { Tensor } from '../../tensor/tensor.js';
import { surrogateOption } from '../options.js';
import { RuleNeuron } from '../step/rule-neuron.js';
import { fastSigmoid, surrogateCode } from '../surrogate.js';
import { adexRule, type AdExRuleSettings } from './rule.js';

const positive = { check: isPositive, want: 'a number > 0' } as const;

/**
 * The options of an AdEx layer (camelCase; configs write them snake_case).
 * Defaults: the cortical pyramidal cell of Brette & Gerstner (2005, Table 1),
 * which fires tonically with spike-frequency adaptation under a step current
 * above about 0.6 nA.
 */
export const ADEX_OPTIONS = {
  cm: { type: 'number', default: 281, ...positive, doc: 'membrane capacitance C (pF)' },
  gL: { type: 'number', default: 30, ...positive, doc: 'leak conductance gL (nS); τm = C/gL = 9.37 ms' },
  eL: { type: 'number', default: -70.6, doc: 'leak reversal potential E_L (mV), also the resting state' },
  vT: { type: 'number', default: -50.4, doc: 'threshold potential V_T (mV)' },
  deltaT: { type: 'number', default: 2, ...positive, doc: 'slope factor Δ_T (mV)' },
  tauW: { type: 'number', default: 144, ...positive, doc: 'adaptation time constant τ_w (ms)' },
  a: { type: 'numbers', default: 4, doc: 'subthreshold adaptation a (nS), per layer or per neuron' },
  b: { type: 'numbers', default: 80.5, doc: 'spike-triggered adaptation b (pA), per layer or per neuron' },
  learnA: { type: 'boolean', default: false, doc: 'train a' },
  learnB: { type: 'boolean', default: false, doc: 'train b' },
  vReset: { type: 'number', default: -70.6, doc: 'reset potential V_r (mV)' },
  vPeak: { type: 'number', default: 20, doc: 'spike cut-off V_peak (mV)' },
  dt: { type: 'number', default: 1, ...positive, doc: 'Euler step (ms)' },
  detachReset: { type: 'boolean', default: true, doc: 'no gradient through the spike in the reset and the jump of w' },
  surrogate: surrogateOption(() => fastSigmoid({ slope: 0.1 })),
  smoothSpikes: { type: 'boolean', default: false, doc: 'test only: spikes become the surrogate primitive' },
} as const satisfies OptionSpec;

export type AdExOptions = OptionInput<typeof ADEX_OPTIONS>;
type Values = OptionValues<typeof ADEX_OPTIONS>;

/** float32's largest value is 3.4e38; the upswing of one step must stay far below it. */
const MAX_UPSWING = 1e30;

/**
 * Adaptive exponential integrate-and-fire neuron (Brette & Gerstner 2005),
 * forward Euler with step dt (ms). The input is the injected current I in pA
 * (after a Linear layer, the weights carry the pA scale); state [v (mV),
 * w (pA)] starts at rest, v = E_L and w = 0. Spikes are 0/1: a crossing of
 * V_peak resets v to V_r and adds b to w. The surrogate acts on v − V_peak in
 * mV, so its default is flatter than the LIF one (fast sigmoid, slope 0.1, as
 * for Izhikevich).
 */
export class AdEx extends RuleNeuron<AdExRuleSettings> {
  protected readonly rule = adexRule;
  private readonly o: Values;

  constructor(features: number[] | number, options: AdExOptions = {}) {
    const o = readOptions(ADEX_OPTIONS, options, 'AdEx');
    if (!(o.vPeak > o.vT)) throw new ConfigError(`AdEx: option 'vPeak' (${o.vPeak} mV) must be above 'vT' (${o.vT} mV)`);
    if (!(o.vReset < o.vPeak)) throw new ConfigError(`AdEx: option 'vReset' (${o.vReset} mV) must be below 'vPeak' (${o.vPeak} mV)`);
    // The cap v ≤ V_peak inside the exponential bounds one step's upswing; refuse settings where even that overflows float32.
    const upswing = (o.dt / o.cm) * o.gL * o.deltaT * Math.exp((o.vPeak - o.vT) / o.deltaT);
    if (!(upswing < MAX_UPSWING))
      throw new ConfigError(`AdEx: the spike upswing dt/C·gL·Δ_T·exp((vPeak − vT)/Δ_T) = ${upswing.toExponential(2)} mV per step would overflow float32; lower 'vPeak' or raise 'deltaT'`);
    super(features);
    this.o = o;
    if (o.learnA) this.addParameter('a', this.paramInit('a', o.a));
    else if (typeof o.a !== 'number') this.settingTensor('a', o.a); // checks a per-neuron list's length now
    if (o.learnB) this.addParameter('b', this.paramInit('b', o.b));
    else if (typeof o.b !== 'number') this.settingTensor('b', o.b);
  }

  get kind(): string {
    return 'AdEx';
  }

  protected override initialValue(name: string): number {
    return name === 'v' ? this.o.eL : 0;
  }

  protected ruleSettings(): AdExRuleSettings {
    const { cm, gL, eL, deltaT, vT, tauW, vReset, vPeak, dt, detachReset } = this.o;
    return { cm, gL, eL, deltaT, vT, tauW, vReset, vPeak, dt, detachReset };
  }

  protected surrogateCode(): SurrogateCode {
    return surrogateCode(this.o.surrogate, this.o.smoothSpikes);
  }

  protected ruleParams(be: Backend): Tensor[] {
    const o = this.o;
    return [o.learnA ? this.getParameter('a')! : this.settingTensor('a', o.a, be), o.learnB ? this.getParameter('b')! : this.settingTensor('b', o.b, be)];
  }

  override describe(): Record<string, unknown> {
    const { surrogate, smoothSpikes, ...rest } = this.o;
    return { features: [...this.features], ...rest, surrogate: { name: surrogate.name, ...surrogate.params }, ...(smoothSpikes ? { smoothSpikes } : {}) };
  }
}
