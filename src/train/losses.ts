import { ConfigError } from '../errors.js';
import { Registry, type RegistryEntry } from '../registry/registry.js';
import { readConfigOptions, type OptionSpec, type OptionValues } from '../registry/options.js';
import { ceCountLoss, ceMembraneLoss, ceRateLoss, membraneScores, mseCountLoss, mseLoss, predictFromScores, type MembraneReduction } from '../ops/loss.js';
import { reduceOverTime } from '../ops/readout.js';
import { scoreByCounts, type LossFn, type PredictFn, type ScoreFn, type StepLossFn } from './trainer.js';
import { Tensor } from '../tensor/tensor.js';
import { meanLeading, scale } from '../ops/elementwise.js';
import { reshape } from '../ops/shape.js';

/*
 * The losses a config's `train.loss` can name. The loss functions themselves
 * are ops (src/ops/loss.ts); an entry adapts one to the Trainer's
 * (model output, targets) signature with the options the config gives.
 *
 * Per-step forms (`perStep`, the online methods SLTT and OTTT, which take a
 * loss at every step and backpropagate it at once): the loss of step t is
 * the sequence loss of the sequence that repeats step t's output T times,
 * divided by T. For the losses that are already a mean over steps of a
 * per-step term (ce_rate, ce_membrane 'mean', ce_readout 'per_step') this is
 * exactly that term, so the per-step losses sum to the sequence loss; for
 * the others it is the per-step surrogate the rule gives (ce_readout 'mean'
 * becomes TET's per-step CE, as in the SLTT and OTTT references; ce_count
 * the CE of T·s_t). docs/online-training.md has the table.
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
  /**
   * The loss of one step for the online methods (see above); throws a
   * ConfigError for options that have no per-step form. Absent: the loss
   * has none and the online methods refuse it.
   */
  perStep?(options: Record<string, unknown>): StepLossFn;
}

export const lossRegistry = new Registry<LossEntry>('loss');

/** Register a loss whose `make` sees its own option types. */
export function defineLoss<S extends OptionSpec>(
  entry: Omit<LossEntry, 'options' | 'make' | 'predict' | 'scores' | 'perStep'> & {
    options: S;
    make(options: OptionValues<S>): LossFn;
    predict?(options: OptionValues<S>): PredictFn;
    scores?(options: OptionValues<S>): ScoreFn;
    perStep?(options: OptionValues<S>): StepLossFn;
  },
): LossEntry {
  return lossRegistry.register(entry as unknown as LossEntry);
}

defineLoss({
  name: 'ce_rate',
  doc: 'cross-entropy on the output spike rates',
  options: {},
  make: () => (out, y) => ceRateLoss(out.spikes, y),
  // ce_rate is mean_t CE(s_t): its own per-step term.
  perStep: () => (out, y, T) => scale(ceRateLoss(out.spikes, y), 1 / T),
});

defineLoss({
  name: 'ce_count',
  doc: 'cross-entropy on the output spike counts',
  options: {},
  make: () => (out, y) => ceCountLoss(out.spikes, y),
  // The counts of the sequence repeating step t are T·s_t.
  perStep: () => (out, y, T) => scale(ceCountLoss(scale(out.spikes, T), y), 1 / T),
});

defineLoss({
  name: 'mse_count',
  doc: 'squared error between spike counts and target firing rates',
  options: {
    correctRate: { type: 'number', default: 0.8, doc: 'target firing rate of the correct class' },
    incorrectRate: { type: 'number', default: 0.2, doc: 'target firing rate of the other classes' },
  },
  make: (o) => (out, y) => mseCountLoss(out.spikes, y, o),
  // mse_count of the sequence repeating step t: Σ(T·s_t − target count)² / (B·C·T), then / T.
  perStep: (o) => (out, y, T) => {
    const s = out.spikes;
    const [, B, C] = s.shape as [number, number, number];
    const on = Math.trunc(T * o.correctRate), off = Math.trunc(T * o.incorrectRate);
    const tgt = new Float64Array(B * C).fill(off);
    for (let b = 0; b < B; b++) tgt[b * C + y[b]!] = on;
    const target = new Tensor(s.backend.fromArray(tgt), s.shape, { backend: s.backend });
    return scale(mseLoss(scale(s, T), target), 1 / (T * T));
  },
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
  // Mean, last and max of a repeated v_t are all v_t: CE(v_t)/T ('mean' is mean_t CE(v_t), its own per-step term).
  perStep: (o) => {
    if (o.reduce === 'softmax_sum') {
      throw new ConfigError("train.loss (ce_membrane): reduce 'softmax_sum' has no per-step form for the online methods (its logits Σ_t softmax(v_t) need every step); use reduce 'mean', 'last' or 'max'");
    }
    return (out, y, T) => scale(ceMembraneLoss(membraneOf(out.membrane), y, 'mean'), 1 / T);
  },
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
  // Either reduction becomes CE(y_t)/T per step: 'per_step' exactly, 'mean' by the repeat rule (TET, as SLTT and OTTT train).
  perStep: () => (out, y, T) => scale(ceMembraneLoss(out.spikes, y, 'mean'), 1 / T),
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

/**
 * The per-step form of the loss a config names (train.method sltt, sltt_k,
 * ottt); a ConfigError naming the loss when it has none.
 */
export function makeStepLoss(cfg: LossConfig, where = 'train.loss'): StepLossFn {
  const { type, ...opts } = cfg;
  const entry = lossRegistry.get(type, `${where}.type`);
  if (!entry.perStep) {
    const have = lossRegistry.list().filter((e) => e.perStep).map((e) => e.name);
    throw new ConfigError(`${where}.type: loss '${type}' has no per-step form, which the online methods (sltt, sltt_k, ottt) take at every step (losses with one: ${have.join(', ')})`);
  }
  return entry.perStep(readConfigOptions(entry.options, opts, `${where} (${type})`));
}

/** The loss a config's `train.loss` names; unknown types and options throw ConfigError naming them. */
export function makeLoss(cfg: LossConfig, where = 'train.loss'): LossFn {
  const { type, ...opts } = cfg;
  const entry = lossRegistry.get(type, `${where}.type`);
  return entry.make(readConfigOptions(entry.options, opts, `${where} (${type})`));
}
