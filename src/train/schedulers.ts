import { ConfigError, FormatError } from '../errors.js';
import type { Optimizer } from './optim/optimizer.js';

/**
 * A learning-rate schedule: a pure function of the step count t (epochs or
 * iterations, as the scheduler counts) and the base learning rate. Closed forms
 * keep the saved state down to one counter, so a resumed run is exact.
 */
export interface Schedule {
  readonly kind: string;
  lr(t: number, baseLr: number): number;
  describe(): Record<string, number | string | Record<string, unknown>>;
}

/** The base learning rate throughout. */
export function constantLr(): Schedule {
  return { kind: 'constant', lr: (_t, base) => base, describe: () => ({ kind: 'constant' }) };
}

/** PyTorch StepLR: lr = base · gamma^⌊t / stepSize⌋. */
export function stepDecay(stepSize: number, gamma = 0.1): Schedule {
  if (!(Number.isInteger(stepSize) && stepSize > 0)) throw new ConfigError(`stepDecay: stepSize must be a positive integer, got ${stepSize}`);
  if (!(gamma > 0)) throw new ConfigError(`stepDecay: gamma must be > 0, got ${gamma}`);
  return {
    kind: 'step',
    lr: (t, base) => base * Math.pow(gamma, Math.floor(t / stepSize)),
    describe: () => ({ kind: 'step', stepSize, gamma }),
  };
}

/**
 * PyTorch CosineAnnealingLR (closed form): lr = etaMin + (base − etaMin)·(1 + cos(π·t / tMax)) / 2.
 * As in PyTorch the curve is periodic: past tMax it rises again (choose tMax = the run's length).
 */
export function cosineAnnealing(tMax: number, etaMin = 0): Schedule {
  if (!(tMax > 0)) throw new ConfigError(`cosineAnnealing: tMax must be > 0, got ${tMax}`);
  if (!(etaMin >= 0)) throw new ConfigError(`cosineAnnealing: etaMin must be >= 0, got ${etaMin}`);
  return {
    kind: 'cosine',
    lr: (t, base) => etaMin + ((base - etaMin) * (1 + Math.cos((Math.PI * t) / tMax))) / 2,
    describe: () => ({ kind: 'cosine', tMax, etaMin }),
  };
}

/**
 * PyTorch OneCycleLR (cosine annealing, two phases), closed form, with the
 * base rate as the peak: from base/divFactor up to base over the first
 * pctStart of `total` steps, then down to base/(divFactor·finalDivFactor) at
 * step total − 1 (held there after). The DCLS reference trains its weights
 * with it, stepped per epoch.
 */
export function oneCycle(total: number, pctStart = 0.3, divFactor = 25, finalDivFactor = 1e4): Schedule {
  if (!(Number.isInteger(total) && total > 0)) throw new ConfigError(`oneCycle: total must be a positive integer, got ${total}`);
  if (!(pctStart > 0 && pctStart < 1)) throw new ConfigError(`oneCycle: pctStart must be in (0, 1), got ${pctStart}`);
  if (!(divFactor > 0 && finalDivFactor > 0)) throw new ConfigError(`oneCycle: divFactor and finalDivFactor must be > 0`);
  const upEnd = pctStart * total - 1;
  const downEnd = total - 1;
  const cos = (start: number, end: number, pct: number): number => end + ((start - end) / 2) * (Math.cos(Math.PI * pct) + 1);
  return {
    kind: 'one_cycle',
    lr: (t, peak) => {
      const initial = peak / divFactor;
      const min = initial / finalDivFactor;
      if (t <= upEnd) return cos(initial, peak, upEnd > 0 ? t / upEnd : 1);
      const span = downEnd - upEnd;
      return cos(peak, min, span > 0 ? Math.min(1, (t - upEnd) / span) : 1);
    },
    describe: () => ({ kind: 'one_cycle', total, pctStart, divFactor, finalDivFactor }),
  };
}

