import { ConfigError, ShapeError } from '../errors.js';
import { fmtShape, type Shape } from '../tensor/shape.js';
import { perDim, resolveWindow } from '../ops/conv.js';
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
import { Residual, Sequential } from './containers.js';
import { LayerNorm, SpikingAttention, TRANSFORMER_NEURON, type NeuronSpec } from './attention.js';
import { GlobalAvgPool } from './pool.js';
import { Embedding, RwkvBlock, SPIKEGPT_NEURON } from './rwkv.js';
import { Transformer } from './transformer.js';

/*
 * The catalog of stateless (non-neuron) layers a config can name. Each entry
 * declares its options once (the builder validates a config's layer with
 * them, the config schema derives its per-layer shape from them) and builds
 * the module for the input shape it is given. Adding a layer type: write the
 * Module, then one `layerRegistry.register({...})` here (or next to the class).
 */

/** One layer as a config writes it: `type` plus snake_case options. */
export interface LayerConfig {
  type: string;
  [option: string]: unknown;
}

/** What a container's nested layer list built into: the modules in order and the per-sample output shape. */
export interface BuiltLayers {
  readonly modules: Module[];
  readonly outputShape: Shape;
}

/** What a layer factory gets besides its options. */
export interface LayerContext {
  /** Per-sample input shape (no time or batch axis), e.g. [1, 28, 28]. */
  readonly inputShape: Shape;
  /** Initialises parameters; consumed in layer order, so the order of draws is part of a config's meaning. */
  readonly rng: Rng;
  /** Prefix for messages: 'model.layers[2] (conv2d)'. */
  readonly where: string;
  /**
   * Build a nested layer list (a container's `layers`) with the model
   * builder's own rules (shape inference, Flatten before a flat-input layer,
   * messages naming `where`), starting from `inputShape`. Given by the
   * builder, so containers are ordinary registry entries and this floor does
   * not import the builder.
   */
  readonly build?: (layers: readonly LayerConfig[], inputShape: Shape, where: string) => BuiltLayers;
}

/** What a layer will be, worked out without building it: the per-sample output shape and the parameter count. */
export interface LayerPlan {
  readonly outputShape: Shape;
  readonly parameters: number;
}

/** What a layer's `plan` gets besides its options. */
export interface PlanContext {
  readonly inputShape: Shape;
  readonly where: string;
  /** Plan a nested layer list (a container's `layers`) with the builder's rules; its parameters are returned, not yet counted. */
  readonly plan: (layers: readonly LayerConfig[], inputShape: Shape, where: string) => LayerPlan;
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
  /**
   * The output shape and parameter count by arithmetic, allocating nothing
   * (src/nn/plan.ts: the size budgets are checked on it before the model is
   * built). Layers whose size follows their input (pools, norms) leave it
   * out: they are built on a throwaway generator and probed instead. A plan
   * may throw on options it cannot work out; the build then reports them.
   */
  plan?(options: Record<string, unknown>, context: PlanContext): LayerPlan;
}

/** Every stateless layer type a config can name (neuron types live in the neuron registry). */
export const layerRegistry = new Registry<LayerEntry>('layer type');

/**
 * Register a layer with a typed options object: `make` receives the values
 * `readConfigOptions` returns for `options`. The cast is the one place the
 * registry's uniform `Record<string, unknown>` meets the entry's own type.
 */
export function defineLayer<S extends OptionSpec>(
  entry: Omit<LayerEntry, 'options' | 'make' | 'plan'> & { options: S; make(options: OptionValues<S>, context: LayerContext): Module; plan?(options: OptionValues<S>, context: PlanContext): LayerPlan },
): LayerEntry {
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
  plan: (o, c) => ({ outputShape: [o.out], parameters: features(c.inputShape) * o.out + (o.bias ? o.out : 0) }),
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
    plan: (o, c) => {
      const s = c.inputShape;
      if (s.length !== dims + 1) throw new ShapeError(`${c.where}: input per sample must be [C, ${dims === 1 ? 'L' : 'H, W'}], got ${fmtShape(s)}`);
      const kernel = perDim(c.where, 'kernel size', o.kernelSize!, dims, 1);
      const out = resolveWindow(c.where, s.slice(1), kernel, o.stride ?? 1, o.padding, o.dilation ?? 1).out;
      const perOut = (s[0]! / o.groups) * kernel.reduce((a, b) => a * b, 1);
      return { outputShape: [o.outChannels, ...out], parameters: o.outChannels * perOut + (o.bias ? o.outChannels : 0) };
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
  // Counted with what training holds per synapse: the weight, the position and the K-tap kernel they spread into (learned mode).
  plan: (o, c) => {
    const inF = features(c.inputShape);
    const K = o.maxDelay! % 2 === 0 ? o.maxDelay! + 1 : o.maxDelay! + 2;
    const perSynapse = o.mode === 'learned' ? 2 + K : 2;
    return { outputShape: [o.out], parameters: inF * o.out * perSynapse + (o.bias ? o.out : 0) };
  },
});

