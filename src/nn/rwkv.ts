import { ShapeError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { embedding, heavisideArctan } from '../ops/embedding.js';
import { lastToken, reluSquare, sigmoidGate, tokenShiftMix, wkv } from '../ops/rwkv.js';
import { tensor } from '../tensor/create.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import type { NeuronModule } from '../neurons/base.js';
import { Module, RUN_PARTS, type OpCost, type PartsVisitor } from '../module/module.js';
import { LayerNorm, makeNeuron, type NeuronSpec } from './attention.js';
import { Linear } from './linear.js';

/*
 * SpikeGPT's layers (docs/spikegpt.md): an RWKV-4 language model whose
 * residual branches pass a LIF neuron that runs along the token axis.
 * Sequences are time-major `[T, B, C]` with T the tokens, so the neuron is
 * the ordinary LIF layer (its time axis is the token axis) and the linear
 * layers fold T·B into one GEMM.
 *
 * Stateful across calls, like a neuron: the token shifts keep the last token
 * they saw, time mixing keeps the WKV state (aa, bb, pp), the LIFs their
 * membranes. So a forward over a whole context (training, parallel) equals a
 * sequence of one-token forwards (generation, O(1) state per token), and
 * `resetState()` starts a new sequence. States carry no gradient.
 */

/** SpikeGPT's spiking neuron: SpikingJelly's LIF, τ = 2, θ = 1, arctan surrogate (α = 2). */
export const SPIKEGPT_NEURON: NeuronSpec = { type: 'lifnode', tau: 2, threshold: 1, surrogate: { name: 'arctan', alpha: 2 } };

/** Token embedding: ids `[T, B, 1]` → `[T, B, dim]`; with `binary`, Heaviside of the row (arctan surrogate). */
export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(
    readonly vocab: number,
    readonly dim: number,
    rng: Rng,
    readonly binary = false,
  ) {
    super();
    const w = new Float64Array(vocab * dim);
    // Binary rows fire where the weight is positive: a zero-mean start makes about half the bits 1.
    const scale = binary ? 1 : 0.1;
    for (let i = 0; i < w.length; i++) w[i] = scale * rng.normal();
    this.weight = this.addParameter('weight', tensor(w, [vocab, dim]));
  }
  get kind(): string {
    return 'Embedding';
  }
  forward(x: Tensor): Tensor {
    const e = embedding(x, this.weight);
    return this.binary ? heavisideArctan(e) : e;
  }
  override describe(): Record<string, unknown> {
    return { vocab: this.vocab, dim: this.dim, binary: this.binary };
  }
}

/** Per-channel values from a function of the channel index (RWKV's initial mixes and decays). */
function channels(C: number, f: (c: number) => number): Tensor {
  return tensor(Float64Array.from({ length: C }, (_, c) => f(c)), [C]);
}

/** Where a block sits in the stack, for RWKV's depth-dependent initialisation. */
interface Depth {
  layer: number;
  layers: number;
}

/** The token-shift state: the last token of the previous call (null at a sequence start). */
abstract class ShiftingModule extends Module {
  protected prev: Tensor | null = null;
  protected checkInput(x: Tensor, C: number): void {
    if (x.ndim !== 3 || x.shape[2] !== C) throw new ShapeError(`${this.kind}(${C}): input must be [T, B, ${C}] (tokens, batch, channels), got ${fmtShape(x.shape)}`);
    if (this.prev && this.prev.shape[0] !== x.shape[1]) {
      throw new ShapeError(`${this.kind}: the batch changed from ${this.prev.shape[0]} to ${x.shape[1]} within a sequence (call resetState() before a new one)`);
    }
  }
  override resetState(): void {
    this.prev = null;
    super.resetState();
  }
  override persistentTensors(): Tensor[] {
    return [...super.persistentTensors(), ...(this.prev ? [this.prev] : [])];
  }
}

/**
 * RWKV-4 time mixing: token-shifted mixes xk, xv, xr, k = Wk·xk, v = Wv·xv,
 * r = σ(Wr·xr), out = Wo·(r ⊙ wkv(k, v)).
 */
