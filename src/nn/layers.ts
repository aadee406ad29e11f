import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import { Registry, type RegistryEntry } from '../registry/registry.js';
import { isPositive, isUnit, readConfigOptions, type NumbersOption, type OptionSpec, type OptionValues } from '../registry/options.js';
import type { Module } from '../module/module.js';
import { Linear } from './linear.js';
import { Conv1d, Conv2d } from './conv.js';
import { AvgPool2d, MaxPool2d, SumPool2d } from './pool.js';
import { BatchNorm1d, BatchNorm2d, TdBatchNorm } from './norm.js';
import { Dropout } from './dropout.js';
import { Flatten } from './flatten.js';
import { DelayedLinear } from './delay.js';

/*
 * The catalog of stateless (non-neuron) layers a config can name. Each entry
 * declares its options once (the builder validates a config's layer with
 * them, the config schema derives its per-layer shape from them) and builds
 * the module for the input shape it is given. Adding a layer type: write the
 * Module, then one `layerRegistry.register({...})` here (or next to the class).
 */

/** What a layer factory gets besides its options. */
export interface LayerContext {
  /** Per-sample input shape (no time or batch axis), e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  /** Initialises parameters; consumed in layer order, so the order of draws is part of a config's meaning. */
  readonly rng: Rng;
  /** Prefix for messages: 'model.layers[2] (conv2d)'. */
  readonly where: string;
}

export interface LayerEntry extends RegistryEntry {
  /**
   * The layer wants a flat [features] input: the builder inserts a Flatten
   * before it when the previous output has more than one axis (linear after
   * a conv stack).
   */
  readonly flatInput?: boolean;
  /** `options` are the validated values of `this.options` (camelCase keys, defaults applied). */
  make(options: Record<string, unknown>, context: LayerContext): Module;
}

/** Every stateless layer type a config can name (neuron types live in the neuron registry). */
export const layerRegistry = new Registry<LayerEntry>('layer type');

/**
 * Register a layer with a typed options object: `make` receives the values
 * `readConfigOptions` returns for `options`. The cast is the one place the
 * registry's uniform `Record<string, unknown>` meets the entry's own type.
 */
export function defineLayer<S extends OptionSpec>(entry: Omit<LayerEntry, 'options' | 'make'> & { options: S; make(options: OptionValues<S>, context: LayerContext): Module }): LayerEntry {
  return layerRegistry.register(entry as unknown as LayerEntry);
}

/** Validate a config layer's snake_case options against an entry and build it. */
export function makeLayer(entry: LayerEntry, options: Readonly<Record<string, unknown>>, context: LayerContext): Module {
  return entry.make(readConfigOptions(entry.options, options, context.where), context);
}

// A helper-built option loses its literal `required: true` type, so factories
// write `o.kernelSize!`: readConfigOptions has already thrown when it is absent.
const nonNegIntOrList = (doc: string, extra: Partial<NumbersOption> = {}): NumbersOption => ({
  type: 'numbers',
  integer: true,
  check: (x) => x >= 0,
  want: 'a non-negative integer',
  doc,
  ...extra,
});
const positiveInt = { type: 'number', integer: true, check: isPositive, want: 'a positive integer' } as const;

function features(shape: Shape): number {
  return shape.reduce((a, b) => a * b, 1);
}

defineLayer({
  name: 'linear',
  doc: 'fully connected layer; flattens a multi-axis input first',
  flatInput: true,
  options: {
    out: { ...positiveInt, required: true, doc: 'number of output features' },
    bias: { type: 'boolean', default: true },
  },
  make: (o, c) => new Linear(features(c.inputShape), o.out, c.rng, { bias: o.bias }),
});

/** `padding` is a size (per axis) or 'same' / 'valid'. */
const convPadding = {
  type: 'custom',
  accepts: ['number', 'numbers', 'string'],
  doc: "zero padding per side (a size or one per axis), or 'same' / 'valid'",
  parse: (v: unknown, where: string): number | number[] | 'same' | 'valid' => {
    if (v === undefined) return 0;
    if (v === 'same' || v === 'valid') return v;
    const ok = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0;
    if (ok(v)) return v;
    if (Array.isArray(v) && v.length > 0 && v.every(ok)) return [...(v as number[])];
    throw new ConfigError(`${where} must be a non-negative integer or a non-empty array of them, or 'same' / 'valid', got ${JSON.stringify(v)}`);
  },
} as const;

function convEntry(name: 'conv1d' | 'conv2d'): void {
  const dims = name === 'conv1d' ? 1 : 2;
  defineLayer({
    name,
    doc: `${dims}-D convolution over [C, ${dims === 1 ? 'L' : 'H, W'}]`,
    options: {
      outChannels: { ...positiveInt, required: true, doc: 'number of output channels' },
      kernelSize: nonNegIntOrList('kernel size (one or one per axis)', { required: true }),
      stride: nonNegIntOrList('stride', { default: 1 }),
      padding: convPadding,
      dilation: nonNegIntOrList('dilation', { default: 1 }),
      groups: { ...positiveInt, default: 1 },
      bias: { type: 'boolean', default: true },
    },
    make: (o, c) => {
      const s = c.inputShape;
      // Checked before the options are used so the message names the shape, not a kernel argument.
      if (s.length !== dims + 1) throw new ShapeError(`${c.where}: input per sample must be [C, ${dims === 1 ? 'L' : 'H, W'}], got ${fmtShape(s)}`);
      const opts = { stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups, bias: o.bias };
      return dims === 1 ? new Conv1d(s[0]!, o.outChannels, o.kernelSize!, c.rng, opts) : new Conv2d(s[0]!, o.outChannels, o.kernelSize!, c.rng, opts);
    },
  });
}
convEntry('conv1d');
convEntry('conv2d');

