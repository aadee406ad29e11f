import { ConfigError } from '../errors.js';
import type { Module } from '../module/module.js';
import { isNeuron, type NeuronModule } from '../neurons/base.js';
import { layerOrigin } from '../nn/builder.js';
import { Sequential } from '../nn/containers.js';
import { DelayedLinear } from '../nn/delay.js';
import { RepeatTime } from '../nn/repeat-time.js';
import { isWeightedLayer, type WeightedLayer } from '../nn/weighted.js';
import type { Rng } from '../tensor/rng.js';

/*
 * The online training methods (docs/online-training.md): the model runs one
 * step at a time, a loss is taken at every step and backpropagated at once,
 * and the neurons' state is detached between steps, so the graph held for a
 * backward is one step's whatever T is.
 *
 * - SLTT (Meng et al. 2023): v_t = λ·sg(v_{t−1}) + I_t, i.e. the temporal
 *   route of the gradient is dropped; gradients of the T steps accumulate
 *   and the optimizer steps once per batch. SLTT-K backpropagates only K
 *   steps drawn at random per batch (the others run without a graph).
 * - OTTT (Xiao et al. 2022): the same per-step backward, with the weight
 *   gradient of a layer fed by spikes formed from the presynaptic trace
 *   â_t = λ·â_{t−1} + s_t instead of s_t (δ_t·â_tᵀ), which restores the
 *   part of the temporal dependence that runs through the membrane's leak.
 *
 * This file holds what the Trainer needs besides its loop: how a model's
 * layers split into a part run once and a part run per step, the checks of
 * what each method supports, the trace binding and SLTT-K's draw of steps.
 */

/** `train.method` values. */
export const TRAIN_METHODS = ['bptt', 'tbptt', 'sltt', 'sltt_k', 'ottt'] as const;
export type TrainMethod = (typeof TRAIN_METHODS)[number];
export type OnlineMethod = 'sltt' | 'sltt_k' | 'ottt';

/** When the online methods update: once per batch from the gradients accumulated over its steps, or after every step. */
export const ONLINE_UPDATES = ['sequence', 'step'] as const;
export type OnlineUpdate = (typeof ONLINE_UPDATES)[number];

export function isOnlineMethod(m: TrainMethod): m is OnlineMethod {
  return m === 'sltt' || m === 'sltt_k' || m === 'ottt';
}

/** The online methods' options (TrainerOptions.online). */
export interface OnlineOptions {
  /** SLTT-K: steps backpropagated per batch (1 ≤ K ≤ T). */
  k?: number | null;
  /** Default 'sequence' (one update per batch, as the SLTT paper and OTTT_A); 'step' is OTTT_O. */
  update?: OnlineUpdate;
  /** SLTT-K's draw of the steps (required for sltt_k). */
  rng?: Rng | null;
}

/**
 * How a model runs one step at a time. Under direct encoding the builder
 * puts RepeatTime before the first neuron: the layers in front of it see
 * the time-constant input [1, B, ...] and run once per batch (their graph
 * is kept and backpropagated once, with the gradient the steps accumulated
 * on their output), the others run at every step.
 */
export interface StepPlan {
  /** Layers in front of RepeatTime (empty when the model has none). */
  prefix: Module[];
  /** Layers run at every step, RepeatTime left out. */
  perStep: Module[];
  /** RepeatTime's T, or null without one. */
  repeat: RepeatTime | null;
  /** Every neuron layer (their state is detached after each step). */
  neurons: NeuronModule[];
}

/** A layer for messages: where the config wrote it ('model.layers[1] (synaptic)'), else its path in the model ('model layer 3 (Synaptic)'). */
function layerName(path: string, m: Module): string {
  return layerOrigin(m) ?? `model layer ${path} (${m.kind})`;
}

/**
 * The step plan of a model for `method`, after checking that the method
 * supports every layer (ConfigError naming the first it does not).
 */
