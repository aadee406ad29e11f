import { ConfigError, ShapeError, SpikeflowError } from '../errors.js';
import { readConfigOptions } from '../registry/options.js';
import { noGrad } from '../autograd/tape.js';
import { zeros } from '../tensor/create.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import { Rng } from '../tensor/rng.js';
import { neuronRegistry } from '../neurons/registry.js';
import type { Module } from '../module/module.js';
import { BYTES_PER_VALUE, fmtBytes, LIMIT_KEYS, withLimits, type SizeLimits } from '../io/limits.js';
import { layerRegistry, makeLayer, type LayerConfig, type LayerPlan } from './layers.js';

/*
 * The model builder's shape walk, done before anything is built: each
 * layer's per-sample output shape and parameter count from its options and
 * its input shape, by arithmetic (the layer entry's `plan`), so a config
 * that asks for a 300,000-wide layer is refused, naming the layer, its shape
 * and its size, before a single parameter is allocated; and a network that
 * cannot produce the dataset's classes is refused before it is built.
 *
 * Layers without a `plan` are the ones whose size follows their input (pools,
 * norms, dropout, flatten): they are built with a throwaway generator and
 * probed on one zero sample, which the activation budget on their input
 * keeps small. Neuron layers keep their input's shape; their few per-neuron
 * parameters are not counted.
 */

/**
 * Run a module on a zero input of one sample and one step to learn its output
 * shape, in eval mode: a training-mode BatchNorm would fold the zeros into its
 * running statistics (and refuses one value per channel).
 */
export function probe(m: Module, inShape: Shape, where: string): Shape {
  const wasTraining = m.training;
  try {
    m.eval();
    const out = noGrad(() => m.forward(zeros([1, 1, ...inShape])));
    m.resetState();
    return out.shape.slice(2);
  } catch (e) {
    if (e instanceof SpikeflowError) throw new ShapeError(`${where}: ${e.message}`);
    throw e;
  } finally {
    m.train(wasTraining);
  }
}

export interface PlanModelOptions {
  /** Per-sample input shape, e.g. [1, 28, 28]. */
  inputShape: Shape;
  /** Prefix for messages, e.g. 'model.layers'. */
  where?: string;
  /** Budgets (default DEFAULT_LIMITS): parameterBytes for the whole model, activationBytes per layer output. */
  limits?: Partial<SizeLimits>;
}

export interface ModelPlan {
  /** The network's per-sample output shape; null when a layer could not be planned (a plugin container without `plan`): the build then finds it. */
  outputShape: Shape | null;
  /** Parameters of the layers planned (neuron layers' own not counted). */
  parameters: number;
}

const features = (s: Shape): number => s.reduce((a, b) => a * b, 1);

/** Thrown inside the walk when a layer cannot be planned: the real build then reports it (or builds it). */
class Unplannable extends Error {}

/** The budget errors of the walk, which a container's nested walk passes up unchanged. */
const budgetErrors = new WeakSet<Error>();

/**
 * Walk a layer list as buildModel will build it (a Flatten before a
 * flat-input layer included) and check the budgets: every layer's output
 * per sample and step against `activationBytes`, the running parameter
 * total against `parameterBytes`. Errors are ConfigErrors naming the layer
 * (`model.layers[3] (linear)`), its shapes and the bytes. A layer the walk
 * cannot plan (an unknown type, options its `plan` refuses) ends the walk
 * with `outputShape: null`: the build reports it in its own words.
 */
export function planModel(layers: readonly LayerConfig[], o: PlanModelOptions): ModelPlan {
  const limits = withLimits(o.limits);
  const state = { parameters: 0 };
  try {
    const out = planList(layers, o.inputShape, o.where ?? 'model.layers', limits, state);
    return { outputShape: out, parameters: state.parameters };
  } catch (e) {
    if (e instanceof Unplannable) return { outputShape: null, parameters: state.parameters };
    throw e;
  }
}

function planList(layers: readonly LayerConfig[], inputShape: Shape, prefix: string, limits: SizeLimits, state: { parameters: number }): Shape {
  let shape: Shape = [...inputShape];
  layers.forEach((spec, i) => {
    const where = `${prefix}[${i}] (${spec.type})`;
    const { type, ...opts } = spec;
    if (!layerRegistry.has(type)) {
      if (neuronRegistry.has(type.toLowerCase())) return; // a neuron layer keeps its input's shape
      throw new Unplannable();
    }
    const entry = layerRegistry.get(type);
    if (entry.flatInput && shape.length > 1) shape = [features(shape)];
    const input = shape;
    let plan: LayerPlan;
    if (entry.plan) {
      const nested = (inner: readonly LayerConfig[], s: Shape, w: string): LayerPlan => {
        const before = state.parameters;
        const outputShape = planList(inner, s, w, limits, state);
        // Counted (and checked) as the nested layers were planned; handed back so the container can multiply or add them.
        const parameters = state.parameters - before;
        state.parameters = before;
        return { outputShape, parameters };
      };
      try {
        plan = entry.plan(readConfigOptions(entry.options, opts, where), { inputShape: input, where, plan: nested });
      } catch (e) {
        if (e instanceof Unplannable || (e instanceof Error && budgetErrors.has(e))) throw e;
        throw new Unplannable();
      }
    } else {
      // Built with a generator of its own, so the real build's draws are unchanged; a container without a plan cannot be walked.
      const m = makeLayer(entry, opts, { inputShape: input, rng: new Rng(0), where, build: () => { throw new Unplannable(); } });
      plan = { outputShape: probe(m, input, where), parameters: m.parameters().reduce((a, p) => a + p.size, 0) };
    }
    shape = plan.outputShape;
    checkActivation(shape, input, where, limits);
    state.parameters += plan.parameters;
    checkParameters(plan.parameters, state.parameters, input, shape, where, limits);
  });
  return shape;
}

function budgetError(message: string): ConfigError {
  const e = new ConfigError(message);
  budgetErrors.add(e);
  return e;
}

function checkActivation(out: Shape, input: Shape, where: string, limits: SizeLimits): void {
  const bytes = features(out) * BYTES_PER_VALUE;
  if (bytes > limits.activationBytes) {
    throw budgetError(
      `${where}: ${fmtShape(input)} → ${fmtShape(out)} makes ${features(out)} values per sample and time step (${fmtBytes(bytes)} as float32), over the ${fmtBytes(limits.activationBytes)} limit for one layer's output (${LIMIT_KEYS.activationBytes})`,
    );
  }
}

function checkParameters(own: number, total: number, input: Shape, out: Shape, where: string, limits: SizeLimits): void {
  const bytes = total * BYTES_PER_VALUE;
  if (bytes <= limits.parameterBytes) return;
  const before = total - own;
  throw budgetError(
    `${where}: ${fmtShape(input)} → ${fmtShape(out)} needs ${own} parameters (${fmtBytes(own * BYTES_PER_VALUE)} as float32)` +
      `${before > 0 ? `, the model ${total} with the layers before (${fmtBytes(bytes)})` : ''}, over the ${fmtBytes(limits.parameterBytes)} limit for the model's parameters (${LIMIT_KEYS.parameterBytes})`,
  );
}