/** The builder's recursion, which a container needs (makeLayer called outside buildModel has none). */
function nestedBuilder(c: LayerContext): NonNullable<LayerContext['build']> {
  if (!c.build) throw new ConfigError(`${c.where}: a container layer is built by buildModel (its nested layers need the model builder)`);
  return c.build;
}

const layerList = (doc: string, required = true) => ({ type: 'custom', accepts: ['layers'], doc, ...(required ? { required: true } : {}), parse: (v: unknown) => v as LayerConfig[] | undefined }) as const;

defineLayer({
  name: 'residual',
  doc: 'y = f(x) + x (or + shortcut(x)): `layers` is f, built like model.layers; the residual add of transformer blocks (spikes + spikes, or membrane + membrane under a membrane shortcut)',
  options: {
    layers: layerList('the body f, a list of layers'),
    shortcut: layerList('the shortcut branch (default: the identity)', false),
  },
  make: (o, c) => {
    const build = nestedBuilder(c);
    const body = build(o.layers!, c.inputShape, `${c.where}.layers`);
    const sc = o.shortcut ? build(o.shortcut, c.inputShape, `${c.where}.shortcut`) : null;
    const want = sc ? sc.outputShape : c.inputShape;
    if (fmtShape(body.outputShape) !== fmtShape(want)) {
      throw new ShapeError(`${c.where}: the body outputs ${fmtShape(body.outputShape)} per sample but the ${sc ? 'shortcut outputs' : 'input is'} ${fmtShape(want)}; a residual add needs equal shapes`);
    }
    return new Residual(new Sequential(body.modules), sc ? new Sequential(sc.modules) : null);
  },
  plan: (o, c) => {
    const body = c.plan(o.layers!, c.inputShape, `${c.where}.layers`);
    const sc = o.shortcut ? c.plan(o.shortcut, c.inputShape, `${c.where}.shortcut`) : null;
    return { outputShape: body.outputShape, parameters: body.parameters + (sc ? sc.parameters : 0) };
  },
});

defineLayer({
  name: 'block',
  doc: '`layers` in order, `repeat` times (each repetition with its own weights): a stage of transformer blocks',
  options: {
    layers: layerList('the layers of one repetition'),
    repeat: { ...positiveInt, default: 1, doc: 'how many copies in sequence' },
  },
  make: (o, c) => {
    const reps: Module[] = [];
    let shape = c.inputShape;
    for (let r = 0; r < o.repeat; r++) {
      const b = nestedBuilder(c)(o.layers!, shape, `${c.where}.layers`);
      reps.push(new Sequential(b.modules));
      shape = b.outputShape;
    }
    return reps.length === 1 ? reps[0]! : new Sequential(reps);
  },
  plan: (o, c) => {
    // Each repetition has its own weights; once the shape repeats, so does the count.
    let shape = c.inputShape;
    let parameters = 0;
    for (let r = 0; r < o.repeat; r++) {
      const b = c.plan(o.layers!, shape, `${c.where}.layers`);
      parameters += b.parameters;
      if (fmtShape(b.outputShape) === fmtShape(shape)) return { outputShape: shape, parameters: parameters + b.parameters * (o.repeat - r - 1) };
      shape = b.outputShape;
    }
    return { outputShape: shape, parameters };
  },
});

const neuronSpec = {
  type: 'custom',
  accepts: ['layer'],
  doc: "the spiking neuron of every branch, a neuron layer config (default { type: lifnode, tau: 2, detach_reset: true }, the references' MultiStepLIFNode)",
  parse: (v: unknown, where: string): NeuronSpec => {
    if (v === undefined) return TRANSFORMER_NEURON;
    if (typeof v !== 'object' || v === null || Array.isArray(v) || typeof (v as { type?: unknown }).type !== 'string') throw new ConfigError(`${where} must be a neuron layer config { type, ...options }, got ${JSON.stringify(v)}`);
    return v as NeuronSpec;
  },
} as const;