/**
 * Linear warmup composed with another schedule: for t < steps the lr ramps
 * linearly from startFactor·base to base (PyTorch LinearLR, default startFactor
 * 1/3); from t = steps on, `then` runs with its own counter starting at 0
 * (PyTorch SequentialLR with milestone = steps).
 */
export function linearWarmup(steps: number, then: Schedule = constantLr(), startFactor = 1 / 3): Schedule {
  if (!(steps >= 0)) throw new ConfigError(`linearWarmup: steps must be >= 0, got ${steps}`);
  if (!(startFactor > 0 && startFactor <= 1)) throw new ConfigError(`linearWarmup: startFactor must be in (0, 1], got ${startFactor}`);
  return {
    kind: 'warmup',
    lr: (t, base) => (t < steps ? base * (startFactor + ((1 - startFactor) * t) / steps) : then.lr(t - steps, base)),
    describe: () => ({ kind: 'warmup', steps, startFactor, then: then.describe() }),
  };
}

export type StepInterval = 'epoch' | 'iteration';

/** Scheduler state saved in checkpoints. */
export interface SchedulerState {
  kind: string;
  interval: StepInterval;
  t: number;
  baseLr: number;
}

/**
 * Drives an optimizer's learning rates from a schedule. `interval` says whether
 * the count advances per epoch or per iteration (batch); the Trainer calls
 * `onIteration()` after every batch and `onEpoch()` after every epoch, and the
 * scheduler only counts the one it was made for. The lr for count t is applied
 * right away, so step 0 already uses schedule(0). Each parameter group of the
 * optimizer follows its own schedule when `groupSchedules` names one, else
 * the main schedule, from its own base rate (as PyTorch schedulers treat
 * param_groups).
 */
export class LrScheduler {
  t = 0;
  baseLr: number;
  /** Base rate and schedule of each of the optimizer's parameter groups, in its order. */
  private readonly groupPlans: { baseLr: number; schedule: Schedule }[];

  constructor(
    readonly optimizer: Optimizer,
    readonly schedule: Schedule,
    readonly interval: StepInterval = 'epoch',
    groupSchedules: Readonly<Record<string, Schedule>> = {},
  ) {
    this.baseLr = optimizer.lr;
    for (const name of Object.keys(groupSchedules)) {
      if (!optimizer.groups.some((g) => g.name === name)) throw new ConfigError(`LrScheduler: the optimizer has no parameter group '${name}'`);
    }
    this.groupPlans = optimizer.groups.map((g) => ({ baseLr: g.lr, schedule: groupSchedules[g.name] ?? schedule }));
    this.apply();
  }

  get lr(): number {
    return this.optimizer.lr;
  }

  /** Advance the count by one and set the optimizer's lr. */
  step(): void {
    this.t++;
    this.apply();
  }

  onIteration(): void {
    if (this.interval === 'iteration') this.step();
  }

  onEpoch(): void {
    if (this.interval === 'epoch') this.step();
  }

  stateDict(): SchedulerState {
    return { kind: this.schedule.kind, interval: this.interval, t: this.t, baseLr: this.baseLr };
  }

  loadStateDict(s: SchedulerState): void {
    if (s.kind !== this.schedule.kind || s.interval !== this.interval) {
      throw new FormatError(`LrScheduler.loadStateDict: saved ${s.kind}/${s.interval} schedule, this one is ${this.schedule.kind}/${this.interval}`);
    }
    if (!Number.isInteger(s.t) || s.t < 0 || typeof s.baseLr !== 'number') throw new FormatError(`LrScheduler.loadStateDict: invalid state ${JSON.stringify(s)}`);
    this.t = s.t;
    this.baseLr = s.baseLr;
    this.apply();
  }

  private apply(): void {
    this.optimizer.lr = this.schedule.lr(this.t, this.baseLr);
    this.optimizer.groups.forEach((g, j) => {
      const plan = this.groupPlans[j]!;
      g.lr = plan.schedule.lr(this.t, plan.baseLr);
    });
  }
}
