import { ConfigError, ShapeError } from '../errors.js';
import { channelMask, layerNorm, linearAttention, tokenDot } from '../ops/attention.js';
import { reshape } from '../ops/shape.js';
import { ones, zeros } from '../tensor/create.js';
import { fmtShape, sizeOf, type Shape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { snakeToCamel } from '../registry/options.js';
import { neuronRegistry } from '../neurons/registry.js';
import type { NeuronModule } from '../neurons/base.js';
import { Module, RUN_PARTS, type OpCost, type PartsVisitor } from '../module/module.js';
import { Conv1d } from './conv.js';
import { BatchNorm1d } from './norm.js';

/*
 * Spiking self-attention blocks (docs/transformers.md, equations §"Spiking
 * self-attention"). A block sees a sequence of channel-major token maps
 * `[T, B, C, ...spatial]` (the tokens are the spatial positions of the conv
 * stem's output), folds the spatial axes into N tokens, and projects with 1×1
 * convolutions + per-channel batch norm, as the reference implementations do
 * (Spikformer's Linear + BatchNorm1d over tokens is the same map).
 */

/** A neuron layer as a config writes it: `{ type, ...options }` (snake_case). */
export interface NeuronSpec {
  type: string;
  [option: string]: unknown;
}

/** The reference implementations' neuron: SpikingJelly's MultiStepLIFNode(tau = 2, detach_reset = True). */
export const TRANSFORMER_NEURON: NeuronSpec = { type: 'lifnode', tau: 2, detach_reset: true };

/** Build a neuron layer over `features` from a spec, with one option overridden (the attention LIF's threshold). */
export function makeNeuron(spec: NeuronSpec, features: Shape, rng: Rng, where: string, override: Record<string, unknown> = {}): NeuronModule {
  const { type, ...opts } = spec;
  if (typeof type !== 'string' || !neuronRegistry.has(type)) throw new ConfigError(`${where}: unknown neuron type '${String(type)}' (known: ${neuronRegistry.names().join(', ')})`);
  const o: Record<string, unknown> = {};
  for (const [k, v] of Object.entries({ ...opts, ...override })) o[snakeToCamel(k)] = v;
  try {
    return neuronRegistry.get(type).make([...features], o, rng);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`${where}: ${e.message}`);
    throw e;
  }
}

export type AttentionMechanism = 'product' | 'mask';

export interface SpikingAttentionOptions {
  heads: number;
  /**
   * 'product': out = scale·(Q Kᵀ) V per head, then a LIF (Spikformer SSA,
   * Meta-SpikeFormer SDSA-3); 'mask': a LIF turns Σ_tokens K ⊙ V into a
   * channel mask applied to Q (Spike-driven Transformer SDSA).
   */
  mechanism: AttentionMechanism;
  /** Product scale (the references' 0.125); unused by 'mask'. */
  scale: number;
  /** Threshold of the LIF after the attention product / on the K⊙V sums (0.5 in the references). */
  attnThreshold: number;
  /** Bias in the Q, K, V projections (Spikformer: yes, nn.Linear; SDT: no). */
  qkvBias: boolean;
  /**
   * Membrane shortcut (Spike-driven Transformer, Meta-SpikeFormer): the block
   * takes the real-valued residual stream, fires a LIF first, and returns the
   * projection's batch-norm output (no LIF after it). Without it (Spikformer)
   * the input is spikes and the output passes a LIF.
   */
  membraneShortcut: boolean;
  neuron: NeuronSpec;
}

/** One projection branch: 1×1 conv → BN → LIF (the LIF is absent for a membrane-shortcut output). */
class Projection extends Module {
  readonly conv: Conv1d;
  readonly bn: BatchNorm1d;
  readonly lif: NeuronModule | null;
  constructor(channels: number, bias: boolean, lif: NeuronModule | null, rng: Rng) {
    super();
    this.conv = this.addChild('conv', new Conv1d(channels, channels, 1, rng, { bias }));
    this.bn = this.addChild('bn', new BatchNorm1d(channels));
    this.lif = lif ? this.addChild('lif', lif) : null;
  }
  get kind(): string {
    return 'Projection';
  }
  forward(x: Tensor): Tensor {
    return this.forwardParts(x, RUN_PARTS);
  }
  override forwardParts(x: Tensor, v: PartsVisitor): Tensor {
    const y = v.sub('bn', this.bn, v.sub('conv', this.conv, x));
    return this.lif ? v.sub('lif', this.lif, y) : y;
  }
}

/*
 * Measured costs of the attention products (OpCost): read from the data
 * (CPU backends), only when the monitor asks. On spikes every counted
 * operation is an accumulate; on real or multi-level values the same count
 * is multiplies.
 */

function costOf(count: number, binary: boolean, denseMacs: number): OpCost {
  return binary ? { acs: count, macs: 0, denseMacs } : { acs: 0, macs: count, denseMacs };
}

function linearAttentionCost(q: Tensor, k: Tensor, v: Tensor, heads: number): OpCost {
  const [T, B, C, N] = q.shape as [number, number, number, number];
  const dh = C / heads;
  const Q = q.data, K = k.data, V = v.data;
  let count = 0;
  for (let r = 0; r < T * B; r++) {
    for (let h = 0; h < heads; h++) {
      const base = r * C * N + h * dh * N;
      for (let n = 0; n < N; n++) {
        let ck = 0, cv = 0, cq = 0;
        for (let i = 0; i < dh; i++) {
          if (K[base + i * N + n] !== 0) ck++;
          if (V[base + i * N + n] !== 0) cv++;
          if (Q[base + i * N + n] !== 0) cq++;
        }
        count += ck * cv + cq * dh;
      }
    }
  }
  return costOf(count, q.binary && k.binary && v.binary, T * B * heads * 2 * N * dh * dh);
}

