import { ConfigError } from '../errors.js';
import { Registry, type RegistryEntry } from '../registry/registry.js';
import { readConfigOptions, type OptionSpec, type OptionValues } from '../registry/options.js';
import { ceCountLoss, ceMembraneLoss, ceRateLoss, membraneScores, mseCountLoss, predictFromScores, type MembraneReduction } from '../ops/loss.js';
import { reduceOverTime } from '../ops/readout.js';
import { scoreByCounts, type LossFn, type PredictFn, type ScoreFn } from './trainer.js';
import type { Tensor } from '../tensor/tensor.js';
import { meanLeading } from '../ops/elementwise.js';
import { reshape } from '../ops/shape.js';

/*
 * The losses a config's `train.loss` can name. The loss functions themselves
 * are ops (src/ops/loss.ts); an entry adapts one to the Trainer's
 * (model output, targets) signature with the options the config gives.
 */

export interface LossEntry extends RegistryEntry {
  /** The loss reads the output layer's membrane: the session turns recording on for that layer. */
  readonly needsMembrane?: boolean;
  /**
   * The loss reads the model's output as real values (a readout layer, such
   * as a transformer's linear head), so the last layer need not be a neuron.
   */
  readonly readout?: boolean;
  /** `options`: the validated values of `this.options` (camelCase keys, defaults applied). */
  make(options: Record<string, unknown>): LossFn;
  /** How a sample's class is decided for this loss (default: spike counts). A membrane readout decides by the loss's own reduction. */
  predict?(options: Record<string, unknown>): PredictFn;
  /**
   * The loss's class scores [B, C] as a differentiable function of the model
   * output: the numbers `predict` ranks (default: spike counts). A loss on
   * real-valued outputs gives its own (e.g. the mean over time), so that
   * distillation compares the logits the loss actually trains.
   */
  scores?(options: Record<string, unknown>): ScoreFn;
}

export const lossRegistry = new Registry<LossEntry>('loss');

/** Register a loss whose `make` sees its own option types. */
export function defineLoss<S extends OptionSpec>(
  entry: Omit<LossEntry, 'options' | 'make' | 'predict' | 'scores'> & {
    options: S;
    make(options: OptionValues<S>): LossFn;
    predict?(options: OptionValues<S>): PredictFn;
    scores?(options: OptionValues<S>): ScoreFn;
  },
): LossEntry {
  return lossRegistry.register(entry as unknown as LossEntry);
}

defineLoss({
  name: 'ce_rate',
  doc: 'cross-entropy on the output spike rates',
  options: {},
  make: () => (out, y) => ceRateLoss(out.spikes, y),
});

defineLoss({
  name: 'ce_count',
  doc: 'cross-entropy on the output spike counts',
  options: {},
  make: () => (out, y) => ceCountLoss(out.spikes, y),
});

defineLoss({
  name: 'mse_count',
  doc: 'squared error between spike counts and target firing rates',
  options: {
    correctRate: { type: 'number', default: 0.8, doc: 'target firing rate of the correct class' },
    incorrectRate: { type: 'number', default: 0.2, doc: 'target firing rate of the other classes' },
  },
  make: (o) => (out, y) => mseCountLoss(out.spikes, y, o),
});

defineLoss({
  name: 'ce_membrane',
  doc: "cross-entropy on the output layer's membrane potential, reduced over time",
  needsMembrane: true,
  options: {
    reduce: {
      type: 'choice',
      values: ['mean', 'last', 'max', 'softmax_sum'] as const,
      default: 'mean' as const,
      doc: "reduction over time to logits: mean, last, max, or softmax_sum (Σ_t softmax(v_t), the DCLS reference's readout)",
    },
  },
  make: (o) => (out, y) => ceMembraneLoss(membraneOf(out.membrane), y, o.reduce),
  predict: (o) => (out) => membranePredict(membraneOf(out.membrane), o.reduce),
  scores: (o) => (out) => reduceOverTime(membraneOf(out.membrane), o.reduce),
});

defineLoss({
  name: 'ce_readout',
  doc: "cross-entropy on the real-valued output of a readout layer (a linear head as the last layer, no neuron): 'mean' = CE of the mean over time (Spikformer's and the Spike-driven Transformer's head(...).mean(0)), 'per_step' = CE at every step averaged over time (TET)",
  readout: true,
  options: {
    reduce: { type: 'choice', values: ['mean', 'per_step'] as const, default: 'mean' as const, doc: "'mean': CE(mean_t y_t); 'per_step': mean_t CE(y_t)" },
  },
  make: (o) => (out, y) => {
    const v = out.spikes;
    if (o.reduce === 'per_step') return ceMembraneLoss(v, y, 'mean');
    const m = meanLeading(v);
    return ceMembraneLoss(reshape(m, [1, ...m.shape]), y, 'mean');
  },
  // Both rank classes by the time-mean of the output (the references' evaluation); so do distillation's logits.
  predict: () => (out) => membranePredict(out.spikes, 'mean'),
  scores: () => (out) => reduceOverTime(out.spikes, 'mean'),
});

function membraneOf<T>(m: T | null): T {
  if (!m) throw new ConfigError('ce_membrane loss: the output neuron layer records no membrane');
  return m;
}

function membranePredict(m: Tensor, reduce: MembraneReduction): Int32Array {
  const [, B, C] = m.shape as [number, number, number];
  return predictFromScores(membraneScores(m, reduce), B, C);
}

/** A loss block as a config writes it: `type` plus snake_case options. */
export interface LossConfig {
  type: string;
  [option: string]: unknown;
}

/** The class decision that goes with the loss a config names (spike counts unless the loss reads the membrane). */
export function makePredict(cfg: LossConfig, where = 'train.loss'): PredictFn | undefined {
  const { type, ...opts } = cfg;
  const entry = lossRegistry.get(type, `${where}.type`);
  return entry.predict?.(readConfigOptions(entry.options, opts, `${where} (${type})`));
}

/** The class scores that go with the loss a config names (spike counts unless the loss gives its own). */
export function makeScores(cfg: LossConfig, where = 'train.loss'): ScoreFn {
  const { type, ...opts } = cfg;
  const entry = lossRegistry.get(type, `${where}.type`);
  return entry.scores?.(readConfigOptions(entry.options, opts, `${where} (${type})`)) ?? scoreByCounts;
}

/** The loss a config's `train.loss` names; unknown types and options throw ConfigError naming them. */
export function makeLoss(cfg: LossConfig, where = 'train.loss'): LossFn {
  const { type, ...opts } = cfg;
  const entry = lossRegistry.get(type, `${where}.type`);
  return entry.make(readConfigOptions(entry.options, opts, `${where} (${type})`));
}
