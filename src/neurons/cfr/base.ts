import type { Backend } from '../../backend/backend.js';
import { getBackend } from '../../backend/registry.js';
import { noGrad } from '../../autograd/tape.js';
import { ResetMode } from '../../backend/kernels/neuron.js';
import { type ScanResult } from '../../ops/neuron.js';
import { lifScan, type LifSettings } from '../lif/scan.js';
import { zeros } from '../../tensor/create.js';
import type { Tensor } from '../../tensor/tensor.js';
import { RESET_ALIASES, type ResetKind } from '../lif/leaky-base.js';
import type { OptionSpec, OptionValues } from '../../registry/options.js';
import { surrogateOption } from '../options.js';
import { bindRule, ScanNeuron, type RuleBinding } from '../scan-neuron.js';
import { lifRule } from '../lif/rule.js';
import { sigmoid, surrogateCode, type Surrogate, type SurrogateLike } from '../surrogate.js';
import { storageCopy } from '../../ops/util.js';
import type { NeuronStepper } from '../step/stepper.js';
import { lifStepper } from '../lif/stepper.js';

/** Options of the SpikingJelly-style charge–fire–reset neurons (IF, LIF node, PLIF). */
export interface ChargeFireResetOptions {
  /** Default 1 (number or one per neuron). */
  threshold?: number | number[];
  /** Membrane value after a hard reset and the leak's resting point. Default 0. */
  vReset?: number;
  /** 'zero' = hard reset to vReset (default, alias 'hard'), 'subtract' = soft (alias 'soft'), 'none'. */
  reset?: ResetKind | 'hard' | 'soft';
  /** Default false, as in SpikingJelly (the reset carries gradient). */
  detachReset?: boolean;
  /** Default true, as in SpikingJelly: a spike when h ≥ θ (heaviside(0) = 1); false: only when h > θ (snnTorch, NIR). */
  fireAtThreshold?: boolean;
  /** Default sigmoid({ slope: 4 }), SpikingJelly's default surrogate. */
  surrogate?: SurrogateLike;
  /** Test-only smooth forward (see LeakyOptionsBase). */
  smoothSpikes?: boolean;
}

/** Options of the SpikingJelly-style charge–fire–reset neurons (IF, LIFNode, PLIF); defaults follow SpikingJelly. */
export const CFR_OPTIONS = {
  threshold: { type: 'numbers', default: 1, doc: 'firing threshold θ (per layer or per neuron)' },
  vReset: { type: 'number', default: 0, doc: 'membrane after a hard reset, and the resting point of the leak' },
  reset: { type: 'choice', values: ['zero', 'subtract', 'none'] as const, default: 'zero', aliases: RESET_ALIASES, doc: "'zero' = hard reset to vReset (alias 'hard'), 'subtract' = soft ('soft'), 'none'" },
  detachReset: { type: 'boolean', default: false, doc: 'no gradient through the reset (SpikingJelly default: attached)' },
  fireAtThreshold: { type: 'boolean', default: true, doc: "spike when h ≥ θ, SpikingJelly's heaviside with H(0) = 1 (false: only when h > θ, as snnTorch and NIR)" },
  surrogate: surrogateOption(() => sigmoid({ slope: 4 })),
  smoothSpikes: { type: 'boolean', default: false, doc: 'test only: smooth forward for finite-difference checks' },
} as const satisfies OptionSpec;

export type CfrCommon = OptionValues<typeof CFR_OPTIONS>;

type State = { v: Tensor };

/**
 * Charge–fire–reset neurons with same-step reset (semantics.md §1, SpikingJelly form):
 * h[t] = vReset + β·(v[t-1] − vReset) + γ·x[t], s[t] = H(h[t] − θ), then hard or soft reset.
 * H(0) = 1 by default (fireAtThreshold): SpikingJelly's heaviside is x ≥ 0, so a membrane
 * that lands exactly on θ fires, which integer inputs (spike counts) make common.
 * Subclasses give β (and whether the input is scaled by 1 − β = 1/τ).
 */
export abstract class ChargeFireResetNeuron extends ScanNeuron<State> {
  readonly cfr: CfrCommon;

  constructor(features: number[] | number, c: CfrCommon) {
    super(features);
    this.cfr = c;
    if (typeof c.threshold !== 'number') this.settingTensor('threshold', c.threshold);
  }

  /** β tensor for the scan (a setting or a function of a parameter). */
  protected abstract decay(be: Backend): Tensor;
  /** γ = 1 − β (input decays with the membrane) or γ = 1. */
  protected abstract get inputLeak(): boolean;

  /** β of the charge (1 − 1/τ; 1 for IF), read without recording (PLIF's is a function of its parameter). */
  override onlineTraceDecay(): number | string {
    const d = noGrad(() => this.decay(getBackend()));
    if (d.size !== 1) return `${this.kind} has one decay per neuron; OTTT's trace needs one decay per layer`;
    return d.data[0]!;
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    const v = zeros(stepShape, { backend });
    if (this.cfr.vReset !== 0) backend.fill(v.storage, this.cfr.vReset);
    return { v };
  }

  protected settings(): LifSettings {
    const c = this.cfr;
    return {
      resetMode: c.reset === 'none' ? ResetMode.none : c.reset === 'subtract' ? ResetMode.subtract : ResetMode.zero,
      delayedReset: false,
      detachReset: c.detachReset,
      inputLeak: this.inputLeak,
      vReset: c.vReset,
      fireAtThreshold: c.fireAtThreshold,
      surrogate: surrogateCode(c.surrogate, c.smoothSpikes),
    };
  }

  override stepRule(be: Backend): RuleBinding<State> {
    const { surrogate, fireAtThreshold, ...k } = this.settings();
    return bindRule(lifRule, k, surrogate, [this.decay(be), this.settingTensor('threshold', this.cfr.threshold, be)], { fireAtThreshold });
  }

  protected override makeStepper(be: Backend, batch: number, init: State): NeuronStepper {
    const p = { beta: storageCopy(be, this.decay(be)), threshold: storageCopy(be, this.settingTensor('threshold', this.cfr.threshold, be)), recV: null, recW: null };
    return lifStepper(be, this.kind, this.settings(), p, batch, this.numFeatures, init.v.storage);
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const be = x.backend;
    const r = lifScan(x, { v: st.v, s: null }, { beta: this.decay(be), threshold: this.settingTensor('threshold', this.cfr.threshold, be) }, this.settings());
    return { spikes: r.spikes, membrane: r.membrane, state: { v: r.state.v } };
  }

  override describe(): Record<string, unknown> {
    const c = this.cfr;
    return {
      features: [...this.features],
      threshold: c.threshold,
      vReset: c.vReset,
      reset: c.reset,
      detachReset: c.detachReset,
      fireAtThreshold: c.fireAtThreshold,
      surrogate: { name: c.surrogate.name, ...c.surrogate.params },
      ...(c.smoothSpikes ? { smoothSpikes: true } : {}),
    };
  }
}