function pairCost(a: Tensor, b: Tensor, bStride: number): OpCost {
  const A = a.data, Bv = b.data;
  let count = 0;
  for (let i = 0; i < A.length; i++) if (A[i] !== 0 && Bv[Math.floor(i / bStride)] !== 0) count++;
  return costOf(count, a.binary && b.binary, A.length);
}

/**
 * Spiking self-attention over `[T, B, C, ...spatial]`: Spikformer's SSA
 * (`ssa`), the Spike-driven Transformer's SDSA (`sdsa`), and with the
 * membrane shortcut on, Meta-SpikeFormer's attention. The residual add is
 * not part of the block: configs wrap it in a `residual` layer, so the
 * spike-element-wise and membrane shortcuts are the same container.
 */
export class SpikingAttention extends Module {
  readonly o: SpikingAttentionOptions;
  readonly channels: number;
  private readonly inputLif: NeuronModule | null;
  private readonly q: Projection;
  private readonly k: Projection;
  private readonly v: Projection;
  private readonly attnLif: NeuronModule;
  private readonly proj: Projection;

  constructor(inputShape: Shape, o: SpikingAttentionOptions, rng: Rng, where = 'SpikingAttention') {
    super();
    if (inputShape.length < 1) throw new ShapeError(`${where}: input per sample must be [C, ...tokens], got ${fmtShape(inputShape)}`);
    const C = inputShape[0]!;
    const N = sizeOf(inputShape.slice(1));
    if (C % o.heads !== 0) throw new ConfigError(`${where}: ${C} channels do not split into ${o.heads} heads`);
    this.o = o;
    this.channels = C;
    const tokens = [C, N];
    const lif = (name: string, features: Shape, override: Record<string, unknown> = {}): NeuronModule => makeNeuron(o.neuron, features, rng, `${where} ${name}`, override);
    this.inputLif = o.membraneShortcut ? this.addChild('shortcut_lif', lif('shortcut_lif', tokens)) : null;
    this.q = this.addChild('q', new Projection(C, o.qkvBias, lif('q_lif', tokens), rng));
    this.k = this.addChild('k', new Projection(C, o.qkvBias, lif('k_lif', tokens), rng));
    this.v = this.addChild('v', new Projection(C, o.qkvBias, lif('v_lif', tokens), rng));
    const attnFeatures = o.mechanism === 'mask' ? [C] : tokens;
    this.attnLif = this.addChild('attn_lif', lif('attn_lif', attnFeatures, { threshold: o.attnThreshold }));
    this.proj = this.addChild('proj', new Projection(C, true, o.membraneShortcut ? null : lif('proj_lif', tokens), rng));
  }

  get kind(): string {
    return this.o.mechanism === 'mask' ? 'SDSA' : 'SSA';
  }

  forward(x: Tensor): Tensor {
    return this.forwardParts(x, RUN_PARTS);
  }

  override forwardParts(x: Tensor, p: PartsVisitor): Tensor {
    if (x.ndim < 3 || x.shape[2] !== this.channels) throw new ShapeError(`${this.kind}: input must be [T, B, ${this.channels}, ...tokens], got ${fmtShape(x.shape)}`);
    const [T, B] = x.shape as [number, number];
    const N = sizeOf(x.shape.slice(3));
    let h = reshape(x, [T, B, this.channels, N]);
    if (this.inputLif) h = p.sub('shortcut_lif', this.inputLif, h);
    const q = p.sub('q', this.q, h);
    const k = p.sub('k', this.k, h);
    const v = p.sub('v', this.v, h);
    let a: Tensor;
    if (this.o.mechanism === 'product') {
      const prod = linearAttention(q, k, v, this.o.heads, this.o.scale);
      p.op('attention', 'LinearAttention', [q, k, v], prod, () => linearAttentionCost(q, k, v, this.o.heads));
      a = p.sub('attn_lif', this.attnLif, prod);
    } else {
      const kv = tokenDot(k, v);
      p.op('kv', 'TokenDot', [k, v], kv, () => pairCost(k, v, 1));
      const mask = p.sub('attn_lif', this.attnLif, kv);
      a = channelMask(q, mask);
      p.op('mask', 'ChannelMask', [q, mask], a, () => pairCost(q, mask, N));
    }
    return reshape(p.sub('proj', this.proj, a), x.shape);
  }
}

/**
 * Layer normalisation over the channels of each token of `[T, B, C, ...]`
 * (PyTorch's LayerNorm(C) applied token by token; on `[T, B, C]` it is the
 * ordinary LayerNorm of a feature vector).
 */
export class LayerNorm extends Module {
  readonly weight: Tensor | null;
  readonly bias: Tensor | null;
  constructor(
    readonly channels: number,
    readonly eps = 1e-5,
    affine = true,
  ) {
    super();
    this.weight = affine ? this.addParameter('weight', ones([channels])) : null;
    this.bias = affine ? this.addParameter('bias', zeros([channels])) : null;
  }
  get kind(): string {
    return 'LayerNorm';
  }
  forward(x: Tensor): Tensor {
    if (x.ndim < 3 || x.shape[2] !== this.channels) throw new ShapeError(`LayerNorm(${this.channels}): input must be [T, B, ${this.channels}, ...], got ${fmtShape(x.shape)}`);
    return layerNorm(x, this.weight, this.bias, this.eps);
  }
}
