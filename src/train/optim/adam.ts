import type { AdamHyper } from '../../backend/kernels/train.js';
import { ConfigError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { hyperBool, hyperNumber, Optimizer, type Hyper } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
}

interface AdamSettings {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
}

/**
 * Adam with PyTorch `torch.optim.Adam` semantics (L2 weight decay added to the
 * gradient), bias correction and eps added after the bias-corrected square root:
 *   m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²;
 *   p ← p − (lr / (1−β1^t)) · m / (√v / √(1−β2^t) + eps).
 * AMSGrad keeps the running maximum of v and uses it in the denominator.
 */
export class Adam extends Optimizer {
  protected s: AdamSettings;

  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}, defaultWeightDecay = 0) {
    super(params, opts.lr ?? 1e-3);
    const [beta1, beta2] = opts.betas ?? [0.9, 0.999];
    this.s = { beta1, beta2, eps: opts.eps ?? 1e-8, weightDecay: opts.weightDecay ?? defaultWeightDecay, amsgrad: opts.amsgrad ?? false };
    this.validate(this.s);
  }

  get type(): string {
    return 'Adam';
  }

  protected get decoupled(): boolean {
    return false;
  }

  protected get slotNames(): readonly string[] {
    return ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'];
  }

  protected override get nonNegativeSlots(): readonly string[] {
    return ['exp_avg_sq', 'max_exp_avg_sq'];
  }

  private validate(s: AdamSettings): void {
    const { beta1, beta2, eps, weightDecay } = s;
    for (const [k, v] of [['beta1', beta1], ['beta2', beta2]] as const) {
      if (!(v >= 0 && v < 1)) throw new ConfigError(`${this.type}: ${k} must be in [0, 1), got ${v}`);
    }
    if (!(eps >= 0)) throw new ConfigError(`${this.type}: eps must be >= 0, got ${eps}`);
    if (!(weightDecay >= 0)) throw new ConfigError(`${this.type}: weightDecay must be >= 0, got ${weightDecay}`);
  }

  protected getHyper(): Hyper {
    return { ...this.s };
  }

  protected setHyper(h: Hyper, dryRun: boolean): void {
    const t = this.type;
    const next: AdamSettings = {
      beta1: hyperNumber(t, h, 'beta1'),
      beta2: hyperNumber(t, h, 'beta2'),
      eps: hyperNumber(t, h, 'eps'),
      weightDecay: hyperNumber(t, h, 'weightDecay'),
      amsgrad: hyperBool(t, h, 'amsgrad'),
    };
    this.validate(next);
    if (!dryRun) this.s = next;
  }

  protected update(i: number, p: Tensor, grad: Tensor): void {
    const m = this.slot(i, 'exp_avg').t;
    const v = this.slot(i, 'exp_avg_sq').t;
    const vMax = this.s.amsgrad ? this.slot(i, 'max_exp_avg_sq').t : null;
    const h: AdamHyper = { lr: this.lrOf(i), beta1: this.s.beta1, beta2: this.s.beta2, eps: this.s.eps, weightDecay: this.weightDecayOf(i, this.s.weightDecay), decoupled: this.decoupled };
    p.backend.adamStep(p.storage, grad.storage, m.storage, v.storage, vMax ? vMax.storage : null, this.steps[i]!, h);
  }
}

/**
 * AdamW (PyTorch `torch.optim.AdamW`): like Adam but with decoupled weight
 * decay p ← p·(1 − lr·wd) before the Adam update; default weightDecay 0.01.
 */
export class AdamW extends Adam {
  constructor(params: Iterable<Tensor>, opts: AdamOptions = {}) {
    super(params, opts, 1e-2);
  }

  override get type(): string {
    return 'AdamW';
  }

  protected override get decoupled(): boolean {
    return true;
  }
}
