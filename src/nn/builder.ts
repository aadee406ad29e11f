import { ConfigError, ShapeError, SpikeflowError } from '../errors.js';
import { noGrad } from '../autograd/tape.js';
import { zeros } from '../tensor/create.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import { OptionReader, isPositive, isUnit } from '../neurons/options.js';
import { createNeuron, NEURON_TYPES } from '../neurons/factory.js';
import { isNeuron } from '../neurons/base.js';
import { Module } from '../module/module.js';
import { Linear } from './linear.js';
import { Sequential } from './containers.js';
import { Conv1d, Conv2d } from './conv.js';
import { AvgPool2d, MaxPool2d, SumPool2d } from './pool.js';
import { BatchNorm1d, BatchNorm2d, TdBatchNorm } from './norm.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { RepeatTime } from './repeat-time.js';

/** One layer as a config writes it: `type` plus snake_case options. */
export interface LayerConfig {
  type: string;
  [option: string]: unknown;
}

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
}

export interface BuiltModel {
  model: Sequential;
  /** Per-sample output shape of each layer (after it). */
  shapes: Shape[];
  outputShape: Shape;
}

const STATELESS_TYPES = ['linear', 'conv1d', 'conv2d', 'maxpool2d', 'avgpool2d', 'sumpool2d', 'batchnorm', 'tdbn', 'dropout', 'flatten'] as const;

export function layerTypes(): string[] {
  return [...STATELESS_TYPES, ...NEURON_TYPES];
}

function camel(key: string): string {
  return key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
}

function intOrPair(r: OptionReader, key: string, def: number | undefined): number | number[] | undefined {
  const v = r.numbers(key, def ?? -1, (x) => Number.isInteger(x) && x >= 0, 'a non-negative integer');
  return v === -1 ? undefined : v;
}

function stateless(type: string, opts: Record<string, unknown>, where: string, inShape: Shape, rng: Rng): Module {
  const r = new OptionReader(opts, where);
  const features = inShape.reduce((a, b) => a * b, 1);
  let m: Module;
  switch (type) {
    case 'linear': {
      const out = r.number('out', -1, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
      if (out < 0) throw new ConfigError(`${where}: option 'out' (number of output features) is required`);
      m = new Linear(features, out, rng, { bias: r.bool('bias', true) });
      break;
    }
    case 'conv1d':
    case 'conv2d': {
      const dims = type === 'conv1d' ? 1 : 2;
      if (inShape.length !== dims + 1) throw new ShapeError(`${where} (${type}): input per sample must be [C, ${dims === 1 ? 'L' : 'H, W'}], got ${fmtShape(inShape)}`);
      const out = r.number('out_channels', -1, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
      if (out < 0) throw new ConfigError(`${where}: option 'out_channels' is required`);
      const k = intOrPair(r, 'kernel_size', undefined);
      if (k === undefined) throw new ConfigError(`${where}: option 'kernel_size' is required`);
      const padRaw = opts['padding'];
      let padding: number | number[] | 'same' | 'valid' | undefined;
      if (padRaw === 'same' || padRaw === 'valid') {
        r.choice('padding', ['same', 'valid'], 'valid');
        padding = padRaw;
      } else padding = intOrPair(r, 'padding', 0);
      const o = {
        stride: intOrPair(r, 'stride', 1),
        padding,
        dilation: intOrPair(r, 'dilation', 1),
        groups: r.number('groups', 1, (v) => Number.isInteger(v) && v > 0, 'a positive integer'),
        bias: r.bool('bias', true),
      };
      m = dims === 1 ? new Conv1d(inShape[0]!, out, k, rng, o) : new Conv2d(inShape[0]!, out, k, rng, o);
      break;
    }
    case 'maxpool2d':
    case 'avgpool2d':
    case 'sumpool2d': {
      const k = intOrPair(r, 'kernel_size', undefined);
      if (k === undefined) throw new ConfigError(`${where}: option 'kernel_size' is required`);
      const o = { stride: intOrPair(r, 'stride', undefined), padding: intOrPair(r, 'padding', 0) };
      m = type === 'maxpool2d' ? new MaxPool2d(k, o) : type === 'avgpool2d' ? new AvgPool2d(k, o) : new SumPool2d(k, o);
      break;
    }
    case 'batchnorm':
    case 'tdbn': {
      const o: Record<string, number | boolean> = {
        momentum: r.number('momentum', 0.1, isUnit, 'a number in [0, 1]'),
        eps: r.number('eps', 1e-5, isPositive, 'a positive number'),
        affine: r.bool('affine', true),
      };
      const channels = inShape[0]!;
      if (type === 'tdbn') {
        o['alpha'] = r.number('alpha', 1, isPositive, 'a positive number');
        o['threshold'] = r.number('threshold', 1, isPositive, 'a positive number');
        m = new TdBatchNorm(channels, o);
      } else m = inShape.length >= 3 ? new BatchNorm2d(channels, o) : new BatchNorm1d(channels, o);
      break;
    }
    case 'dropout':
      m = new Dropout(r.number('p', 0.5, (v) => v >= 0 && v < 1, 'a number in [0, 1)'), rng.fork());
      break;
    case 'flatten':
      m = new Flatten();
      break;
    default:
      throw new ConfigError(`${where}: unknown layer type '${type}' (known: ${layerTypes().join(', ')})`);
  }
  r.done();
  return m;
}

/** Run a module on a zero input of one sample and one step to learn its output shape. */
function probe(m: Module, inShape: Shape, where: string): Shape {
  try {
    const out = noGrad(() => m.forward(zeros([1, 1, ...inShape])));
    m.resetState();
    return out.shape.slice(2);
  } catch (e) {
    if (e instanceof SpikeflowError) throw new ShapeError(`${where}: ${e.message}`);
    throw e;
  }
}

/**
 * Build a Sequential network from layer configs, inferring each layer's input
 * size from the previous output (so configs give only output sizes). A linear
 * layer after a multi-dimensional feature map gets an automatic Flatten.
 */
export function buildModel(layers: readonly LayerConfig[], o: BuildOptions): BuiltModel {
  const modules: Module[] = [];
  const shapes: Shape[] = [];
  let shape: Shape = [...o.inputShape];
  let repeated = !o.timeConstantInput;
  const prefix = o.where ?? 'model.layers';
  layers.forEach((spec, i) => {
    const where = `${prefix}[${i}] (${spec.type})`;
    const { type, ...opts } = spec;
    const isNeuronType = (NEURON_TYPES as readonly string[]).includes(type);
    if (isNeuronType) {
      if (!repeated) {
        modules.push(new RepeatTime(o.steps));
        shapes.push(shape);
        repeated = true;
      }
      const camelOpts: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(opts)) camelOpts[camel(k)] = v;
      const n = createNeuron(type, camelOpts, [...shape], o.rng, where);
      modules.push(n);
      shapes.push(shape);
      return;
    }
    if (type === 'linear' && shape.length > 1) {
      const f = new Flatten();
      modules.push(f);
      shape = [shape.reduce((a, b) => a * b, 1)];
      shapes.push(shape);
    }
    const m = stateless(type, opts, where, shape, o.rng);
    shape = probe(m, shape, where);
    modules.push(m);
    shapes.push(shape);
  });
  const last = modules[modules.length - 1]!;
  if (!isNeuron(last)) throw new ConfigError(`${prefix}: the last layer must be a spiking neuron layer (its spikes are the network's output), got '${layers[layers.length - 1]!.type}'`);
  return { model: new Sequential(modules), shapes, outputShape: shape };
}
