import { noGrad } from '../autograd/tape.js';
import { ConfigError, ShapeError } from '../errors.js';
import { add } from '../ops/elementwise.js';
import { concatLeading, sliceLeading } from '../ops/shape.js';
import { addPositionEmbedding, causalAttention, gelu, type KvCache } from '../ops/transformer.js';
import { tensor } from '../tensor/create.js';
import { fmtShape } from '../tensor/shape.js';
import type { Rng } from '../tensor/rng.js';
import type { Tensor } from '../tensor/tensor.js';
import { Module, RUN_PARTS, type OpCost, type PartsVisitor } from '../module/module.js';
import { LayerNorm } from './attention.js';
import { Sequential } from './containers.js';
import { Linear } from './linear.js';

/*
 * The softmax-transformer baseline of the language models (docs/spikegpt.md
 * "Softmax-transformer baseline"): a GPT-2-style decoder stack on `[T, B, C]`
 * (T the tokens), built from the same embedding, layer norm and head as
 * SpikeGPT so the two compare in the same code path.
 *
 *   x ← x + E_pos[P + t]                                 (learned absolute positions)
 *   x ← x + Wo·CausalSoftmaxAttention(LN1(x))             (per block, pre-LN)
 *   x ← x + W2·GELU(W1·LN2(x))
 *
 * Stateful across calls, like the RWKV layer: every block keeps the keys and
 * values of the tokens seen so far (a KV cache), so a one-token forward
 * attends to the whole sequence and equals the matching row of a parallel
 * forward; `resetState()` starts a new sequence. States carry no gradient.
 */

/** Multiply-adds per element of the tanh GELU (the polynomial, the tanh counted as one, the outer product). */
const GELU_MACS = 5;

/**
 * The measured cost of one causal attention call: every (query, key) pair
 * with key position ≤ query position costs dh MACs for q·k, dh for the
 * weighted sum of v, and one for its exponential. A query at position p has
 * p + 1 keys, so the count grows with the position; over a context of T
 * tokens from a fresh state the mean per token is (T + 1)/2 pairs.
 */
function attentionCost(T: number, B: number, heads: number, dh: number, past: number): OpCost {
  // Σ_{t<T} (past + t + 1) pairs per (batch, head).
  const pairs = B * heads * (T * past + (T * (T + 1)) / 2);
  const macs = pairs * (2 * dh + 1);
  return { acs: 0, macs, denseMacs: macs };
}

function gaussianLinear(lin: Linear, std: number, rng: Rng): Linear {
  // GPT-2's initialisation (as nanoGPT writes it): N(0, 0.02²) weights, zero biases.
  const w = lin.weight.data;
  for (let i = 0; i < w.length; i++) w[i] = std * rng.normal();
  if (lin.bias) lin.bias.data.fill(0);
  return lin;
}

/** Standard deviation of GPT-2's weight initialisation. */
const INIT_STD = 0.02;

export interface TransformerOptions {
  /** Number of blocks. */
  blocks: number;
  /** Attention heads; the channels split into heads of dim/heads. */
  heads: number;
  /** MLP hidden size as a multiple of dim (4 in GPT-2). */
  ffnMult: number;
  /** The longest sequence the learned positions cover. */
  maxContext: number;
}

/** One pre-LN block: x ← x + Wo·Attention(LN1(x)); x ← x + W2·GELU(W1·LN2(x)). */
export class TransformerBlock extends Module {
  readonly ln1: LayerNorm;
  readonly query: Linear;
  readonly key: Linear;
  readonly value: Linear;
  readonly output: Linear;
  readonly ln2: LayerNorm;
  readonly fc: Linear;
  readonly proj: Linear;
  private cache: KvCache | null = null;