export class TimeMix extends ShiftingModule {
  readonly key: Linear;
  readonly value: Linear;
  readonly receptance: Linear;
  readonly output: Linear;
  readonly timeDecay: Tensor;
  readonly timeFirst: Tensor;
  readonly mixK: Tensor;
  readonly mixV: Tensor;
  readonly mixR: Tensor;
  private state: Tensor | null = null;

  constructor(
    readonly dim: number,
    depth: Depth,
    rng: Rng,
  ) {
    super();
    const C = dim;
    // RWKV-4's initialisation, by depth: decays spread from fast to slow over
    // the channels, mixes that lean on the current token more in early layers.
    const r01 = depth.layers > 1 ? depth.layer / (depth.layers - 1) : 0;
    const r10 = 1 - depth.layer / depth.layers;
    const frac = (c: number): number => c / C;
    this.timeDecay = this.addParameter('time_decay', channels(C, (c) => -5 + 8 * Math.pow(C > 1 ? c / (C - 1) : 0, 0.7 + 1.3 * r01)));
    this.timeFirst = this.addParameter('time_first', channels(C, (c) => Math.log(0.3) + (((c + 1) % 3) - 1) * 0.5));
    this.mixK = this.addParameter('time_mix_k', channels(C, (c) => Math.pow(frac(c), r10)));
    this.mixV = this.addParameter('time_mix_v', channels(C, (c) => Math.pow(frac(c), r10) + 0.3 * r01));
    this.mixR = this.addParameter('time_mix_r', channels(C, (c) => Math.pow(frac(c), 0.5 * r10)));
    this.key = this.addChild('key', new Linear(C, C, rng, { bias: false }));
    this.value = this.addChild('value', new Linear(C, C, rng, { bias: false }));
    this.receptance = this.addChild('receptance', new Linear(C, C, rng, { bias: false }));
    this.output = this.addChild('output', new Linear(C, C, rng, { bias: false }));
  }
  get kind(): string {
    return 'TimeMix';
  }
  forward(x: Tensor): Tensor {
    return this.forwardParts(x, RUN_PARTS);
  }
  override forwardParts(x: Tensor, p: PartsVisitor): Tensor {
    this.checkInput(x, this.dim);
    const xk = tokenShiftMix(x, this.prev, this.mixK);
    const xv = tokenShiftMix(x, this.prev, this.mixV);
    const xr = tokenShiftMix(x, this.prev, this.mixR);
    const k = p.sub('key', this.key, xk);
    const v = p.sub('value', this.value, xv);
    const r = p.sub('receptance', this.receptance, xr);
    const { y, state } = wkv(k, v, this.timeDecay, this.timeFirst, this.state);
    p.op('wkv', 'WKV', [k, v], y, () => elementwiseCost(y.size, WKV_MACS));
    this.prev = lastToken(x);
    this.state = state;
    const gated = sigmoidGate(r, y);
    p.op('gate', 'SigmoidGate', [r, y], gated, () => elementwiseCost(y.size, 1));
    return p.sub('output', this.output, gated);
  }
  override resetState(): void {
    this.state = null;
    super.resetState();
  }
  override persistentTensors(): Tensor[] {
    return [...super.persistentTensors(), ...(this.state ? [this.state] : [])];
  }
  override describe(): Record<string, unknown> {
    return { dim: this.dim };
  }
}

/** Multiply-adds of one WKV element per token: the output's two weighted sums and division, and the state update (the exponentials counted as one each). */
const WKV_MACS = 10;

function elementwiseCost(n: number, macsPerElement: number): OpCost {
  return { acs: 0, macs: n * macsPerElement, denseMacs: n * macsPerElement };
}

