import { Registry, type RegistryEntry } from '../../registry/registry.js';
import { isPositive, readConfigOptions, type CustomOption, type OptionSpec, type OptionValues } from '../../registry/options.js';
import { ConfigError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import { Adam, AdamW } from './adam.js';
import { SGD } from './sgd.js';
import type { Optimizer } from './optimizer.js';

/** The optimizers a config's `train.optimizer` can name. */
export interface OptimizerEntry extends RegistryEntry {
  /** `options`: the validated values of `this.options` (camelCase keys, defaults applied). */
  make(params: Tensor[], options: Record<string, unknown>): Optimizer;
}

export const optimizerRegistry = new Registry<OptimizerEntry>('optimizer');

/** Register an optimizer whose `make` sees its own option types. */
export function defineOptimizer<S extends OptionSpec>(entry: Omit<OptimizerEntry, 'options' | 'make'> & { options: S; make(params: Tensor[], options: OptionValues<S>): Optimizer }): OptimizerEntry {
  return optimizerRegistry.register(entry as unknown as OptimizerEntry);
}

const nonNegative = (v: number): boolean => v >= 0;
// The defaults are the ones the config schema always had (lr 5e-4 for every optimizer).
const lr = { type: 'number', default: 5e-4, check: isPositive, want: 'a positive number', doc: 'learning rate' } as const;
const weightDecay = { type: 'number', default: 0, check: nonNegative, want: 'a number >= 0' } as const;

const betas: CustomOption<[number, number]> = {
  type: 'custom',
  accepts: ['numbers'],
  default: [0.9, 0.999],
  doc: 'decay rates of the first and second moment estimates',
  parse: (v, where) => {
    if (v === undefined) return [0.9, 0.999];
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x))) return [v[0] as number, v[1] as number];
    throw new ConfigError(`${where} must be a pair of numbers [beta1, beta2], got ${JSON.stringify(v)}`);
  },
};

const adamOptions = {
  lr,
  betas,
  eps: { type: 'number', default: 1e-8, check: isPositive, want: 'a positive number' },
  weightDecay,
} as const;

defineOptimizer({
  name: 'sgd',
  doc: 'stochastic gradient descent (PyTorch semantics), optional momentum / Nesterov',
  options: {
    lr,
    momentum: { type: 'number', default: 0, check: nonNegative, want: 'a number >= 0' },
    nesterov: { type: 'boolean', default: false },
    weightDecay,
  },
  make: (params, o) => new SGD(params, o),
});

defineOptimizer({
  name: 'adam',
  doc: 'Adam; weight_decay is L2 added to the gradient',
  options: adamOptions,
  make: (params, o) => new Adam(params, o),
});

defineOptimizer({
  name: 'adamw',
  doc: 'Adam with decoupled weight decay',
  options: adamOptions,
  make: (params, o) => new AdamW(params, o),
});

/** An optimizer block as a config writes it: `type` plus snake_case options. */
export interface OptimizerConfig {
  type: string;
  [option: string]: unknown;
}

/** The optimizer a config's `train.optimizer` names, over `params`. */
export function makeOptimizer(cfg: OptimizerConfig, params: Tensor[], where = 'train.optimizer'): Optimizer {
  const { type, ...opts } = cfg;
  const entry = optimizerRegistry.get(type, `${where}.type`);
  return entry.make(params, readConfigOptions(entry.options, opts, `${where} (${type})`));
}
