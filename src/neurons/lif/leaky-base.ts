import type { Backend } from '../../backend/backend.js';
import { ResetMode } from '../../backend/kernels/neuron.js';
import { clampUnit } from '../../ops/neuron.js';
import { type LifSettings } from './scan.js';
import type { Tensor } from '../../tensor/tensor.js';
import { isUnit, type OptionSpec, type OptionValues } from '../../registry/options.js';
import { surrogateOption } from '../options.js';
import { ScanNeuron, type StateDict } from '../scan-neuron.js';
import { arctan, surrogateCode, type Surrogate, type SurrogateLike } from '../surrogate.js';

export type ResetKind = 'subtract' | 'zero' | 'none';

/**
 * Which same-step reset `resetDelay: false` means (docs/equations.md §1):
 * 'snntorch' (default) is snnTorch's reset_delay=False — R = H(mem[t−1] − θ) still
 * enters the update, the spike is decided on that, then the membrane is corrected
 * by (spk − R)·θ (or the zero rule) with the spike carrying the surrogate gradient;
 * 'textbook' is the plain charge → fire → reset rule (SpikingJelly, NIR).
 */
export type SameStepReset = 'snntorch' | 'textbook';

/** Options shared by the snnTorch-style LIF models (Leaky, RLeaky, Synaptic). */
export interface LeakyOptionsBase {
  /** Membrane decay β in [0, 1]: a number (per layer) or one per neuron. Default 0.9. */
  beta?: number | number[];
  /** Firing threshold θ: a number or one per neuron. Default 1. */
  threshold?: number | number[];
  learnBeta?: boolean;
  learnThreshold?: boolean;
  /** Default 'subtract'. */
  reset?: ResetKind;
  /** true: snnTorch delayed reset (the subtraction shows one step later; default); false: same-step reset. */
  resetDelay?: boolean;
  /** With `resetDelay: false`: 'snntorch' (default, snnTorch's reset_delay=False exactly) or 'textbook'. */
  sameStepReset?: SameStepReset;
  /**
   * true (default): no gradient through the reset term R = H(mem[t−1] − θ), as in
   * snnTorch. With the 'textbook' same-step reset it detaches the spike in the reset.
   */
  detachReset?: boolean;
  /** Default false, as in snnTorch: a spike only when h > θ; true: also at h = θ (SpikingJelly's H(0) = 1). */
  fireAtThreshold?: boolean;
  /** Default arctan({ alpha: 2 }), snnTorch's default. */
  surrogate?: SurrogateLike;
  /** Test-only: spikes become the surrogate's primitive so the scan is smooth (finite-difference checks). */
  smoothSpikes?: boolean;
}

export const RESET_ALIASES: Record<string, ResetKind> = { hard: 'zero', soft: 'subtract' };

/** The option spec shared by the snnTorch-style LIF models (Leaky, RLeaky, Synaptic); defaults follow snnTorch. */
export const LEAKY_OPTIONS = {
  beta: { type: 'numbers', default: 0.9, check: isUnit, want: 'a number in [0, 1]', doc: 'membrane decay β (per layer, or one per neuron)' },
  threshold: { type: 'numbers', default: 1, doc: 'firing threshold θ (per layer, or one per neuron)' },
  learnBeta: { type: 'boolean', default: false },
  learnThreshold: { type: 'boolean', default: false },
  reset: { type: 'choice', values: ['subtract', 'zero', 'none'] as const, default: 'subtract', aliases: RESET_ALIASES, doc: "reset mechanism ('hard' = zero, 'soft' = subtract)" },
  resetDelay: { type: 'boolean', default: true, doc: "snnTorch's delayed reset (true) or the same-step reset" },
  sameStepReset: {
    type: 'choice',
    values: ['snntorch', 'textbook'] as const,
    default: 'snntorch',
    doc: "with resetDelay false: snnTorch's reset_delay=False (R of the previous membrane, then the (spk − R) correction) or the textbook charge-fire-reset rule",
  },
  detachReset: { type: 'boolean', default: true, doc: "no gradient through the reset term (R; the textbook same-step reset's spike)" },
  fireAtThreshold: { type: 'boolean', default: false, doc: "spike also when h = θ (SpikingJelly's H(0) = 1; default: only when h > θ, snnTorch's Heaviside)" },
  // snnTorch's default spike_grad is atan() (α = 2) since 0.9 (SpikingNeuron.__init__).
  surrogate: surrogateOption(() => arctan()),
  smoothSpikes: { type: 'boolean', default: false, doc: 'test only: spikes become the surrogate primitive (finite-difference checks)' },
} as const satisfies OptionSpec;