/** RWKV-4 channel mixing: k = ReLU(Wk·xk)², out = σ(Wr·xr) ⊙ (Wv·k), hidden size ffnMult·dim. */
export class ChannelMix extends ShiftingModule {
  readonly key: Linear;
  readonly receptance: Linear;
  readonly value: Linear;
  readonly mixK: Tensor;
  readonly mixR: Tensor;
  constructor(
    readonly dim: number,
    readonly hidden: number,
    depth: Depth,
    rng: Rng,
  ) {
    super();
    const r10 = 1 - depth.layer / depth.layers;
    this.mixK = this.addParameter('time_mix_k', channels(dim, (c) => Math.pow(c / dim, r10)));
    this.mixR = this.addParameter('time_mix_r', channels(dim, (c) => Math.pow(c / dim, r10)));
    this.key = this.addChild('key', new Linear(dim, hidden, rng, { bias: false }));
    this.receptance = this.addChild('receptance', new Linear(dim, dim, rng, { bias: false }));
    this.value = this.addChild('value', new Linear(hidden, dim, rng, { bias: false }));
  }
  get kind(): string {
    return 'ChannelMix';
  }
  forward(x: Tensor): Tensor {
    return this.forwardParts(x, RUN_PARTS);
  }
  override forwardParts(x: Tensor, p: PartsVisitor): Tensor {
    this.checkInput(x, this.dim);
    const xk = tokenShiftMix(x, this.prev, this.mixK);
    const xr = tokenShiftMix(x, this.prev, this.mixR);
    this.prev = lastToken(x);
    const k = reluSquare(p.sub('key', this.key, xk));
    const kv = p.sub('value', this.value, k);
    const r = p.sub('receptance', this.receptance, xr);
    const out = sigmoidGate(r, kv);
    p.op('gate', 'SigmoidGate', [r, kv], out, () => elementwiseCost(out.size, 1));
    return out;
  }
  override describe(): Record<string, unknown> {
    return { dim: this.dim, hidden: this.hidden };
  }
}

export interface RwkvBlockOptions {
  /** Hidden size of channel mixing as a multiple of dim (4 in RWKV and SpikeGPT). */
  ffnMult: number;
  /** The neuron after each residual branch; null: none (the non-spiking twin). */
  neuron: NeuronSpec | null;
}

/**
 * One SpikeGPT block: x ← LN0(x) at layer 0; x ← x + LIF(TimeMix(LN1(x)));
 * x ← x + LIF(ChannelMix(LN2(x))). Without a neuron the LIFs are left out
 * (the RWKV twin with the same architecture and parameter count).
 */
export class RwkvBlock extends Module {
  readonly ln0: LayerNorm | null;
  readonly ln1: LayerNorm;
  readonly att: TimeMix;
  readonly lif1: NeuronModule | null;
  readonly ln2: LayerNorm;
  readonly ffn: ChannelMix;
  readonly lif2: NeuronModule | null;
  constructor(
    readonly dim: number,
    readonly layer: number,
    layers: number,
    options: RwkvBlockOptions,
    rng: Rng,
    where: string,
  ) {
    super();
    const depth = { layer, layers };
    this.ln0 = layer === 0 ? this.addChild('ln0', new LayerNorm(dim)) : null;
    this.ln1 = this.addChild('ln1', new LayerNorm(dim));
    this.att = this.addChild('att', new TimeMix(dim, depth, rng));
    this.lif1 = options.neuron ? this.addChild('lif1', makeNeuron(options.neuron, [dim], rng, `${where} lif1`)) : null;
    this.ln2 = this.addChild('ln2', new LayerNorm(dim));
    this.ffn = this.addChild('ffn', new ChannelMix(dim, options.ffnMult * dim, depth, rng));
    this.lif2 = options.neuron ? this.addChild('lif2', makeNeuron(options.neuron, [dim], rng, `${where} lif2`)) : null;
  }
  get kind(): string {
    return 'RwkvBlock';
  }
  forward(x: Tensor): Tensor {
    return this.forwardParts(x, RUN_PARTS);
  }
  override forwardParts(x: Tensor, p: PartsVisitor): Tensor {
    let h = this.ln0 ? p.sub('ln0', this.ln0, x) : x;
    let a = p.sub('att', this.att, p.sub('ln1', this.ln1, h));
    if (this.lif1) a = p.sub('lif1', this.lif1, a);
    h = add(h, a);
    let f = p.sub('ffn', this.ffn, p.sub('ln2', this.ln2, h));
    if (this.lif2) f = p.sub('lif2', this.lif2, f);
    return add(h, f);
  }
  override describe(): Record<string, unknown> {
    return { dim: this.dim, layer: this.layer, spiking: this.lif1 !== null };
  }
}
