import { ConfigError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import type { Optimizer } from './optim/optimizer.js';
import { makeOptimizer, type OptimizerConfig } from './optim/registry.js';
import type { LrScheduler } from './schedulers.js';
import { makeScheduler, type SchedulerConfig } from './scheduler-registry.js';

/*
 * Parameter groups from a config (train.param_groups): each group picks
 * parameters by name and gives them their own learning rate, weight decay
 * and schedule, within the one optimizer train.optimizer names — what the
 * DCLS reference does with two optimizers (positions: Adam at 100× the
 * weights' rate, no decay, cosine; weights: Adam, one-cycle, decay 1e−5).
 */

/** One entry of train.param_groups, as a config writes it. */
export interface ParamGroupConfig {
  /** Parameter names: a full path ('layers.0.positions'), a last segment ('positions'), or a glob with * ('layers.*.positions'). */
  params: string | string[];
  lr: number;
  /** null: the optimizer's weight decay. */
  weight_decay: number | null;
  /** The group's own schedule; null: the main one (train.scheduler). */
  scheduler: SchedulerConfig | null;
}

function matches(pattern: string, name: string): boolean {
  if (pattern === name) return true;
  if (!pattern.includes('*')) return !pattern.includes('.') && name.slice(name.lastIndexOf('.') + 1) === pattern;
  const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
  return re.test(name);
}

/** Indices of the named parameters a group's patterns select; a pattern that selects nothing is an error naming it. */
export function selectParams(named: readonly (readonly [string, Tensor])[], patterns: string | readonly string[], where: string): number[] {
  const list = typeof patterns === 'string' ? [patterns] : patterns;
  const out = new Set<number>();
  for (const p of list) {
    const hit = named.flatMap(([n], i) => (matches(p, n) ? [i] : []));
    if (hit.length === 0) {
      const names = named.map(([n]) => n);
      throw new ConfigError(`${where}: '${p}' matches no parameter (the model's: ${names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`);
    }
    for (const i of hit) out.add(i);
  }
  return [...out].sort((a, b) => a - b);
}

export interface TrainOptimizerConfig {
  optimizer: OptimizerConfig;
  scheduler: SchedulerConfig;
  param_groups: readonly ParamGroupConfig[];
  epochs: number;
}

/** The optimizer over the model's parameters with its groups, and the scheduler driving every group's rate. */
export function makeTrainOptimizer(cfg: TrainOptimizerConfig, named: readonly (readonly [string, Tensor])[], where = 'train'): { optimizer: Optimizer; scheduler: LrScheduler | null } {
  const optimizer = makeOptimizer(cfg.optimizer, named.map(([, t]) => t), `${where}.optimizer`);
  const own: Record<string, { cfg: SchedulerConfig; where: string }> = {};
  cfg.param_groups.forEach((g, j) => {
    const at = `${where}.param_groups[${j}]`;
    const name = typeof g.params === 'string' ? g.params : g.params.join('+');
    optimizer.addParamGroup(name, selectParams(named, g.params, `${at}.params`), g.lr, g.weight_decay);
    if (g.scheduler) own[name] = { cfg: g.scheduler, where: `${at}.scheduler` };
  });
  const scheduler = makeScheduler(cfg.scheduler, cfg.epochs, optimizer, `${where}.scheduler`, own);
  return { optimizer, scheduler };
}