export type LeakyCommon = OptionValues<typeof LEAKY_OPTIONS>;

/**
 * Kernel settings. `zeroAfter` says where a delayed zero reset acts: snnTorch's
 * Leaky zeroes the previous membrane before the leak, RLeaky and Synaptic zero
 * the freshly charged one (see semantics.md §1).
 */
export function lifSettings(c: LeakyCommon, zeroAfter: boolean): LifSettings {
  const mode = c.reset === 'none' ? ResetMode.none : c.reset === 'subtract' ? ResetMode.subtract : zeroAfter ? ResetMode.zeroAfter : ResetMode.zero;
  return {
    resetMode: mode,
    delayedReset: c.resetDelay,
    correctedReset: !c.resetDelay && c.sameStepReset === 'snntorch',
    detachReset: c.detachReset,
    inputLeak: false,
    vReset: 0,
    fireAtThreshold: c.fireAtThreshold,
    surrogate: surrogateCode(c.surrogate, c.smoothSpikes),
  };
}

/**
 * Base of the snnTorch-style models: registers β and θ as parameters when they
 * are learned (else they are settings, kept as cached constant tensors).
 */
export abstract class LeakyBase<S extends StateDict> extends ScanNeuron<S> {
  readonly opts: LeakyCommon;

  constructor(features: number[] | number, c: LeakyCommon) {
    super(features);
    this.opts = c;
    if (c.learnBeta) this.addParameter('beta', this.paramInit('beta', c.beta));
    if (c.learnThreshold) this.addParameter('threshold', this.paramInit('threshold', c.threshold));
    // Validate per-neuron arrays now rather than at the first forward.
    if (!c.learnBeta && typeof c.beta !== 'number') this.settingTensor('beta', c.beta);
    if (!c.learnThreshold && typeof c.threshold !== 'number') this.settingTensor('threshold', c.threshold);
  }

  /** β as the scan sees it; a learned β is clamped to [0, 1] as in snnTorch. */
  protected betaTensor(be: Backend): Tensor {
    return this.opts.learnBeta ? clampUnit(this.getParameter('beta')!) : this.settingTensor('beta', this.opts.beta, be);
  }

  /** β when it is one number (a learned β at its current value, clamped as the scan sees it). */
  override onlineTraceDecay(): number | string {
    const b = this.opts.learnBeta ? this.getParameter('beta')! : null;
    if (b ? b.size !== 1 : typeof this.opts.beta !== 'number') return `${this.kind} has one β per neuron; OTTT's trace needs one decay per layer`;
    const v = b ? b.data[0]! : (this.opts.beta as number);
    return Math.min(1, Math.max(0, v));
  }

  protected thresholdTensor(be: Backend): Tensor {
    return this.opts.learnThreshold ? this.getParameter('threshold')! : this.settingTensor('threshold', this.opts.threshold, be);
  }

  override describe(): Record<string, unknown> {
    return { features: [...this.features], ...describeLeaky(this.opts) };
  }
}

export function describeLeaky(c: LeakyCommon): Record<string, unknown> {
  return {
    beta: c.beta,
    threshold: c.threshold,
    learnBeta: c.learnBeta,
    learnThreshold: c.learnThreshold,
    reset: c.reset,
    resetDelay: c.resetDelay,
    ...(c.resetDelay ? {} : { sameStepReset: c.sameStepReset }),
    detachReset: c.detachReset,
    fireAtThreshold: c.fireAtThreshold,
    surrogate: { name: c.surrogate.name, ...c.surrogate.params },
    ...(c.smoothSpikes ? { smoothSpikes: true } : {}),
  };
}