  constructor(
    readonly dim: number,
    readonly heads: number,
    ffnMult: number,
    blocks: number,
    rng: Rng,
  ) {
    super();
    if (dim % heads !== 0) throw new ConfigError(`TransformerBlock: ${dim} channels do not split into ${heads} heads`);
    // The two projections that write into the residual stream start smaller by 1/√(2·blocks) (GPT-2), so the stream's variance does not grow with depth.
    const residualStd = INIT_STD / Math.sqrt(2 * blocks);
    this.ln1 = this.addChild('ln1', new LayerNorm(dim));
    this.query = this.addChild('query', gaussianLinear(new Linear(dim, dim, rng), INIT_STD, rng));
    this.key = this.addChild('key', gaussianLinear(new Linear(dim, dim, rng), INIT_STD, rng));
    this.value = this.addChild('value', gaussianLinear(new Linear(dim, dim, rng), INIT_STD, rng));
    this.output = this.addChild('output', gaussianLinear(new Linear(dim, dim, rng), residualStd, rng));
    this.ln2 = this.addChild('ln2', new LayerNorm(dim));
    this.fc = this.addChild('fc', gaussianLinear(new Linear(dim, ffnMult * dim, rng), INIT_STD, rng));
    this.proj = this.addChild('proj', gaussianLinear(new Linear(ffnMult * dim, dim, rng), residualStd, rng));
  }
  get kind(): string {
    return 'TransformerBlock';
  }
  /** Tokens in the key/value cache (the position of the next token). */
  get cachedTokens(): number {
    return this.cache ? this.cache.k.shape[2]! : 0;
  }
  forward(x: Tensor): Tensor {
    return this.forwardParts(x, RUN_PARTS);
  }
  override forwardParts(x: Tensor, p: PartsVisitor): Tensor {
    const C = this.dim;
    if (x.ndim !== 3 || x.shape[2] !== C) throw new ShapeError(`${this.kind}(${C}): input must be [T, B, ${C}] (tokens, batch, channels), got ${fmtShape(x.shape)}`);
    const [T, B] = x.shape as [number, number];
    if (this.cache && this.cache.k.shape[0] !== B) {
      throw new ShapeError(`${this.kind}: the batch changed from ${this.cache.k.shape[0]} to ${B} within a sequence (call resetState() before a new one)`);
    }
    const past = this.cachedTokens;
    const a = p.sub('ln1', this.ln1, x);
    const q = p.sub('query', this.query, a);
    const k = p.sub('key', this.key, a);
    const v = p.sub('value', this.value, a);
    const { y, cache } = causalAttention(q, k, v, this.heads, this.cache);
    p.op('attention', 'CausalAttention', [q, k, v], y, () => attentionCost(T, B, this.heads, C / this.heads, past));
    this.cache = cache;
    const h = add(x, p.sub('output', this.output, y));
    const f = p.sub('fc', this.fc, p.sub('ln2', this.ln2, h));
    const g = gelu(f);
    p.op('gelu', 'GELU', [f], g, () => ({ acs: 0, macs: g.size * GELU_MACS, denseMacs: g.size * GELU_MACS }));
    return add(h, p.sub('proj', this.proj, g));
  }
  override resetState(): void {
    this.cache = null;
    super.resetState();
  }
  override persistentTensors(): Tensor[] {
    return [...super.persistentTensors(), ...(this.cache ? [this.cache.k, this.cache.v] : [])];
  }
  override describe(): Record<string, unknown> {
    return { dim: this.dim, heads: this.heads };
  }
}

/**
 * The `transformer` layer: a learned absolute position embedding added to
 * the input, then `blocks` pre-LN blocks. The final layer norm and the head
 * are ordinary layers after it (as for `rwkv`).
 *
 * Past `maxContext` tokens (generation, evaluation; never training, whose
 * windows must fit): the window slides by half. When the cache is full and
 * another token comes, the layer keeps the last ⌊maxContext/2⌋ inputs it saw,
 * re-encodes them from a fresh state at positions 0 … ⌊maxContext/2⌋ − 1, and
 * goes on from there; so each prediction sees between ⌊maxContext/2⌋ and
 * maxContext − 1 previous tokens, at the positions training used, and the
 * re-encoding costs about one parallel token per generated token (re-encoding
 * the whole window every token, nanoGPT's way, would cost maxContext).
 */
export class Transformer extends Module {
  readonly positions: Tensor;
  readonly blocks: Sequential;
  private readonly stack: TransformerBlock[];
  /** The inputs of the current sequence (at most the last maxContext), detached: what a slide re-encodes. */
  private history: Tensor | null = null;