function attentionEntry(name: 'ssa' | 'sdsa'): void {
  const ssa = name === 'ssa';
  defineLayer({
    name,
    doc: ssa
      ? "Spikformer's spiking self-attention on [C, ...tokens]: Q, K, V = LIF(BN(conv1×1)), LIF(scale·Q Kᵀ V) with threshold attn_threshold, then LIF(BN(conv1×1)); with membrane_shortcut (Meta-SpikeFormer) a LIF first and no LIF at the end"
      : "the Spike-driven Transformer's SDSA on [C, ...tokens]: LIF first (membrane shortcut), Q, K, V = LIF(BN(conv1×1)), mask = LIF(Σ_tokens K ⊙ V) with threshold attn_threshold, BN(conv1×1(Q ⊙ mask))",
    options: {
      heads: { ...positiveInt, default: 8, doc: 'attention heads (the channels split into heads of C/heads)' },
      ...(ssa ? { scale: { type: 'number', default: 0.125, check: isPositive, want: 'a positive number', doc: 'factor on Q Kᵀ V' } } : {}),
      attnThreshold: { type: 'number', default: 0.5, check: isPositive, want: 'a positive number', doc: 'threshold of the LIF after the attention product (ssa) or on the K ⊙ V sums (sdsa)' },
      qkvBias: { type: 'boolean', default: ssa, doc: 'bias in the Q, K, V projections' },
      membraneShortcut: { type: 'boolean', default: !ssa, doc: 'the input is the real-valued residual stream: fire a LIF first, return the BN output without a LIF' },
      neuron: neuronSpec,
    },
    make: (o, c) => {
      const opts = o as typeof o & { scale?: number };
      return new SpikingAttention(
        c.inputShape,
        { heads: o.heads, mechanism: ssa ? 'product' : 'mask', scale: opts.scale ?? 0.125, attnThreshold: o.attnThreshold, qkvBias: o.qkvBias, membraneShortcut: o.membraneShortcut, neuron: o.neuron },
        c.rng,
        c.where,
      );
    },
    // Four C×C channel projections (Q, K, V, output) with their biases and BatchNorms; the neurons keep the shape.
    plan: (o, c) => {
      const C = c.inputShape[0] ?? 0;
      return { outputShape: c.inputShape, parameters: 4 * C * C + 3 * (o.qkvBias ? C : 0) + C + 4 * 2 * C };
    },
  });
}
attentionEntry('ssa');
attentionEntry('sdsa');

defineLayer({
  name: 'layernorm',
  doc: 'layer normalisation over the channels of each token ([C] or [C, ...tokens])',
  options: {
    eps: { type: 'number', default: 1e-5, check: isPositive, want: 'a positive number' },
    affine: { type: 'boolean', default: true },
  },
  make: (o, c) => new LayerNorm(c.inputShape[0]!, o.eps, o.affine),
});

defineLayer({
  name: 'global_avgpool',
  aliases: ['token_mean'],
  doc: 'mean over the spatial positions (tokens) of each channel: [C, ...] → [C] (the transformer head)',
  options: {},
  make: (_o, c) => {
    if (c.inputShape.length < 2) throw new ShapeError(`${c.where}: input per sample must be [C, ...positions], got ${fmtShape(c.inputShape)}`);
    return new GlobalAvgPool();
  },
});

defineLayer({
  name: 'embedding',
  doc: 'token embedding: ids [T, B, 1] → [T, B, dim]; binary: Heaviside of the row with the arctan surrogate (SpikeGPT). A language-model run fills vocab from its tokenizer',
  options: {
    vocab: { ...positiveInt, required: true, doc: 'vocabulary size (a language-model run sets it from the tokenizer)' },
    dim: { ...positiveInt, required: true, doc: 'embedding size' },
    binary: { type: 'boolean', default: false, doc: 'binary (spiking) embedding' },
  },
  make: (o, c) => new Embedding(o.vocab!, o.dim!, c.rng, o.binary),
  plan: (o) => ({ outputShape: [o.dim!], parameters: o.vocab! * o.dim! }),
});

