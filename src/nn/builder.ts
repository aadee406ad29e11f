import { ConfigError, ShapeError } from '../errors.js';
import type { SizeLimits } from '../io/limits.js';
import type { Shape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import { snakeToCamel, type OptionSpec } from '../registry/options.js';
import { neuronRegistry } from '../neurons/registry.js';
import { isNeuron, type NeuronModule } from '../neurons/base.js';
import { Module } from '../module/module.js';
import { Sequential } from './containers.js';
import { Flatten } from './flatten.js';
import { RepeatTime } from './repeat-time.js';
import { layerRegistry, makeLayer, type BuiltLayers, type LayerConfig } from './layers.js';
import { planModel, probe } from './plan.js';

export type { LayerConfig } from './layers.js';

export interface BuildOptions {
  /** Per-sample input shape, e.g. [1, 28, 28] or [784]. */
  inputShape: Shape;
  /** Number of time steps T. */
  steps: number;
  /** True when the input is constant over time ([1, B, ...], direct encoding): insert RepeatTime before the first neuron. */
  timeConstantInput: boolean;
  rng: Rng;
  /** Prefix for error messages, e.g. 'config.yaml: model.layers'. */
  where?: string;
  /** The last layer may be any layer: the loss reads its real values (LossEntry.readout). */
  readout?: boolean;
  /** Size budgets checked by the shape walk before anything is allocated (default DEFAULT_LIMITS; src/nn/plan.ts). */
  limits?: Partial<SizeLimits>;
}

export interface BuiltModel {
  model: Sequential;
  /** Per-sample output shape of each layer (after it). */
  shapes: Shape[];
  outputShape: Shape;
}

/**
 * How a config's neuron layer is built: the one place the builder (and the
 * config schema) look neuron types up. Every type is an entry of the neuron
 * registry (each model folder in src/neurons/, and interop/nir's 'nir' once
 * the NIR module is loaded), made by its entry, whose option spec the config
 * schema also checks.
 */
export interface NeuronLayerType {
  /** The model's option spec when its registry entry declares one (undefined: options are checked by the neuron itself). */
  readonly options?: OptionSpec;
  make(features: Shape, options: Record<string, unknown>, rng: Rng, where: string): NeuronModule;
}

export function neuronLayerType(type: string): NeuronLayerType | undefined {
  const key = type.toLowerCase();
  if (neuronRegistry.has(key)) {
    const e = neuronRegistry.get(key);
    return {
      options: e.options,
      make: (f, o, rng, where) => {
        try {
          return e.make([...f], o, rng);
        } catch (err) {
          // Prefix the layer (as createNeuron does), so a config or shape error names model.layers[i].
          if (err instanceof ConfigError) throw new ConfigError(`${where}: ${err.message}`);
          if (err instanceof ShapeError) throw new ShapeError(`${where}: ${err.message}`);
          throw err;
        }
      },
    };
  }
  return undefined;
}

/** Every layer type a config can name: stateless layers, then neuron types. */
export function layerTypes(): string[] {
  return [...new Set([...layerRegistry.names(), ...neuronRegistry.names()])];
}

function camelKeys(opts: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(opts)) out[snakeToCamel(k)] = v;
  return out;
}

/** Whether a module holds a neuron layer (itself or a descendant): such a layer runs per step, after RepeatTime. */
function hasNeuron(m: Module): boolean {
  return m.namedModules().some(([, c]) => isNeuron(c)); // namedModules() lists m itself first
}

interface ListOptions {
  readonly steps: number;
  readonly rng: Rng;
  /** Insert RepeatTime before the first layer that holds a neuron (top level under direct coding only). */
  readonly repeatBeforeNeuron: boolean;
}

/** The config entry each built module came from ('model.layers[3] (lif)'), for messages about a layer after the build. */
const origins = new WeakMap<Module, string>();

/**
 * Where in the config a module was written, e.g. `model.layers[3] (lif)`;
 * undefined for a module the builder inserted itself (Flatten, RepeatTime)
 * or one not built from a config.
 */
export function layerOrigin(m: Module): string | undefined {
  return origins.get(m);
}

/** Build one layer list: the top-level model or a container's nested `layers`. */
function buildList(layers: readonly LayerConfig[], inputShape: Shape, prefix: string, o: ListOptions): BuiltLayers & { shapes: Shape[] } {
  const modules: Module[] = [];
  const shapes: Shape[] = [];
  let shape: Shape = [...inputShape];
  let repeated = !o.repeatBeforeNeuron;
  const build = (inner: readonly LayerConfig[], s: Shape, where: string): BuiltLayers => {
    const r = buildList(inner, s, where, { ...o, repeatBeforeNeuron: false });
    return { modules: r.modules, outputShape: r.outputShape };
  };
  const beforeStateful = (): void => {
    if (repeated) return;
    modules.push(new RepeatTime(o.steps));
    shapes.push(shape);
    repeated = true;
  };
  layers.forEach((spec, i) => {
    const where = `${prefix}[${i}] (${spec.type})`;
    const { type, ...opts } = spec;
    const neuron = layerRegistry.has(type) ? undefined : neuronLayerType(type);
    if (neuron) {
      beforeStateful();
      const n = neuron.make(shape, camelKeys(opts), o.rng, where);
      origins.set(n, where);
      modules.push(n);
      shapes.push(shape);
      return;
    }
    const entry = layerRegistry.has(type) ? layerRegistry.get(type) : undefined;
    if (!entry) throw new ConfigError(`${where}: unknown layer type '${type}' (known: ${layerTypes().join(', ')})`);
    if (entry.flatInput && shape.length > 1) {
      const f = new Flatten();
      modules.push(f);
      shape = [shape.reduce((a, b) => a * b, 1)];
      shapes.push(shape);
    }
    const m = makeLayer(entry, opts, { inputShape: shape, rng: o.rng, where, build });
    // A layer holding neurons (attention, a residual block) runs per step: RepeatTime goes before it.
    if (hasNeuron(m)) beforeStateful();
    shape = probe(m, shape, where);
    origins.set(m, where);
    modules.push(m);
    shapes.push(shape);
  });
  return { modules, shapes, outputShape: shape };
}

/**
 * Build a Sequential network from layer configs, inferring each layer's input
 * size from the previous output (so configs give only output sizes). A linear
 * layer after a multi-dimensional feature map gets an automatic Flatten.
 * Containers (`residual`, `block`) build their nested lists through the same
 * rules. The last layer must be a neuron layer unless `readout` is set (the
 * loss reads real-valued outputs, e.g. a transformer's linear head).
 */
export function buildModel(layers: readonly LayerConfig[], o: BuildOptions): BuiltModel {
  const prefix = o.where ?? 'model.layers';
  // The shape walk first: a layer over the parameter or activation budget is refused before any layer is built.
  planModel(layers, { inputShape: o.inputShape, where: prefix, ...(o.limits ? { limits: o.limits } : {}) });
  const { modules, shapes, outputShape } = buildList(layers, o.inputShape, prefix, { steps: o.steps, rng: o.rng, repeatBeforeNeuron: o.timeConstantInput });
  const last = modules[modules.length - 1]!;
  if (!o.readout && !isNeuron(last)) {
    throw new ConfigError(
      `${prefix}: the last layer must be a spiking neuron layer (its spikes are the network's output), got '${layers[layers.length - 1]!.type}' (a real-valued readout needs a loss that reads one, such as ce_readout)`,
    );
  }
  return { model: new Sequential(modules), shapes, outputShape };
}