  constructor(
    readonly dim: number,
    readonly o: TransformerOptions,
    rng: Rng,
  ) {
    super();
    if (!(Number.isInteger(o.maxContext) && o.maxContext >= 2)) throw new ConfigError(`Transformer: max_context must be an integer ≥ 2, got ${o.maxContext}`);
    if (dim % o.heads !== 0) throw new ConfigError(`Transformer: ${dim} channels do not split into ${o.heads} heads`);
    this.positions = this.addParameter('pos_emb', tensor(Float64Array.from({ length: o.maxContext * dim }, () => INIT_STD * rng.normal()), [o.maxContext, dim]));
    this.stack = Array.from({ length: o.blocks }, () => new TransformerBlock(dim, o.heads, o.ffnMult, o.blocks, rng));
    this.blocks = this.addChild('blocks', new Sequential(this.stack));
  }
  get kind(): string {
    return 'Transformer';
  }
  get maxContext(): number {
    return this.o.maxContext;
  }
  /** Tokens the current sequence holds (the position the next token takes). */
  get length(): number {
    return this.stack[0]?.cachedTokens ?? 0;
  }
  /** Inputs a slide keeps. */
  get slideKeep(): number {
    return Math.floor(this.o.maxContext / 2);
  }
  forward(x: Tensor): Tensor {
    return this.forwardParts(x, RUN_PARTS);
  }
  override forwardParts(x: Tensor, p: PartsVisitor): Tensor {
    const C = this.dim;
    if (x.ndim !== 3 || x.shape[2] !== C) throw new ShapeError(`${this.kind}(${C}): input must be [T, B, ${C}] (tokens, batch, channels), got ${fmtShape(x.shape)}`);
    const T = x.shape[0]!;
    const N = this.o.maxContext;
    if (this.length + T <= N) return this.run(x, p);
    if (this.training) {
      throw new ShapeError(`${this.kind}: ${this.length + T} tokens in one training sequence exceed max_context ${N} (the learned positions end there; train on windows of at most ${N} tokens)`);
    }
    // Evaluation past the window: in pieces that fill it, sliding whenever it is full.
    let out: Tensor | null = null;
    for (let i = 0; i < T; ) {
      if (this.length === N) this.slide();
      const n = Math.min(T - i, N - this.length);
      const y = this.run(n === T ? x : sliceLeading(x, i, i + n), p);
      out = out ? concatLeading(out, y) : y;
      i += n;
    }
    return out!;
  }
  private run(x: Tensor, p: PartsVisitor): Tensor {
    const y = p.sub('blocks', this.blocks, addPositionEmbedding(x, this.positions, this.length));
    this.remember(x);
    return y;
  }
  /** Append x's rows to the history (a copy without gradient), keeping the last maxContext. */
  private remember(x: Tensor): void {
    const prev = this.history;
    const rows = Math.min(this.o.maxContext, (prev ? prev.shape[0]! : 0) + x.shape[0]!);
    const from = prev ? prev.shape[0]! + x.shape[0]! - rows : x.shape[0]! - rows;
    const out = noGrad(() => (prev ? concatLeading(prev, x) : x));
    this.history = noGrad(() => sliceLeading(out, from, from + rows));
  }
  private slide(): void {
    const keep = this.slideKeep;
    const h = this.history!;
    const kept = noGrad(() => sliceLeading(h, h.shape[0]! - keep, h.shape[0]!));
    this.resetState();
    // Not through the caller's visitor: an analysis walk would count the re-encoding as tokens of its own batch.
    noGrad(() => this.run(kept, RUN_PARTS));
  }
  override resetState(): void {
    this.history = null;
    super.resetState();
  }
  override persistentTensors(): Tensor[] {
    return [...super.persistentTensors(), ...(this.history ? [this.history] : [])];
  }
  override describe(): Record<string, unknown> {
    return { dim: this.dim, blocks: this.o.blocks, heads: this.o.heads, ffnMult: this.o.ffnMult, maxContext: this.o.maxContext };
  }
}