const POOLS = { maxpool2d: MaxPool2d, avgpool2d: AvgPool2d, sumpool2d: SumPool2d } as const;
for (const [name, Pool] of Object.entries(POOLS)) {
  defineLayer({
    name,
    doc: `2-D ${name.slice(0, 3)} pooling over [C, H, W]`,
    options: {
      kernelSize: nonNegIntOrList('window size (one or one per axis)', { required: true }),
      stride: nonNegIntOrList('stride (default: the kernel size)'),
      padding: nonNegIntOrList('zero padding per side', { default: 0 }),
    },
    make: (o) => new Pool(o.kernelSize!, { stride: o.stride, padding: o.padding }),
  });
}

const normOptions = {
  momentum: { type: 'number', default: 0.1, check: isUnit, want: 'a number in [0, 1]' },
  eps: { type: 'number', default: 1e-5, check: isPositive, want: 'a positive number' },
  affine: { type: 'boolean', default: true },
} as const;

defineLayer({
  name: 'batchnorm',
  doc: 'batch normalisation over channels (2-D for [C, H, W], 1-D otherwise)',
  options: normOptions,
  make: (o, c) => (c.inputShape.length >= 3 ? new BatchNorm2d(c.inputShape[0]!, o) : new BatchNorm1d(c.inputShape[0]!, o)),
});

defineLayer({
  name: 'tdbn',
  doc: 'threshold-dependent batch normalisation (Zheng et al. 2021)',
  options: {
    ...normOptions,
    alpha: { type: 'number', default: 1, check: isPositive, want: 'a positive number' },
    threshold: { type: 'number', default: 1, check: isPositive, want: 'a positive number' },
  },
  make: (o, c) => new TdBatchNorm(c.inputShape[0]!, o),
});

defineLayer({
  name: 'dropout',
  doc: 'drops features with probability p during training',
  options: { p: { type: 'number', default: 0.5, check: (v) => v >= 0 && v < 1, want: 'a number in [0, 1)' } },
  make: (o, c) => new Dropout(o.p, c.rng.fork()),
});

defineLayer({
  name: 'flatten',
  doc: 'flattens each sample to [features]',
  options: {},
  make: () => new Flatten(),
});

defineLayer({
  name: 'delay_linear',
  aliases: ['dcls'],
  doc: 'fully connected layer with a delay per synapse (DCLS: learned positions; or fixed integer delays); time-major [T, B, in]',
  flatInput: true,
  options: {
    out: { ...positiveInt, required: true, doc: 'number of output features' },
    maxDelay: { type: 'number', integer: true, required: true, check: (v: number) => v >= 0, want: 'a non-negative integer', doc: 'longest delay in steps (K = max_delay + 1 taps, rounded up to odd)' },
    mode: { type: 'choice', values: ['learned', 'fixed'] as const, default: 'learned' as const, doc: 'learned DCLS positions, or fixed random integer delays' },
    interp: { type: 'choice', values: ['gauss', 'linear'] as const, default: 'gauss' as const, doc: 'how a learned position spreads over the taps while training' },
    sigmaInit: { type: 'number', check: (v: number) => v >= 0, want: 'a number >= 0', doc: 'initial Gaussian width (default ⌊K/2⌋)' },
    sigmaFinal: { type: 'number', default: 0.23, check: (v: number) => v >= 0, want: 'a number >= 0', doc: 'width at the end of the decay' },
    sigmaEpochs: { type: 'number', integer: true, check: (v: number) => v >= 0, want: 'a non-negative integer', doc: 'epochs of geometric σ decay (default: a quarter of train.epochs)' },
    tail: { type: 'number', integer: true, default: 0, check: (v: number) => v >= 0, want: 'a non-negative integer', doc: 'extra output steps after the input ends' },
    bias: { type: 'boolean', default: false },
    roundAtEval: { type: 'boolean', default: true, doc: 'evaluate with rounded integer delays (exact integer path), as the reference' },
  },
  make: (o, c) =>
    new DelayedLinear(features(c.inputShape), o.out, c.rng, {
      maxDelay: o.maxDelay!,
      mode: o.mode,
      interp: o.interp,
      ...(o.sigmaInit !== undefined ? { sigmaInit: o.sigmaInit } : {}),
      sigmaFinal: o.sigmaFinal,
      sigmaEpochs: o.sigmaEpochs ?? null,
      tail: o.tail,
      bias: o.bias,
      roundAtEval: o.roundAtEval,
    }),
});