const rwkvNeuron = {
  type: 'custom',
  accepts: ['layer', 'boolean'],
  doc: "the neuron after each residual branch, a neuron layer config (default SpikeGPT's { type: lifnode, tau: 2, threshold: 1, surrogate: arctan }); false: none (the non-spiking RWKV twin)",
  parse: (v: unknown, where: string): NeuronSpec | null => {
    if (v === undefined || v === true) return SPIKEGPT_NEURON;
    if (v === false || v === null) return null;
    if (typeof v !== 'object' || Array.isArray(v) || typeof (v as { type?: unknown }).type !== 'string') throw new ConfigError(`${where} must be a neuron layer config { type, ...options } or false, got ${JSON.stringify(v)}`);
    return v as NeuronSpec;
  },
} as const;

defineLayer({
  name: 'rwkv',
  aliases: ['spikegpt'],
  doc: 'a stack of SpikeGPT / RWKV-4 blocks on [T, B, dim] (tokens as time): x ← LN0(x) at the first; x ← x + LIF(TimeMix(LN1(x))); x ← x + LIF(ChannelMix(LN2(x))); neuron: false gives the non-spiking RWKV',
  options: {
    blocks: { ...positiveInt, required: true, doc: 'number of blocks' },
    ffnMult: { ...positiveInt, default: 4, doc: 'channel-mixing hidden size as a multiple of dim' },
    neuron: rwkvNeuron,
  },
  make: (o, c) => {
    if (c.inputShape.length !== 1) throw new ShapeError(`${c.where}: input per token must be [dim] (an embedding before it), got ${fmtShape(c.inputShape)}`);
    const d = c.inputShape[0]!;
    const blocks = Array.from({ length: o.blocks! }, (_, i) => new RwkvBlock(d, i, o.blocks!, { ffnMult: o.ffnMult, neuron: o.neuron }, c.rng, `${c.where} block ${i}`));
    return new Sequential(blocks);
  },
  // Per block: LN1, LN2 (2·2d), time mixing (4d² + 5d), channel mixing (2·m·d² + d² + 2d); LN0 once (2d).
  plan: (o, c) => {
    const d = c.inputShape[0] ?? 0;
    const m = o.ffnMult;
    const perBlock = 4 * d + 4 * d * d + 5 * d + 2 * m * d * d + d * d + 2 * d;
    return { outputShape: c.inputShape, parameters: o.blocks! * perBlock + 2 * d };
  },
});

defineLayer({
  name: 'transformer',
  aliases: ['gpt'],
  doc: 'a GPT-2-style softmax-transformer stack on [T, B, dim] (tokens as time): learned positions added to the input, then pre-LN blocks x ← x + Wo·CausalSoftmaxAttention(LN1(x)); x ← x + W2·GELU(W1·LN2(x)); a KV cache makes it run token by token',
  options: {
    blocks: { ...positiveInt, required: true, doc: 'number of blocks' },
    heads: { ...positiveInt, default: 4, doc: 'attention heads (dim must split into them)' },
    ffnMult: { ...positiveInt, default: 4, doc: 'MLP hidden size as a multiple of dim' },
    maxContext: { type: 'number', integer: true, required: true, check: (v: number) => v >= 2, want: 'an integer ≥ 2', doc: 'positions the learned embedding covers: training windows must fit; generation past it slides the window by half' },
  },
  make: (o, c) => {
    if (c.inputShape.length !== 1) throw new ShapeError(`${c.where}: input per token must be [dim] (an embedding before it), got ${fmtShape(c.inputShape)}`);
    const d = c.inputShape[0]!;
    if (d % o.heads !== 0) throw new ConfigError(`${c.where}: dim ${d} does not split into ${o.heads} heads`);
    return new Transformer(d, { blocks: o.blocks!, heads: o.heads, ffnMult: o.ffnMult, maxContext: o.maxContext! }, c.rng);
  },
  // Positions (N·d); per block LN1, LN2 (4d), Q, K, V, O with biases (4d² + 4d), the MLP (2·m·d² + m·d + d).
  plan: (o, c) => {
    const d = c.inputShape[0] ?? 0;
    const m = o.ffnMult;
    const perBlock = 4 * d + 4 * d * d + 4 * d + 2 * m * d * d + m * d + d;
    return { outputShape: c.inputShape, parameters: o.maxContext! * d + o.blocks! * perBlock };
  },
});
