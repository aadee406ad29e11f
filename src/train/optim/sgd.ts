import type { SgdHyper } from '../../backend/kernels/train.js';
import { ConfigError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { hyperBool, hyperNumber, Optimizer, type Hyper } from './optimizer.js';

export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

/**
 * Stochastic gradient descent with PyTorch `torch.optim.SGD` semantics:
 *   d = g + wd·p;  b = d on the first step, else μ·b + (1 − dampening)·d;
 *   d = d + μ·b (Nesterov) or b;  p ← p − lr·d.
 */
export class SGD extends Optimizer {
  private h: Omit<SgdHyper, 'lr'>;

  constructor(params: Iterable<Tensor>, opts: SgdOptions) {
    super(params, opts.lr);
    this.h = { momentum: opts.momentum ?? 0, dampening: opts.dampening ?? 0, nesterov: opts.nesterov ?? false, weightDecay: opts.weightDecay ?? 0 };
    SGD.validate(this.h);
  }

  get type(): string {
    return 'SGD';
  }

  protected get slotNames(): readonly string[] {
    return ['momentum_buffer'];
  }

  private static validate(h: Omit<SgdHyper, 'lr'>): void {
    const { momentum, dampening, nesterov, weightDecay } = h;
    if (!(momentum >= 0)) throw new ConfigError(`SGD: momentum must be >= 0, got ${momentum}`);
    if (!(weightDecay >= 0)) throw new ConfigError(`SGD: weightDecay must be >= 0, got ${weightDecay}`);
    if (nesterov && (momentum <= 0 || dampening !== 0)) throw new ConfigError('SGD: Nesterov momentum needs momentum > 0 and dampening = 0');
  }

  protected getHyper(): Hyper {
    return { ...this.h };
  }

  protected setHyper(h: Hyper, dryRun: boolean): void {
    const next = {
      momentum: hyperNumber('SGD', h, 'momentum'),
      dampening: hyperNumber('SGD', h, 'dampening'),
      nesterov: hyperBool('SGD', h, 'nesterov'),
      weightDecay: hyperNumber('SGD', h, 'weightDecay'),
    };
    SGD.validate(next);
    if (!dryRun) this.h = next;
  }

  protected update(i: number, p: Tensor, grad: Tensor): void {
    const buf = this.h.momentum !== 0 ? this.slot(i, 'momentum_buffer') : null;
    p.backend.sgdStep(p.storage, grad.storage, buf ? buf.t.storage : null, buf ? buf.fresh : false, { ...this.h, lr: this.lrOf(i), weightDecay: this.weightDecayOf(i, this.h.weightDecay) });
  }
}
