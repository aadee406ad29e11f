import { Registry, type RegistryEntry } from '../registry/registry.js';
import { isPositive, readConfigOptions, type OptionSpec, type OptionValues } from '../registry/options.js';
import type { Optimizer } from './optim/optimizer.js';
import { LrScheduler, constantLr, cosineAnnealing, linearWarmup, oneCycle, stepDecay, type Schedule } from './schedulers.js';

/** What a schedule factory knows about the run. */
export interface ScheduleContext {
  /** Epochs the schedule itself spans: the run's epochs less the warmup (at least 1). */
  readonly epochs: number;
}

/**
 * A learning-rate schedule a config's `train.scheduler` can name, stepped
 * once per epoch. `make` returns null for "no schedule" (the learning rate
 * stays put); every entry also accepts `warmup_epochs` (WARMUP_OPTIONS),
 * which makeScheduler applies around the schedule.
 */
export interface SchedulerEntry extends RegistryEntry {
  make(options: Record<string, unknown>, context: ScheduleContext): Schedule | null;
}

export const schedulerRegistry = new Registry<SchedulerEntry>('scheduler');

/** Shared by every scheduler entry: a linear warmup of that many epochs before the schedule. */
export const WARMUP_OPTIONS = {
  warmupEpochs: { type: 'number', default: 0, check: (v: number) => v >= 0, want: 'a number >= 0', doc: 'epochs of linear warmup before the schedule' },
} as const;

/** Register a schedule (WARMUP_OPTIONS are added to its options). */
export function defineScheduler<S extends OptionSpec>(entry: Omit<SchedulerEntry, 'options' | 'make'> & { options: S; make(options: OptionValues<S>, context: ScheduleContext): Schedule | null }): SchedulerEntry {
  return schedulerRegistry.register({ ...entry, options: { ...entry.options, ...WARMUP_OPTIONS } } as unknown as SchedulerEntry);
}

defineScheduler({ name: 'none', doc: 'constant learning rate', options: {}, make: () => null });

defineScheduler({
  name: 'step',
  doc: 'multiply the learning rate by gamma every step_size epochs',
  options: {
    stepSize: { type: 'number', integer: true, default: 1, check: isPositive, want: 'a positive integer' },
    gamma: { type: 'number', default: 0.1, check: isPositive, want: 'a positive number' },
  },
  make: (o) => stepDecay(o.stepSize, o.gamma),
});

defineScheduler({
  name: 'cosine',
  doc: 'cosine annealing to eta_min over the epochs after the warmup',
  options: { etaMin: { type: 'number', default: 0, check: (v: number) => v >= 0, want: 'a number >= 0' } },
  make: (o, c) => cosineAnnealing(c.epochs, o.etaMin),
});

defineScheduler({
  name: 'one_cycle',
  doc: "PyTorch OneCycleLR per epoch with the optimizer's lr as the peak (cosine up over pct_start, then down)",
  options: {
    pctStart: { type: 'number', default: 0.3, check: (v: number) => v > 0 && v < 1, want: 'a number in (0, 1)' },
    divFactor: { type: 'number', default: 25, check: isPositive, want: 'a positive number', doc: 'initial lr = peak / div_factor' },
    finalDivFactor: { type: 'number', default: 1e4, check: isPositive, want: 'a positive number', doc: 'final lr = initial / final_div_factor' },
  },
  make: (o, c) => oneCycle(c.epochs, o.pctStart, o.divFactor, o.finalDivFactor),
});

/** A scheduler block as a config writes it: `type` plus snake_case options. */
export interface SchedulerConfig {
  type: string;
  [option: string]: unknown;
}

/** The schedule a config block names over a run of `epochs` (null: constant, no warmup). */
export function makeSchedule(cfg: SchedulerConfig, epochs: number, where = 'train.scheduler'): Schedule | null {
  const { type, ...opts } = cfg;
  const entry = schedulerRegistry.get(type, `${where}.type`);
  const o = readConfigOptions(entry.options, opts, `${where} (${type})`);
  const warmup = o['warmupEpochs'] as number;
  let s = entry.make(o, { epochs: Math.max(1, epochs - warmup) });
  if (s === null && warmup === 0) return null;
  s ??= constantLr();
  if (warmup > 0) s = linearWarmup(warmup, s);
  return s;
}

/**
 * The per-epoch scheduler a config's `train.scheduler` names, or null when no
 * learning rate ever changes. `groupSchedulers` gives parameter groups
 * schedules of their own (train.param_groups[i].scheduler); the other groups
 * follow the main one.
 */
export function makeScheduler(cfg: SchedulerConfig, epochs: number, opt: Optimizer, where = 'train.scheduler', groupSchedulers: Readonly<Record<string, { cfg: SchedulerConfig; where: string }>> = {}): LrScheduler | null {
  const main = makeSchedule(cfg, epochs, where);
  const groups: Record<string, Schedule> = {};
  for (const [name, g] of Object.entries(groupSchedulers)) groups[name] = makeSchedule(g.cfg, epochs, g.where) ?? constantLr();
  if (main === null && Object.keys(groups).length === 0) return null;
  return new LrScheduler(opt, main ?? constantLr(), 'epoch', groups);
}
