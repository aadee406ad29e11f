import type { Backend } from '../../backend/backend.js';
import type { SurrogateCode } from '../../backend/kernels/neuron.js';
import { clampUnit } from '../../ops/neuron.js';
import { isPositive, isUnit, readOptions, type OptionInput, type OptionSpec, type OptionValues } from '../../registry/options.js';
import type { ScanResult } from '../../ops/neuron.js';
import type { Tensor } from '../../tensor/tensor.js';
import { surrogateOption } from '../options.js';
import type { StateDict } from '../scan-neuron.js';
import { RuleNeuron } from '../step/rule-neuron.js';
import { rectangle, surrogateCode } from '../surrogate.js';
import { multiLevelRule, type MultiLevelRuleSettings } from './rule.js';
import { multiLevelScan } from './scan.js';

/** The options of a multi-level layer (camelCase; configs write them snake_case). */
export const MULTILEVEL_OPTIONS = {
  levels: { type: 'number', integer: true, default: 4, check: (v: number) => v >= 1, want: 'an integer >= 1', doc: 'D: spike counts 0..D per step' },
  output: { type: 'choice', values: ['normalized', 'count'] as const, default: 'normalized', doc: "'normalized': s = c/D in {0, 1/D, ..., 1}; 'count': s = c" },
  beta: { type: 'numbers', default: 0.5, check: isUnit, want: 'a number in [0, 1]', doc: 'membrane decay β (per layer or per neuron); 0.5 is τ = 2' },
  threshold: { type: 'numbers', default: 1, check: isPositive, want: 'a number > 0', doc: 'θ: the charge of one spike count' },
  learnBeta: { type: 'boolean', default: false, doc: 'train β (clamped to [0, 1] as for LIF)' },
  learnThreshold: { type: 'boolean', default: false, doc: 'train θ' },
  reset: { type: 'choice', values: ['subtract', 'zero'] as const, default: 'subtract', aliases: { soft: 'subtract', hard: 'zero' }, doc: "'subtract' (soft, v' = h − c·θ) or 'zero' (hard, v' = v_reset after any spike)" },
  vReset: { type: 'number', default: 0, doc: 'target of the hard reset' },
  detachReset: { type: 'boolean', default: true, doc: 'no gradient through the reset term' },
  surrogate: surrogateOption(() => rectangle({ width: 1 })),
  smoothSpikes: { type: 'boolean', default: false, doc: 'test only: each count step becomes the surrogate primitive' },
} as const satisfies OptionSpec;

export type MultiLevelOptions = OptionInput<typeof MULTILEVEL_OPTIONS>;
type Values = OptionValues<typeof MULTILEVEL_OPTIONS>;

/**
 * Multi-level integer-spike LIF (the I-LIF of SpikeYOLO, Luo et al. ECCV 2024,
 * and the quantized spiking neurons of QSD-Transformer, Qiu et al. ICLR 2025):
 * each step emits an integer count c = clamp(round(h/θ), 0, D) of the charge
 * h = β·v + x, normalized to c/D by default, and the backward passes a
 * straight-through gradient on the clamp range (see ./rule.ts). Spikes are
 * graded, so downstream layers see them as real values (not binary events)
 * unless D = 1. It runs its fused scan (./scan.ts, ./kernel.ts; native and
 * wasm kernels behind MULTILEVEL_SCAN), held bit for bit to the rule.
 */
export class MultiLevel extends RuleNeuron<MultiLevelRuleSettings> {
  protected readonly rule = multiLevelRule;
  private readonly o: Values;

  constructor(features: number[] | number, options: MultiLevelOptions = {}) {
    const o = readOptions(MULTILEVEL_OPTIONS, options, 'MultiLevel');
    super(features);
    this.o = o;
    if (o.learnBeta) this.addParameter('beta', this.paramInit('beta', o.beta));
    else if (typeof o.beta !== 'number') this.settingTensor('beta', o.beta); // checks a per-neuron list's length now
    if (o.learnThreshold) this.addParameter('threshold', this.paramInit('threshold', o.threshold));
    else if (typeof o.threshold !== 'number') this.settingTensor('threshold', o.threshold);
  }

  get kind(): string {
    return 'MultiLevel';
  }

  /** D, the largest count per step. */
  get levels(): number {
    return this.o.levels;
  }

  protected ruleSettings(): MultiLevelRuleSettings {
    const o = this.o;
    return { levels: o.levels, normalized: o.output === 'normalized', hardReset: o.reset === 'zero', vReset: o.vReset, detachReset: o.detachReset };
  }

  protected surrogateCode(): SurrogateCode {
    return surrogateCode(this.o.surrogate, this.o.smoothSpikes);
  }

  protected ruleParams(be: Backend): Tensor[] {
    const o = this.o;
    const beta = o.learnBeta ? clampUnit(this.getParameter('beta')!) : this.settingTensor('beta', o.beta, be);
    const thr = o.learnThreshold ? this.getParameter('threshold')! : this.settingTensor('threshold', o.threshold, be);
    return [beta, thr];
  }

  /** The fused scan (./scan.ts: one tape node, the backend's kernel where it has one); `useStepRule` runs the rule instead. */
  protected override scan(x: Tensor, st: StateDict): ScanResult<StateDict> {
    const [beta, threshold] = this.ruleParams(x.backend);
    const r = multiLevelScan(x, st['v']!, beta!, threshold!, { ...this.ruleSettings(), surrogate: this.surrogateCode() });
    return { spikes: r.spikes, membrane: r.membrane, state: { v: r.state.v } };
  }

  override describe(): Record<string, unknown> {
    const { surrogate, smoothSpikes, ...rest } = this.o;
    return { features: [...this.features], ...rest, surrogate: { name: surrogate.name, ...surrogate.params }, ...(smoothSpikes ? { smoothSpikes } : {}) };
  }
}
