import type { Backend } from '../../backend/backend.js';
import { type ScanResult } from '../../ops/neuron.js';
import { lifScan } from '../lif/scan.js';
import { lifStepper } from '../lif/stepper.js';
import { storageCopy } from '../../ops/util.js';
import type { NeuronStepper } from '../step/stepper.js';
import { rleakyRule } from './rule.js';
import { bindRule, type RuleBinding } from '../scan-neuron.js';
import { uniform, zeros } from '../../tensor/create.js';
import type { Rng } from '../../tensor/rng.js';
import type { Tensor } from '../../tensor/tensor.js';
import { readOptions, type OptionSpec } from '../../registry/options.js';
import { describeLeaky, LEAKY_OPTIONS, LeakyBase, lifSettings, type LeakyOptionsBase } from '../lif/leaky-base.js';

export interface RLeakyOptions extends LeakyOptionsBase {
  /** true: full recurrent weights W_rec [F, F] (snnTorch default); false: one-to-one V. */
  allToAll?: boolean;
  /** One-to-one recurrent weight V (number or one per neuron). Default 1. */
  V?: number | number[];
  /** Train V / W_rec. Default true (snnTorch learn_recurrent). */
  learnRecurrent?: boolean;
}

export const RLEAKY_OPTIONS = {
  ...LEAKY_OPTIONS,
  allToAll: { type: 'boolean', default: true, doc: 'full recurrent weights W_rec [F, F] (snnTorch default) or one-to-one V' },
  V: { type: 'numbers', default: 1, doc: 'one-to-one recurrent weight (per layer or per neuron)' },
  learnRecurrent: { type: 'boolean', default: true, doc: 'train V / W_rec' },
} as const satisfies OptionSpec;

type State = { v: Tensor; s: Tensor };

/**
 * Recurrent leaky neuron (snnTorch RLeaky): the previous step's spikes feed back,
 * mem[t] = β·mem[t-1] + I[t] + V·spk[t-1] − R[t]·θ (one-to-one) or + W_rec·spk[t-1]
 * (all-to-all, one GEMM per step inside the fused op). Zero reset zeroes the
 * charged membrane, (1 − R)·(β·mem + I + V·spk), unlike Leaky.
 */
export class RLeaky extends LeakyBase<State> {
  readonly allToAll: boolean;
  readonly learnRecurrent: boolean;
  private readonly V: number | number[];

  constructor(features: number[] | number, options: RLeakyOptions = {}, rng?: Rng) {
    const { allToAll, V, learnRecurrent, ...c } = readOptions(RLEAKY_OPTIONS, options as Record<string, unknown>, 'RLeaky');
    super(features, c);
    this.allToAll = allToAll;
    this.learnRecurrent = learnRecurrent;
    this.V = V;
    const F = this.numFeatures;
    if (allToAll) {
      // nn.Linear's default range U(−1/√F, 1/√F), drawn from the given seed.
      if (!rng) throw new Error('RLeaky: allToAll needs an Rng to initialise W_rec');
      const bound = 1 / Math.sqrt(F);
      const W = uniform([F, F], rng, -bound, bound);
      if (learnRecurrent) this.addParameter('recurrentWeight', W);
      else this.addBuffer('recurrentWeight', W);
    } else if (learnRecurrent) this.addParameter('V', this.paramInit('V', V));
    else if (typeof V !== 'number') this.settingTensor('V', V);
  }

  get kind(): string {
    return 'RLeaky';
  }

  protected initialState(stepShape: readonly number[], backend: Backend): State {
    return { v: zeros(stepShape, { backend }), s: zeros(stepShape, { backend, binary: true }) };
  }

  /** One-to-one recurrence only: the all-to-all product W_rec·s is not elementwise. */
  override stepRule(be: Backend): RuleBinding<State> | null {
    if (this.allToAll) return null;
    const V = this.learnRecurrent ? this.getParameter('V')! : this.settingTensor('V', this.V, be);
    const { surrogate, fireAtThreshold, ...k } = lifSettings(this.opts, true);
    return bindRule(rleakyRule, k, surrogate, [this.betaTensor(be), this.thresholdTensor(be), V], { fireAtThreshold });
  }

  /** Both recurrences: the reference kernel runs W_rec·s[t−1] per step, as the fused scan does. */
  protected override makeStepper(be: Backend, batch: number, init: State): NeuronStepper {
    const recW = this.allToAll ? (this.getParameter('recurrentWeight') ?? this.getBuffer('recurrentWeight'))! : null;
    const recV = this.allToAll ? null : this.learnRecurrent ? this.getParameter('V')! : this.settingTensor('V', this.V, be);
    const p = {
      beta: storageCopy(be, this.betaTensor(be)),
      threshold: storageCopy(be, this.thresholdTensor(be)),
      recV: recV ? storageCopy(be, recV) : null,
      recW: recW ? storageCopy(be, recW) : null,
    };
    return lifStepper(be, this.kind, lifSettings(this.opts, true), p, batch, this.numFeatures, init.v.storage);
  }

  protected scan(x: Tensor, st: State): ScanResult<State> {
    const be = x.backend;
    const recW = this.allToAll ? (this.getParameter('recurrentWeight') ?? this.getBuffer('recurrentWeight'))! : null;
    const recV = this.allToAll ? null : this.learnRecurrent ? this.getParameter('V')! : this.settingTensor('V', this.V, be);
    const r = lifScan(x, st, { beta: this.betaTensor(be), threshold: this.thresholdTensor(be), recV, recW }, lifSettings(this.opts, true));
    return { spikes: r.spikes, membrane: r.membrane, state: { v: r.state.v, s: r.state.s! } };
  }

  override describe(): Record<string, unknown> {
    return { features: [...this.features], ...describeLeaky(this.opts), allToAll: this.allToAll, learnRecurrent: this.learnRecurrent, ...(this.allToAll ? {} : { V: this.V }) };
  }
}