export function stepPlan(model: Module, method: OnlineMethod): StepPlan {
  const top: [string, Module][] = model instanceof Sequential ? model.layers.map((m, i) => [String(i), m]) : [['(model)', model]];
  let r = -1;
  top.forEach(([, m], i) => {
    if (m instanceof RepeatTime && r < 0) r = i;
  });
  for (const [path, m] of model.namedModules()) {
    if (m instanceof RepeatTime && !(r >= 0 && top[r]![1] === m)) {
      throw new ConfigError(`train.method ${method}: ${layerName(path, m)} repeats a time-constant input inside the model; the online methods need it at the top level of a Sequential (where the model builder puts it)`);
    }
    if (m instanceof DelayedLinear) {
      throw new ConfigError(
        `train.method ${method}: ${layerName(path, m)} reads earlier steps of its input (synaptic delays), which a model run one step at a time does not give it; train delay layers with train.method bptt or tbptt`,
      );
    }
  }
  const prefix = r >= 0 ? top.slice(0, r).map(([, m]) => m) : [];
  const perStep = top.slice(r + 1).map(([, m]) => m);
  const plan: StepPlan = { prefix, perStep, repeat: r >= 0 ? (top[r]![1] as RepeatTime) : null, neurons: model.namedModules().map(([, m]) => m).filter(isNeuron) };
  if (method === 'ottt') otttLayers(top, method);
  return plan;
}

/** A weighted layer and the neuron layer whose spikes feed it (null: fed by the input, no trace). */
export interface TracedLayer {
  path: string;
  layer: WeightedLayer;
  presynaptic: NeuronModule | null;
}

/**
 * OTTT's weighted layers: every linear/conv layer at the top level, paired
 * with the nearest neuron layer before it (its presynaptic spikes). Layers
 * that nest others (residual blocks, attention) are refused: the trace is
 * substituted into a weighted layer's gradient by the layer itself, and a
 * container's inner layers are fed through paths the trace does not follow.
 */
function otttLayers(top: [string, Module][], method: OnlineMethod): TracedLayer[] {
  const out: TracedLayer[] = [];
  let pre: [string, NeuronModule] | null = null;
  for (const [path, m] of top) {
    if (isNeuron(m)) {
      pre = [path, m];
      continue;
    }
    const inner = m.namedModules().slice(1);
    if (inner.some(([, c]) => isWeightedLayer(c) || isNeuron(c))) {
      throw new ConfigError(
        `train.method ${method}: ${layerName(path, m)} nests layers; OTTT substitutes presynaptic traces into the weight gradients of linear and conv layers at the top level of the model only (use sltt for this model)`,
      );
    }
    if (!isWeightedLayer(m)) continue;
    if (pre) {
      const d = pre[1].onlineTraceDecay();
      if (typeof d === 'string') throw new ConfigError(`train.method ${method}: ${layerName(pre[0], pre[1])} feeds ${layerName(path, m)}: ${d}`);
    }
    out.push({ path, layer: m, presynaptic: pre ? pre[1] : null });
  }
  return out;
}

/** OTTT's traced layers of a model (after the checks of stepPlan). */
export function tracedLayers(model: Module): TracedLayer[] {
  const top: [string, Module][] = model instanceof Sequential ? model.layers.map((m, i) => [String(i), m]) : [['(model)', model]];
  return otttLayers(top, 'ottt');
}

/**
 * Turn the input traces on (with each presynaptic layer's current decay: a
 * learned decay changes between batches) or off. Layers fed by the input
 * keep the instantaneous gradient, as the reference leaves its first
 * convolution unwrapped.
 */
export function bindTraces(layers: readonly TracedLayer[]): void {
  for (const l of layers) {
    const d = l.presynaptic ? l.presynaptic.onlineTraceDecay() : null;
    l.layer.setInputTrace(typeof d === 'number' ? d : null);
  }
}

/** Turn every weighted layer's input trace off (methods other than OTTT). */
export function clearTraces(model: Module): void {
  for (const [, m] of model.namedModules()) if (isWeightedLayer(m) && m.inputTraceDecay !== null) m.setInputTrace(null);
}

/**
 * SLTT-K's steps: K distinct steps of T, uniformly (a partial Fisher–Yates
 * shuffle), returned in increasing order.
 */
export function drawSteps(T: number, K: number, rng: Rng): number[] {
  if (!(Number.isInteger(K) && K >= 1 && K <= T)) throw new ConfigError(`train.sltt_k: K = ${K} must be an integer in [1, T] with T = ${T}`);
  const idx = Array.from({ length: T }, (_, i) => i);
  for (let i = 0; i < K; i++) {
    const j = i + rng.int(T - i);
    const a = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = a;
  }
  return idx.slice(0, K).sort((a, b) => a - b);
}
